"""Jupyter Book's HTML build of the staged book, with Sphinx's parallel reading and writing.

    python -m nkbook.build.sphinx_run STAGE [--jobs N] [--wait]

This is what ``jupyter-book build STAGE --builder html -n -W --keep-going --quiet`` does (the same
configuration from ``_config.yml`` and ``_toc.yml``, nitpicky, warnings as errors, every warning
reported before failing), with two differences:

- Jupyter Book 1's command line offers no ``--jobs``: here Sphinx reads and writes the pages in
  ``N`` processes. The output is the same page for page (``tests/test_sphinx_run.py``).
- ``--wait``: Sphinx starts (imports, configuration, extensions, theme, the saved environment of an
  earlier build), formats the bibliography's entries, prints ``ready`` and then waits for a line
  ``go`` on its standard input before it builds. The build driver starts it so while the chapters
  execute, and says ``go`` once they are staged; any other line, or the end of the input, ends it
  without building. Before ``go``, each line ``read`` reads the pages changed so far (answered by
  ``read N``): in a rebuild the driver stages each chapter's page when it is done, and Sphinx
  reads it while the others still run (:func:`serve_reads`).
- ``--nice N``: run at a lower priority. The driver starts Sphinx while the chapters' kernels
  work; its start-up then takes only the CPU they leave, and after ``go`` it runs alone.
- ``--prepare``: before starting, write the charts' JavaScript if it is missing or stale
  (``nkbook.build.driver.prepare_static``).

The steps are those of Jupyter Book's own ``jupyter_book.sphinx.build_sphinx`` (version 1.0),
split at the point where Sphinx begins to read the pages.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path


def build(stage: Path, jobs: int, wait: bool = False, log: Path | None = None, prepare: bool = False) -> int:
    from jupyter_book.config import get_final_config
    from jupyter_book.pdf import update_latex_documents
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils
    from sphinx_external_toc.parsing import MalformedError, parse_toc_yaml

    stage = stage.absolute()
    if prepare:  # the static file Sphinx's configuration depends on (the build driver's)
        from nkbook.build.driver import prepare_static

        prepare_static(stage)
    toc = stage / "_toc.yml"
    try:
        parse_toc_yaml(toc)
    except (MalformedError, OSError) as exc:
        print(f"{toc}: not a table of contents Jupyter Book can read: {exc}", file=sys.stderr)
        return 1
    overrides = {"external_toc_path": toc.as_posix(), "latex_individualpages": False, "nitpicky": True}
    outdir = stage / "_build" / "html"
    status = open(log, "w", encoding="utf-8") if log else None  # noqa: SIM115 (closed below)
    try:
        config, meta = get_final_config(
            user_yaml=stage / "_config.yml", cli_config=overrides, sourcedir=stage, use_external_toc=True
        )
        with patch_docutils(None), docutils_namespace():
            app = Sphinx(
                srcdir=stage,
                confdir=None,
                outdir=outdir,
                doctreedir=outdir.parent / ".doctrees",
                buildername="html",
                confoverrides=config,
                status=status,
                warning=sys.stderr,
                freshenv=False,
                warningiserror=True,
                tags=(),
                verbosity=0,
                parallel=jobs,
                keep_going=True,
            )
            app.config.latex_documents = update_latex_documents(app.config.latex_documents, meta["latex_doc_overrides"])
            if app.config["use_multitoc_numbering"]:  # as Jupyter Book does
                import yaml

                if "numbered: true" in yaml.dump(app.config.external_site_map.as_json()):
                    app.setup_extension("sphinx_multitoc_numbering")
            if wait:
                from nkbook.build.bibliography import preformat

                done = preformat(app)  # the bibliography's formatting, done while the chapters run
                # What is loaded now (the saved environment, the extensions) stays to the end: the
                # garbage collector's full collections leave it alone (~0.1 s of a rebuild).
                gc.collect()
                gc.freeze()
                print(f"ready ({done} bibliography entries formatted)", flush=True)
                if not serve_reads(app):
                    return 0
            app.build(False, [])
            return int(app.statuscode)
    except (Exception, KeyboardInterrupt) as exc:
        print(f"ERROR: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if status is not None:
            status.close()


def serve_reads(app) -> bool:
    """Wait for the driver: ``read`` reads the pages changed so far (a chapter that finished while
    others run) and answers ``read N``; ``go`` builds (True); anything else stops (False).

    Sphinx supports a second ``read()`` in one process: the build's own reads only the pages
    changed since, and here it also reports the pages read before, so that the build checks,
    saves and writes every page read (a warning of an early read still fails the build: warnings
    are counted for the whole process)."""
    from sphinx.util import logging as sphinx_logging

    builder = app.builder
    early: set[str] = set()
    while True:
        line = sys.stdin.readline().strip()
        if line != "read":
            break
        with sphinx_logging.pending_warnings():
            early.update(builder.read())
        print(f"read {len(early)}", flush=True)
    if line != "go":
        return False
    if early:
        read = builder.read

        def read_and_report_early() -> list[str]:
            return sorted(set(read()) | early)

        builder.read = read_and_report_early
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("stage", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--wait", action="store_true", help="start, then build on a line 'go' on stdin")
    parser.add_argument("--log", type=Path, help="Sphinx's progress messages (which pages it read and wrote)")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="lower this process's priority by N (it starts beside the chapters' kernels)",
    )
    parser.add_argument("--prepare", action="store_true", help="first write the charts' JavaScript if not current")
    args = parser.parse_args(argv)
    if args.nice and hasattr(os, "nice"):
        os.nice(args.nice)
    return build(args.stage, max(1, args.jobs), args.wait, args.log, args.prepare)


if __name__ == "__main__":
    code = main()
    # Everything is written and closed (pages, the saved environment, the log). Tearing down the
    # interpreter, with the doctrees of every page in memory, would take another ~0.4 s that the
    # build waits for: the process ends here instead.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
