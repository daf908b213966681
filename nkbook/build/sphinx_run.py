"""Jupyter Book's HTML build of the staged book, with Sphinx's parallel reading and writing.

    python -m nkbook.build.sphinx_run STAGE [--jobs N]

This is what ``jupyter-book build STAGE --builder html -n -W --keep-going --quiet`` does (the same
configuration from ``_config.yml`` and ``_toc.yml``, nitpicky, warnings as errors, every warning
reported before failing), except that the command line of Jupyter Book 1 offers no ``--jobs``:
here Sphinx reads and writes the pages in ``N`` processes. The output is the same page for page.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def build(stage: Path, jobs: int) -> int:
    from jupyter_book.sphinx import build_sphinx
    from sphinx_external_toc.parsing import MalformedError, parse_toc_yaml

    stage = stage.absolute()
    toc = stage / "_toc.yml"
    try:
        parse_toc_yaml(toc)
    except (MalformedError, OSError) as exc:
        print(f"{toc}: not a table of contents Jupyter Book can read: {exc}", file=sys.stderr)
        return 1
    result = build_sphinx(
        stage,
        stage / "_build" / "html",
        use_external_toc=True,
        noconfig=True,
        path_config=stage / "_config.yml",
        confoverrides={"external_toc_path": toc.as_posix(), "latex_individualpages": False, "nitpicky": True},
        builder="html",
        warningiserror=True,
        keep_going=True,
        quiet=True,
        jobs=jobs,
    )
    if isinstance(result, BaseException):
        print(f"ERROR: {type(result).__name__}: {result}", file=sys.stderr)
        return 1
    return int(result or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    return build(args.stage, max(1, args.jobs))


if __name__ == "__main__":
    sys.exit(main())
