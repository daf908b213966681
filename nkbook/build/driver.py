"""The build driver: data → papermill → Jupyter Book, incremental and all-or-nothing.

1. Read ``chapters.yml`` (the notebooks and their default parameters) and the command's
   overrides; refuse an unknown parameter before anything runs.
2. Validate the data folder against the project's schemas and cross-checks.
3. Execute each chapter with papermill unless its cache key is unchanged. The key covers the
   notebook, its parameters, the data files it read last time, the package code, the data
   schemas, the lock file and the results of the chapters it needs. Independent chapters run in
   parallel (one worker per core by default).
4. Stage the book (config, prose, executed notebooks, generated appendix pages) and run
   Jupyter Book's HTML build (strict: ``-n -W --keep-going``; execution off), its pages read and
   written by Sphinx in parallel (:mod:`nkbook.build.sphinx_run`).
5. Switch the new book in only when everything succeeded: a failing build leaves the previous
   ``_build/html`` as it was.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import copy
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nkbook.build import cache as cache_mod
from nkbook.core import context
from nkbook.core.paths import BUILD_DIR, CHAPTERS_FILE, DATA_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, display_path

BUILD = BUILD_DIR
KERNEL_NAME = "nkbook"
RECORD_TAG = "nkbook-record-modules"  # the driver's own last cell: which package modules the chapter used


class BuildError(Exception):
    """A build that cannot go on; the message says what and where."""


@dataclass
class Chapter:
    name: str
    notebook: Path
    parameters: dict
    part: str = ""
    needs: list[str] = field(default_factory=list)
    cell_timeout: int = 600


# --------------------------------------------------------------------------------------------
# chapters and parameters

_TOP_KEYS = {"cell_timeout", "chapters", "appendix"}
_CHAPTER_KEYS = {"name", "part", "parameters", "needs", "cell_timeout"}


def load_chapters(path: Path = CHAPTERS_FILE) -> tuple[list[Chapter], dict]:
    """Parse ``chapters.yml`` strictly: an unknown key is refused, naming the file and the key.

    A chapter's notebook is always ``notebooks/<name>.md`` (one name everywhere).
    """
    path = Path(path)
    where = display_path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise BuildError(f"{where}{loc}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("chapters"), list):
        raise BuildError(f"{where}: expected a mapping with a 'chapters' list")
    bad = sorted(set(spec) - _TOP_KEYS)
    if bad:
        raise BuildError(f"{where}: unknown key(s) {bad}; allowed: {sorted(_TOP_KEYS)}")
    default_timeout = int(spec.get("cell_timeout", 600))
    chapters = []
    for i, entry in enumerate(spec["chapters"], 1):
        if not isinstance(entry, dict) or "name" not in entry:
            raise BuildError(f"{where}: chapter {i} has no 'name'")
        bad = sorted(set(entry) - _CHAPTER_KEYS)
        if bad:
            raise BuildError(
                f"{where}: chapter {entry['name']!r}: unknown key(s) {bad}; allowed: {sorted(_CHAPTER_KEYS)}"
            )
        chapters.append(
            Chapter(
                name=entry["name"],
                notebook=NOTEBOOKS_DIR / f"{entry['name']}.md",
                parameters=dict(entry.get("parameters") or {}),
                part=str(entry.get("part", "")),
                needs=list(entry.get("needs") or []),
                cell_timeout=int(entry.get("cell_timeout", default_timeout)),
            )
        )
    names = [c.name for c in chapters]
    for c in chapters:
        if not c.notebook.exists():
            raise BuildError(f"{where}: chapter {c.name!r}: notebook {display_path(c.notebook)} not found")
        unknown = [n for n in c.needs if n not in names]
        if unknown:
            raise BuildError(f"{where}: chapter {c.name!r} needs unknown chapter(s) {unknown}")
    return chapters, spec


def notebook_parameters(notebook: Path) -> dict:
    """Names and default values declared in the notebook's cell tagged ``parameters``.

    Read from the text notebook directly (no papermill import): each top-level ``name = value``
    line of that cell, evaluated as a Python literal.
    """
    import ast

    from nkbook.build.notebooks import parameters_cell

    source = parameters_cell(notebook)
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                out[node.targets[0].id] = ast.unparse(node.value)
    return out


def parse_overrides(pairs: list[str]) -> dict[tuple[str | None, str], object]:
    """``key=value`` (every chapter that has ``key``) or ``chapter.key=value``; values are YAML."""
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise BuildError(f"--param {pair!r}: expected name=value")
        key, value = pair.split("=", 1)
        chapter, _, name = key.rpartition(".")
        out[(chapter or None, name.strip())] = yaml.safe_load(value)
    return out


def resolve_parameters(chapters: list[Chapter], overrides: dict, data_dir: Path) -> dict[str, dict]:
    """Final parameters per chapter; refuses names no notebook declares."""
    declared = {c.name: notebook_parameters(c.notebook) for c in chapters}
    for c in chapters:
        bad = [k for k in c.parameters if k not in declared[c.name]]
        if bad:
            raise BuildError(
                f"{display_path(CHAPTERS_FILE)}: chapter {c.name!r} sets unknown parameter(s) "
                f"{bad}; {display_path(c.notebook)} declares {sorted(declared[c.name])}"
            )
    for chapter, name in overrides:
        if chapter is not None and chapter not in declared:
            raise BuildError(f"--param {chapter}.{name}: unknown chapter {chapter!r}; chapters: {sorted(declared)}")
        targets = [chapter] if chapter else list(declared)
        if not any(name in declared[t] for t in targets):
            known = sorted({p for t in targets for p in declared[t]})
            raise BuildError(f"--param {name}: unknown parameter; the notebooks declare {known}")
    final = {}
    for c in chapters:
        params = dict(c.parameters)
        for (chapter, name), value in overrides.items():
            if name in declared[c.name] and chapter in (None, c.name):
                params[name] = value
        if "data_dir" in declared[c.name]:
            params["data_dir"] = str(data_dir)
        final[c.name] = params
    return final


# --------------------------------------------------------------------------------------------
# cache keys


_sha = cache_mod.sha


# --------------------------------------------------------------------------------------------
# executing one chapter (in a thread of the driver; the kernel is its own process)


def _clean_executed(nb: dict, data_dir: Path, params: dict, name: str = "chapter") -> dict:
    """Strip what differs between runs (timestamps, durations, absolute paths). The executed
    notebook is kept as run; how the reader's page shows it is decided at staging
    (:func:`reader_edition`), so a change there re-executes no chapter."""
    nb = copy.deepcopy(nb)
    pm = nb.get("metadata", {}).get("papermill", {})
    shown = {k: (display_path(Path(v)) if k == "data_dir" else v) for k, v in (pm.get("parameters") or {}).items()}
    nb["metadata"]["papermill"] = {"parameters": shown}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {})
        meta.pop("papermill", None)
        meta.pop("execution", None)
        tags = list(meta.get("tags", []))
        if "injected-parameters" in tags:
            cell["source"] = cell["source"].replace(str(data_dir), display_path(data_dir))
            cell["id"] = "injected-parameters"  # papermill gives it a random id
        if cell.get("cell_type") == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
                _scrub_addresses(out)
    return nb


def reader_edition(nb: dict, name: str) -> dict:
    """The page a reader sees: no parameter cells, no code input (outputs stay), and a last
    paragraph linking the chapter's notebook source, its executed notebook and the build appendix."""
    nb = copy.deepcopy(nb)
    shown = nb.get("metadata", {}).get("papermill", {}).get("parameters", {})
    for cell in nb["cells"]:
        meta = cell.setdefault("metadata", {})
        tags = list(meta.get("tags", []))
        if "parameters" in tags or "injected-parameters" in tags:
            tags = tags if "remove-cell" in tags else tags + ["remove-cell"]
        elif cell.get("cell_type") == "code" and not {"remove-cell", "remove-input", "show-input"} & set(tags):
            tags.append("remove-input")
        if tags:
            meta["tags"] = tags
    nb["cells"].append(_provenance_cell(name, shown))
    return nb


def _provenance_cell(name: str, shown: dict) -> dict:
    """The chapter's last lines: where its code is, and the parameters this run used."""
    params = ", ".join(
        f"<code>{k}</code> = <code>{'latest year in the data' if v is None else v}</code>"
        for k, v in shown.items()
        if k != "data_dir"
    )
    text = (
        '<p class="nk-provenance">The code behind this chapter: '
        f'<a href="{name}.md">its notebook source</a> (MyST Markdown) and '
        f'<a href="{name}.ipynb">the executed notebook</a>. '
        + (f"This build ran it with {params}; " if params else "")
        + 'every run\'s inputs are listed in <a href="../book/appendix_build.html">About this build</a>.</p>'
    )
    return {"cell_type": "markdown", "id": "nkbook-provenance", "metadata": {}, "source": text}


_ADDRESS = re.compile(r" at 0x[0-9a-f]{6,16}>")


def _scrub_addresses(output: dict) -> None:
    """Default reprs carry memory addresses ("<Foo at 0x7f...>"), which differ on every run."""
    for mime, value in (output.get("data") or {}).items():
        if mime.endswith("text/plain") and isinstance(value, str) and " at 0x" in value:
            output["data"][mime] = _ADDRESS.sub(">", value)


def execute_chapter(job: dict) -> dict:
    """Run one notebook with papermill, in a thread of the driver (the work is the kernel's, in
    its own process, with its own environment and working folder)."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from nkbook.build import kernels, notebooks
    from nkbook.present import results

    out = Path(job["output"])
    out.parent.mkdir(parents=True, exist_ok=True)
    reads_file = out.with_suffix(".reads")
    reads_file.unlink(missing_ok=True)
    kernel_env = context.run_environment(Path(job["results_dir"]), reads_file, book=True)
    kernel_env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    manager = kernels.kernel_manager_class(kernel_env)
    km = None
    started = time.monotonic()
    try:
        if job.get("gate") is not None:  # started ahead of its upstream chapters
            km = _early_kernel(manager, Path(job["notebook"]).parent, job["name"])
            if not job["gate"].wait():
                return {"ok": True, "skipped": True, "name": job["name"]}
            started = time.monotonic()
        source = notebooks.read(Path(job["notebook"]))
        source.cells.append(
            nbformat.v4.new_code_cell(
                "from nkbook.core import context as _nkbook_context\n_nkbook_context.record_modules()",
                metadata={"tags": [RECORD_TAG]},
            )
        )
        executed = papermill.execute_notebook(
            source,
            str(out),
            parameters=job["parameters"],
            # papermill would otherwise rewrite (and validate) the whole notebook at every cell's
            # start and end: 2.6 s of a 6.7 s chapter. It still writes it once at the end, and
            # with the error marked when a cell fails (the partial output the error names).
            request_save_on_cell_execute=False,
            # every output has arrived when the last cell is done: a graceful shutdown would only
            # wait ~0.4 s per chapter for the kernel to exit
            shutdown_kernel="immediate",
            kernel_name=KERNEL_NAME,
            # the kernel's working folder; not papermill's cwd=, which changes this whole
            # process's (chapters run in threads of it)
            resources={"metadata": {"path": str(Path(job["notebook"]).parent)}},
            kernel_manager_class=manager,
            **({"km": km} if km is not None else {}),
            execution_timeout=job["cell_timeout"],
            progress_bar=False,
            log_output=False,
            report_mode=False,
        )
    except PapermillExecutionError as exc:
        return {
            "ok": False,
            "name": job["name"],
            "partial": str(out),
            "error": f"cell {exc.cell_index} (execution count {exc.exec_count}) raised {exc.ename}: {exc.evalue}",
        }
    except Exception as exc:  # kernel died, timeout, unreadable notebook
        return {"ok": False, "name": job["name"], "partial": str(out), "error": f"{type(exc).__name__}: {exc}".strip()}
    finally:
        if km is not None:
            _stop_kernel(km)
    executed.cells = [c for c in executed.cells if RECORD_TAG not in c.get("metadata", {}).get("tags", [])]
    nbdict = _clean_executed(
        json.loads(json.dumps(executed)), Path(job["parameters"].get("data_dir", ".")), job["parameters"], job["name"]
    )
    data_dir = Path(job["parameters"].get("data_dir", DATA_DIR)).resolve()
    reads = cache_mod.parse_reads(reads_file.read_text().splitlines() if reads_file.exists() else [], data_dir)
    reads_file.unlink(missing_ok=True)
    out.write_text(json.dumps(nbdict, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return {
        "ok": True,
        "name": job["name"],
        "reads": reads,
        "results": results.extract(nbdict),
        "seconds": round(time.monotonic() - started, 1),
    }


def _early_kernel(manager: type | None, cwd: Path, name: str):
    """A chapter's kernel, started and with the chapter's module imported, before its upstream
    chapters are done. The import is silent and kept out of the history: the notebook then runs in
    this kernel exactly as in a new one (its first cell is execution 1)."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = (manager or AsyncKernelManager)(kernel_name=KERNEL_NAME)
    run_sync(km.start_kernel)(cwd=str(cwd))
    kc = km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        module = f"nkbook.chapters.{name}"
        code = (  # binds no name in the notebook's namespace
            "def _nkbook_preload():\n    import importlib, importlib.util\n"
            f"    if importlib.util.find_spec({module!r}):\n        importlib.import_module({module!r})\n"
            "_nkbook_preload()\ndel _nkbook_preload"
        )
        _run_quietly(km, kc, code, timeout=60)
    finally:
        kc.stop_channels()
    return km


def _run_quietly(km, kc, code: str, timeout: float) -> None:
    """Run ``code`` silently and wait for its reply; a kernel that died meanwhile (a build that
    stops ends its kernels) is noticed within half a second, not at the timeout."""
    from queue import Empty

    from jupyter_core.utils import run_sync

    msg_id = kc.execute(code, silent=True, store_history=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = kc.get_shell_msg(timeout=0.5)
        except Empty:
            if not run_sync(km.is_alive)():
                raise RuntimeError("the kernel ended before it was ready") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel did not answer in {timeout:.0f} s") from None
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            return


def _stop_kernel(km) -> None:
    from jupyter_core.utils import run_sync

    if km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)


# --------------------------------------------------------------------------------------------
# the build


def ensure_kernel() -> None:
    """Install the project's named kernel into this environment (once)."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL_NAME in KernelSpecManager().find_kernel_specs():
        return
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ipykernel",
            "install",
            "--sys-prefix",
            "--name",
            KERNEL_NAME,
            "--display-name",
            "Python (nkbook)",
        ],
        check=True,
        capture_output=True,
    )


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def stage_page(stage: Path, name: str, executed: Path) -> bool:
    """A chapter's page in the stage (the reader's edition of its executed notebook); True if it
    changed."""
    page = reader_edition(json.loads(executed.read_text(encoding="utf-8")), name)
    text = json.dumps(page, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return _write_if_changed(stage / "notebooks" / f"{name}.ipynb", text.encode("utf-8"))


def stage_book(
    stage: Path,
    executed: dict[str, Path],
    chapters: list[Chapter],
    spec: dict,
    kept: tuple[str, ...] = (),
) -> None:
    """Assemble the book's source in ``stage``; unchanged files keep their mtime (Sphinx caches)."""
    expected = stage_sources(stage, chapters, spec)
    expected |= set(_write_bundle(stage))
    for c in chapters:
        stage_page(stage, c.name, executed[c.name])
        expected.add(stage / "notebooks" / f"{c.name}.ipynb")
    expected |= {stage / page_rel for page_rel in kept}  # written by another step (_prepare_book)
    for p in list(stage.rglob("*")):  # drop stale sources (a removed chapter)
        if p.is_file() and "_build" not in p.relative_to(stage).parts and p not in expected:
            p.unlink()


def stage_sources(stage: Path, chapters: list[Chapter], spec: dict) -> set[Path]:
    """The part of the stage Sphinx needs to start: configuration, table of contents, the book's
    own pages, bibliography and static files (written before the chapters run)."""
    expected = set()
    _write_if_changed(stage / "_config.yml", (PROJECT_ROOT / "_config.yml").read_bytes())
    _write_if_changed(stage / "_toc.yml", staged_toc(chapters, spec).encode("utf-8"))
    expected |= {stage / "_config.yml", stage / "_toc.yml"}
    for p in sorted((PROJECT_ROOT / "book").rglob("*")):
        if p.is_file() and ".ipynb_checkpoints" not in p.parts:
            rel = p.relative_to(PROJECT_ROOT / "book")
            target = stage / (
                "_static" / rel.relative_to("_static") if rel.parts[0] == "_static" else Path("book") / rel
            )
            raw = p.read_bytes()
            if p.name == "references.bib":  # author-year labels told apart, no internal notes
                from nkbook.build.bibliography import staged_bib

                raw = staged_bib(raw.decode("utf-8")).encode("utf-8")
            _write_if_changed(target, raw)
            expected.add(target)
    return expected


def _write_bundle(stage: Path) -> tuple[Path, Path]:
    """The charts' JavaScript (Vega, Vega-Lite, Vega-Embed from vl-convert), once per version.

    Whether it is current is told without importing the charts (altair): by the installed
    versions of altair and vl-convert and the source of the module that wraps the bundle."""
    bundle = stage / "_static" / "vega-bundle.js"
    marker = stage / "_static" / ".vega-bundle-version"
    version = _bundle_version()
    if not bundle.exists() or not marker.exists() or marker.read_text() != version:
        from nkbook.present import charts

        bundle.parent.mkdir(parents=True, exist_ok=True)  # git keeps no empty folders
        bundle.write_text(charts.javascript_bundle(), encoding="utf-8")
        marker.write_text(version)
    return bundle, marker


def _bundle_version() -> str:
    from importlib import metadata

    charts_source = PROJECT_ROOT / "nkbook" / "present" / "charts.py"
    return (
        f"altair {metadata.version('altair')}; vl-convert-python {metadata.version('vl-convert-python')}; "
        f"charts.py {_sha(charts_source.read_bytes())[:16]}"
    )


def _prepare_book(
    stage: Path,
    chapters: list[Chapter],
    spec: dict,
    code_hash: str,
    jobs: int,
    started: list[subprocess.Popen],
) -> subprocess.Popen:
    """Stage what does not depend on the chapters or the data (the book's own sources), then start
    Sphinx, which writes the charts' JavaScript if it is not current (:func:`prepare_static`) and
    gets ready; it waits for the chapters. Done while the data are validated.

    The JavaScript bundle, when it must be made, is made in Sphinx's process, which would
    otherwise hold this one's interpreter while the chapters' threads drive their kernels."""
    from nkbook.build import kernels

    kernels.wait_ready(10)  # the chapters' first kernels come first: this waits for their zygote
    stage_sources(stage, chapters, spec)
    proc = start_sphinx(stage, code_hash, jobs, prepare=True)
    started.append(proc)
    return proc


def _stage_appendix(stage: Path, data_path: Path, frames: dict, run_info: dict) -> None:
    """The appendix pages, from the validated frames (~25 ms: neither altair nor the chapters);
    written before Sphinx reads any page."""
    from nkbook.build import appendix

    for page_rel, text in appendix.pages(data_path, frames, run_info).items():
        _write_if_changed(stage / page_rel, text.encode("utf-8"))


def prepare_static(stage: Path) -> None:
    """In Sphinx's process, before it starts: the charts' JavaScript, when it is missing or stale.

    Sphinx's configuration depends on the static files that exist when it starts (the charts'
    JavaScript among them), so it is written first; the chapters' pages come later, and Sphinx
    reads no page before :func:`finish_sphinx`."""
    _write_bundle(stage)


class _Workers:
    """The chapters' executors: ``jobs`` threads, each driving one chapter's kernel through
    papermill (the kernels are the processes that work), one more thread for a chapter whose
    kernel starts ahead of its upstream (``ahead=True``: it waits at its gate, idle, while the
    ``jobs`` threads run), and the zygote the kernels fork from (:mod:`nkbook.build.kernels`).
    Started ahead of need when a chapter will run, so that their start-up (importing papermill,
    the zygote's imports) overlaps the data validation; at the latest with the first chapter.
    Stopped when the chapters are done, or with the build."""

    def __init__(self, stack: contextlib.ExitStack, work: Path, jobs: int):
        self.work, self.jobs = work, jobs
        self.kernels = "none started"  # where the chapters' kernels came from
        self.kept = False  # their zygote was kept from the last build (it is ready)
        self.pool: cf.ThreadPoolExecutor | None = None
        self.ahead: cf.ThreadPoolExecutor | None = None
        self.inner = contextlib.ExitStack()
        stack.push(self.inner)

    def start(self) -> None:
        if self.pool is not None:
            return
        from nkbook.build import kernels

        ensure_kernel()
        zygote = None
        if kernels.enabled():
            zygote = self.inner.enter_context(kernels.Zygote(self.work / "kernels"))
            self.kept = zygote.kept
            self.kernels = "zygote kept from the last build" if zygote.kept else "zygote started"
        else:
            self.kernels = "fresh processes (NKBOOK_FORK_KERNELS=0)"
        self.pool = cf.ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="nkbook-chapter")
        self.inner.callback(self.pool.shutdown, wait=True, cancel_futures=True)
        self.ahead = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nkbook-ahead")
        self.inner.callback(self.ahead.shutdown, wait=True, cancel_futures=True)
        if zygote is not None:
            # first, when the build stops early: a chapter still running ends now (its kernel is
            # ended), instead of the build waiting for it (a chapter started before validation)
            self.inner.callback(zygote.release)
        self.pool.submit(_warm_worker)

    def submit(self, job: dict, ahead: bool = False) -> cf.Future:
        self.start()
        assert self.pool is not None and self.ahead is not None
        return (self.ahead if ahead else self.pool).submit(execute_chapter, job)

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.inner.close()


class _Gate:
    """A chapter's kernel started ahead of its upstream waits here: run, or stop (its stored result
    is still good, or an upstream chapter failed)."""

    def __init__(self) -> None:
        import threading

        self._event = threading.Event()
        self.run = False

    def open(self, run: bool) -> None:
        self.run = run
        self._event.set()

    def wait(self) -> bool:
        self._event.wait()
        return self.run


def _close_gates(gates: dict[str, _Gate]) -> None:
    for gate in gates.values():
        gate.open(run=False)


def _names(running: dict) -> set[str]:
    return {c.name for c, _ in running.values()}


def _warm_worker() -> None:
    """The imports every chapter's execution needs, done while the data are validated."""
    import jupytext  # noqa: F401
    import papermill  # noqa: F401

    from nkbook.build import kernels

    if kernels.enabled():
        kernels._classes()


def _stale_roots(chapters: list[Chapter], cache: Path, final: dict, data_path: Path, env: str) -> list[Chapter]:
    """The chapters that need no other one and will run (their cache key changed)."""
    stale = []
    for c in chapters:
        if c.needs:
            continue
        meta_path = cache / f"{c.name}.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        key = cache_mod.chapter_key(c.notebook, final[c.name], data_path, meta.get("reads"), {}, env)
        if not key or meta.get("key") != key or not (cache / f"{c.name}.ipynb").exists():
            stale.append(c)
    return stale


def staged_toc(chapters: list[Chapter], spec: dict) -> str:
    """The book's table of contents, generated from ``chapters.yml`` (its single source).

    Chapters are grouped into parts in the order they are listed; the appendix pages follow.
    A subset build lists only the chapters being built.
    """
    parts: list[dict] = []
    for c in chapters:
        caption = c.part or "Chapters"
        if not parts or parts[-1]["caption"] != caption:
            parts.append({"caption": caption, "chapters": []})
        parts[-1]["chapters"].append({"file": f"notebooks/{c.name}"})
    appendix = [{"file": str(f)} for f in spec.get("appendix", [])]
    if appendix:
        parts.append({"caption": "Appendix", "chapters": appendix})
    toc = {"format": "jb-book", "root": "book/intro", "parts": parts}
    return "# Generated from chapters.yml by the build; do not edit.\n" + yaml.safe_dump(
        toc, sort_keys=False, allow_unicode=True
    )


def validate(data_dir: str | os.PathLike | None = None) -> dict:
    """Validate a data folder: every schema, the cross-file checks, and the claims register."""
    from nkbook.analysis.claims.register import check_readings, check_register

    def register(frames: dict) -> list:
        problems = check_register(frames["claims"]) if "claims" in frames else []
        if "claims" in frames and "claims_readings" in frames:
            problems += check_readings(frames["claims_readings"], frames["claims"])
        return problems

    from nkbook import data as nkdata

    return nkdata.validate_folder(data_dir, extra_checks=[register])


def start_sphinx(stage: Path, code_hash: str, jobs: int | None = None, prepare: bool = False) -> subprocess.Popen:
    """Start Jupyter Book's HTML build of ``stage`` (strict: ``-n -W --keep-going``; pages read and
    written in parallel, :mod:`nkbook.build.sphinx_run`). It writes the static pages
    (``prepare``: :func:`prepare_static`), gets ready (imports, configuration, extensions, the
    saved environment), says so and waits: :func:`finish_sphinx` lets it build.

    Sphinx rebuilds only changed pages, so its cache is dropped when the package (our Sphinx
    extension, the figures) changed, and after any failure: otherwise a page whose warning failed
    a build would not be re-read, and a strict rebuild would pass without it."""
    marker = stage / "_build" / ".nkbook-code"
    if (stage / "_build").exists() and (not marker.exists() or marker.read_text() != code_hash):
        shutil.rmtree(stage / "_build")
    # Sphinx does not overwrite a static file that is already in its output: an edited stylesheet
    # or script would never reach the book. The static folder is copied afresh on every run.
    shutil.rmtree(stage / "_build" / "html" / "_static", ignore_errors=True)
    cmd = [sys.executable, "-m", "nkbook.build.sphinx_run", str(stage), "--jobs", str(jobs or os.cpu_count() or 1)]
    cmd += ["--log", str(stage.parent / "sphinx.log"), "--wait"]  # the log: which pages it read and wrote
    cmd += ["--nice", "10"]  # its start-up gives way to the chapters' kernels; after "go" it runs alone
    if prepare:
        cmd += ["--prepare"]
    errors = open(stage.parent / "sphinx.err", "w+", encoding="utf-8")  # noqa: SIM115 (closed in finish)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True)
    proc.errors_file = errors  # type: ignore[attr-defined]
    return proc


def wait_sphinx_ready(proc: subprocess.Popen) -> None:
    """Until the started Sphinx said it is ready (or ended: :func:`finish_sphinx` says why)."""
    assert proc.stdout is not None
    if not getattr(proc, "nkbook_ready", False):
        proc.stdout.readline()
        proc.nkbook_ready = True  # type: ignore[attr-defined]


class _Pager:
    """In a rebuild, each chapter's page goes to the started Sphinx as soon as the chapter is done,
    and Sphinx reads it while the other chapters still run (``read``:
    :func:`nkbook.build.sphinx_run.serve_reads`); the appendix pages, staged before Sphinx
    started, are read as soon as it is ready. After the chapters, the build then reads only what
    changed last (~0.4 s less of a one-file rebuild).

    Only when Sphinx starts from the saved environment of the last build and every chapter's page
    is staged already (a cold build, or one with a new chapter, reads every page after the
    chapters, as before). One thread does it, so a page is never written while Sphinx reads: it
    notes a page's time after reading it, and a page changed during the read would be missed."""

    def __init__(self, prepared: cf.Future | None, stage: Path, chapters: list[Chapter]):
        self.prepared, self.stage, self.chapters = prepared, stage, chapters
        self.on: bool | None = None  # decided once Sphinx is ready
        self.pages_read = 0  # pages Sphinx read before the chapters were done
        self.pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nkbook-pages") if prepared else None
        self.tasks: list[cf.Future] = []
        if self.pool is not None:
            self.tasks.append(self.pool.submit(self._read))

    def page_done(self, name: str, executed: Path) -> None:
        if self.pool is not None:
            self.tasks.append(self.pool.submit(self._stage, name, executed))

    def _sphinx(self) -> subprocess.Popen | None:
        assert self.prepared is not None
        proc = self.prepared.result()
        wait_sphinx_ready(proc)
        if self.on is None:
            saved = (self.stage / "_build" / ".doctrees" / "environment.pickle").exists()
            pages = all((self.stage / "notebooks" / f"{c.name}.ipynb").exists() for c in self.chapters)
            self.on = proc.poll() is None and saved and pages
        return proc if self.on else None

    def _stage(self, name: str, executed: Path) -> None:
        if self._sphinx() is not None and stage_page(self.stage, name, executed):
            self._read()

    def _read(self) -> None:
        proc = self._sphinx()
        if proc is None:
            return
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write("read\n")
            proc.stdin.flush()
            answer = proc.stdout.readline().split()
        except (OSError, ValueError):  # it ended: finish_sphinx says why
            answer = []
        if answer[:1] == ["read"]:
            self.pages_read = int(answer[1])
        else:
            self.on = False

    def close(self) -> None:
        """Wait until Sphinx has read every page it was given (before the build stages the rest)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            for task in self.tasks:
                task.result()


def finish_sphinx(proc: subprocess.Popen, stage: Path, code_hash: str) -> None:
    """Let the started build read and write the pages; a failure names every warning."""
    proc.nkbook_go = True  # type: ignore[attr-defined]
    stdout, _ = proc.communicate("go\n")
    errors = proc.errors_file  # type: ignore[attr-defined]
    errors.seek(0)
    stderr = errors.read()
    errors.close()
    if proc.returncode != 0:
        shutil.rmtree(stage / "_build", ignore_errors=True)
        log = (stdout + stderr).strip().splitlines()
        relevant = [line for line in log if "WARNING" in line or "ERROR" in line or "Error" in line] or log[-30:]
        raise BuildError(
            "jupyter-book build failed (strict mode: warnings are errors):\n  " + "\n  ".join(relevant[:40])
        )
    (stage / "_build" / ".nkbook-code").write_text(code_hash)


def _end_sphinx(procs: list[subprocess.Popen], exc_type: Any, *_: Any) -> bool:
    """With the build: a Sphinx that was not needed is told to stop; after an error (bad data, a
    failed chapter) it is ended at once, without waiting for it to be ready. It has written only
    the charts' JavaScript by then, and that before the marker that says which version it is."""
    for proc in procs:
        if exc_type is not None and proc.poll() is None and not getattr(proc, "nkbook_go", False):
            proc.kill()
            proc.wait()
            if proc.stdin is not None:
                proc.stdin.close()
            if proc.stdout is not None:
                proc.stdout.close()
            errors = getattr(proc, "errors_file", None)
            if errors is not None and not errors.closed:
                errors.close()
        else:
            _stop(proc)
    return False


def _stop(proc: subprocess.Popen) -> None:
    """End a started Sphinx that was not needed (nothing changed, or the build failed first)."""
    if proc.poll() is None:
        try:
            proc.communicate("stop\n", timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    errors = getattr(proc, "errors_file", None)
    if errors is not None and not errors.closed:
        errors.close()


def _book_key(stage: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(stage.rglob("*")):
        if p.is_file() and "_build" not in p.relative_to(stage).parts:
            h.update(str(p.relative_to(stage)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with two renames; the old book stays until the new one is whole."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old)


def build(
    data_dir: str | os.PathLike | None = None,
    params: list[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    root: Path | None = None,
    chapters_file: Path | None = None,
    pdf: bool | None = None,
    log=print,
    executor=None,
    render: bool = True,
) -> dict:
    """Build the book into ``root/html`` (default ``_build/html``). Returns the run record.

    ``record["executed"]`` and ``record["cached"]`` name the chapters that ran and those reused.
    ``executor``: a stand-in for :func:`execute_chapter` called in this process (tests observe the
    cache decisions without starting kernels). ``render=False`` stops after the chapters ran.

    ``pdf``: also print the whole book to ``book.pdf`` (None: when Debian's chromium is installed).
    Raises BuildError or DataError on failure, leaving the previous book untouched.
    """
    with contextlib.ExitStack() as stack:  # the processes started ahead of need end with the build
        return _build(stack, data_dir, params, force, jobs, root, chapters_file, pdf, log, executor, render)


def _build(
    stack: contextlib.ExitStack,
    data_dir: str | os.PathLike | None,
    params: list[str] | None,
    force: bool,
    jobs: int | None,
    root: Path | None,
    chapters_file: Path | None,
    pdf: bool | None,
    log,
    executor,
    render: bool,
) -> dict:
    t0 = time.monotonic()
    data_path = Path(data_dir).resolve() if data_dir else DATA_DIR
    root = Path(root) if root else BUILD
    chapters_path = Path(chapters_file) if chapters_file else CHAPTERS_FILE
    chapters, spec = load_chapters(chapters_path)
    overrides = parse_overrides(params or [])
    final = resolve_parameters(chapters, overrides, data_path)
    if not data_path.is_dir():
        raise BuildError(f"--data-dir {data_path}: no such folder")
    noop = None
    if not force and executor is None and render:
        noop = _noop_key(root, chapters, chapters_path, final, data_path, pdf)
        stamp_file = root / "last-noop-key"
        if noop and stamp_file.exists() and stamp_file.read_text() == noop and (root / "html").is_dir():
            noop_record: dict[str, Any] = {
                "executed": [],
                "cached": [c.name for c in chapters],
                "seconds": {},
                "chapters": [c.name for c in chapters],
                "sphinx": "skipped (nothing changed)",
                "data": "not re-validated (every file matches the last validated state)",
                "html": display_path(root / "html"),
                "total_seconds": round(time.monotonic() - t0, 2),
            }
            return noop_record
    out = root / "html"
    work = root / "work"
    cache = root / "cache"
    env = cache_mod.environment_hash()
    jobs = jobs or os.cpu_count() or 1
    workers = _Workers(stack, work, jobs)
    results_dir = work / "results"

    def job_for(c: Chapter) -> dict:
        return {
            "name": c.name,
            "notebook": str(c.notebook),
            "parameters": final[c.name],
            "output": str(work / "executed" / f"{c.name}.ipynb"),
            "results_dir": str(results_dir),
            "cell_timeout": c.cell_timeout,
        }

    early: dict[str, cf.Future] = {}  # chapters started while the data are validated
    if executor is None:
        roots = [c for c in chapters if not c.needs] if force else _stale_roots(chapters, cache, final, data_path, env)
        if roots:
            workers.start()  # their start-up (imports, the kernel zygote) overlaps validation
        if roots and workers.kept:
            # A rebuild whose kernels' zygote is ready: the first chapters to run start now, while
            # the data are validated. What they produce counts only once validation and the
            # parameters' check have passed; on an error their kernels are ended at once and
            # nothing of theirs is kept (the cache and the book are written after the loop below).
            for c in roots[: workers.jobs]:
                early[c.name] = workers.submit(job_for(c))
    pkg = cache_mod.code_hash()
    stage = work / "stage"
    run_info = {
        "data_dir": display_path(data_path),
        "parameters": {
            c.name: {k: (display_path(Path(v)) if k == "data_dir" else v) for k, v in final[c.name].items()}
            for c in chapters
        },
    }
    # What depends on neither the chapters nor the data is staged while the data are validated and
    # the chapters run (configuration, the book's own pages; in Sphinx's process the charts'
    # JavaScript), and Sphinx gets ready to read them.
    started: list[subprocess.Popen] = []
    stack.push(functools.partial(_end_sphinx, started))  # runs after the thread below has ended
    prep = stack.enter_context(cf.ThreadPoolExecutor(max_workers=1))
    prepared = prep.submit(_prepare_book, stage, chapters, spec, pkg, jobs, started) if render else None
    phases: dict[str, float] = {}
    t_phase = time.monotonic()
    frames = validate(data_path)  # raises DataError before any chapter's result is kept
    phases["validate"] = round(time.monotonic() - t_phase, 2)
    log(f"data: {len(frames)} datasets in {display_path(data_path)} are valid")
    from nkbook.data import parameters

    bad = [p for c in chapters for p in parameters.check(c.name, final[c.name], frames)]
    if bad:
        done_what = "the chapters started early were stopped" if early else "nothing was run"
        raise BuildError(f"invalid parameters; {done_what} and the previous book is unchanged:\n  " + "\n  ".join(bad))

    if results_dir.exists():
        shutil.rmtree(results_dir)
    results_dir.mkdir(parents=True)
    if render:
        _stage_appendix(stage, data_path, frames, run_info)
    pager = _Pager(prepared, stage, chapters)
    stack.callback(pager.close)  # on an error too: before Sphinx is stopped
    record: dict[str, Any] = {"executed": [], "cached": [], "seconds": {}, "phases": phases}
    t_phase = time.monotonic()
    done: dict[str, dict] = {}
    pending = list(chapters)
    failures: list[dict] = []
    running: dict[cf.Future, tuple[Chapter, dict | None]] = {}
    gates: dict[str, _Gate] = {}  # chapters whose kernel started before their upstream finished

    def decide(c: Chapter) -> tuple[bool, dict]:
        """Its upstream done: is the chapter's stored result still good (and its upstream)?"""
        meta_path = cache / f"{c.name}.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        upstream = {n: done[n]["results_hash"] for n in c.needs}
        key = cache_mod.chapter_key(c.notebook, final[c.name], data_path, meta.get("reads"), upstream, env)
        hit = not force and bool(key) and meta.get("key") == key and (cache / f"{c.name}.ipynb").exists()
        if hit:
            done[c.name] = meta
            record["cached"].append(c.name)
            _write_results(results_dir, c.name, meta)
        return hit, upstream

    with workers, contextlib.ExitStack() as gates_stack:
        # a chapter whose upstream failed: its waiting kernel stops (before the workers are joined)
        gates_stack.callback(_close_gates, gates)
        while (pending or running) and not failures:
            for c in [c for c in pending if all(n in done for n in c.needs)]:
                pending.remove(c)
                hit, upstream = decide(c)
                gate = gates.pop(c.name, None)
                if gate is not None:  # its kernel is ready and waiting
                    gate.open(run=not hit)
                    running[next(f for f, (g, _) in running.items() if g is c)] = (c, upstream)
                    if not hit:
                        log(f"execute: {display_path(c.notebook)}")
                    continue
                if hit:
                    continue  # (a chapter started early whose result holds after all: not used)
                log(f"execute: {display_path(c.notebook)}")
                if c.name in early:
                    fut: cf.Future = early.pop(c.name)
                elif executor is not None:
                    fut = cf.Future()
                    fut.set_result(executor(job_for(c)))
                else:
                    fut = workers.submit(job_for(c))
                running[fut] = (c, upstream)
            # A chapter waiting only for chapters the workers run now (submitted, and no more of
            # them than there are workers): its kernel starts now, in the thread kept for that, and
            # imports its module, so that it runs the moment they are done. One at a time.
            if executor is None and not gates:
                for c in pending:
                    left = [n for n in c.needs if n not in done]
                    if set(left) <= _names(running) and len(left) <= workers.jobs:
                        gates[c.name] = _Gate()
                        running[workers.submit(dict(job_for(c), gate=gates[c.name]), ahead=True)] = (c, None)
                        break
            if not running:
                if any(all(n in done for n in c.needs) for c in pending):
                    continue  # reused chapters made others ready
                if pending:
                    raise BuildError(f"chapters.yml: circular 'needs' among {[c.name for c in pending]}")
                break
            finished, _ = cf.wait(
                [f for f, (_, up) in running.items() if up is not None], return_when=cf.FIRST_COMPLETED
            )
            for fut in finished:
                c, up_hashes = running.pop(fut)
                res = fut.result()
                if res.get("skipped"):
                    continue
                if not res["ok"]:
                    failures.append(res)
                    continue
                assert up_hashes is not None
                upstream = up_hashes
                cache.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(work / "executed" / f"{c.name}.ipynb", cache / f"{c.name}.ipynb")
                meta = {
                    "reads": res["reads"],
                    "results": res["results"],
                    "results_hash": _sha(json.dumps(res["results"], sort_keys=True).encode()),
                }
                meta["key"] = cache_mod.chapter_key(c.notebook, final[c.name], data_path, res["reads"], upstream, env)
                (cache / f"{c.name}.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
                done[c.name] = meta
                pager.page_done(c.name, cache / f"{c.name}.ipynb")
                record["executed"].append(c.name)
                record["seconds"][c.name] = res["seconds"]
                _write_results(results_dir, c.name, meta)
    if failures:
        lines = []
        for f in failures:
            nb = display_path(next(c.notebook for c in chapters if c.name == f["name"]))
            partial = display_path(Path(f["partial"]))
            lines.append(f"{nb}: {f['error']}\n  partial output: {partial}")
        raise BuildError("notebook failed; the previous book is unchanged:\n" + "\n".join(lines))

    record["chapters"] = [c.name for c in chapters]
    record["kernels"] = workers.kernels
    phases["execute"] = round(time.monotonic() - t_phase, 2)
    if not render:
        record["sphinx"] = "not run (render=False)"
        record["total_seconds"] = round(time.monotonic() - t0, 2)
        return record
    executed = {c.name: cache / f"{c.name}.ipynb" for c in chapters}
    assert prepared is not None
    from nkbook.build.appendix import PAGES

    sphinx = prepared.result()
    pager.close()
    record["pages_read_early"] = pager.pages_read
    wait_sphinx_ready(sphinx)  # its static pages are written
    stage_book(stage, executed, chapters, spec, kept=PAGES)
    from nkbook.build.pdf import chromium

    want_pdf = pdf is True or (pdf is None and chromium() is not None)
    key = _book_key(stage) + ":" + pkg + (":pdf" if want_pdf else "")  # the build and present layers render too
    stamp = out / ".nkbook-build"
    record["chapters"] = [c.name for c in chapters]
    if not force and out.exists() and stamp.exists() and stamp.read_text() == key:
        record["sphinx"] = "skipped (nothing changed)"
    else:
        t_phase = time.monotonic()
        finish_sphinx(sphinx, stage, pkg)
        phases["sphinx"] = round(time.monotonic() - t_phase, 2)
        new = out.with_name(out.name + ".new")
        if new.exists():
            shutil.rmtree(new)
        shutil.copytree(stage / "_build" / "html", new)
        _publish_extras(new, data_path, results_dir)
        t_phase = time.monotonic()
        record["pdf"] = _make_pdf(stage, new, want_pdf if pdf is None else pdf, log)
        phases["pdf"] = round(time.monotonic() - t_phase, 2)
        (new / ".nkbook-build").write_text(key)
        swap_in(new, out)
        record["sphinx"] = "built"
    record["total_seconds"] = round(time.monotonic() - t0, 2)
    record["html"] = display_path(out)
    (root / "last-run.json").write_text(json.dumps(record, indent=1, sort_keys=True))
    if executor is None:  # after every real build (a cold or forced one too): the next no-op is quick
        after = _noop_key(root, chapters, chapters_path, final, data_path, pdf)
        if after:
            (root / "last-noop-key").write_text(after)
    return record


def _noop_key(
    root: Path, chapters: list[Chapter], chapters_path: Path, final: dict, data_path: Path, pdf: bool | None
) -> str | None:
    """One key over everything a build reads, computed without importing anything heavy.

    It covers every chapter's cache key (from its stored record), every data file and the
    descriptor (the validated state: when any file changed, the data is validated in full again),
    the chapters file, the book's sources and configuration, the rendering code and the PDF
    choice. Equal to the last successful build's key: nothing to do, not even validation.
    """
    from nkbook.build.pdf import chromium

    cache = root / "cache"
    env = cache_mod.environment_hash()
    parts: dict[str, Any] = {
        "env": env,
        "code": cache_mod.code_hash(),
        "pdf": pdf is True or (pdf is None and chromium() is not None),
    }
    metas = {}
    for c in chapters:
        meta_path = cache / f"{c.name}.json"
        if not meta_path.exists() or not (cache / f"{c.name}.ipynb").exists():
            return None
        metas[c.name] = meta = json.loads(meta_path.read_text())
        if any(n not in metas for n in c.needs):
            return None
        upstream = {n: metas[n]["results_hash"] for n in c.needs}
        key = cache_mod.chapter_key(c.notebook, final[c.name], data_path, meta.get("reads"), upstream, env)
        if not key or key != meta.get("key"):
            return None
        parts[f"chapter:{c.name}"] = key
    files = [chapters_path, PROJECT_ROOT / "_config.yml", cache_mod.descriptor_path()]
    files += sorted(p for p in (PROJECT_ROOT / "book").rglob("*") if p.is_file())
    files += sorted(p for p in data_path.iterdir() if p.is_file())
    parts["files"] = {str(p): cache_mod.file_sha(p) for p in files}
    parts["parameters"] = final
    return _sha(json.dumps(parts, sort_keys=True, default=str).encode())


def _make_pdf(stage: Path, site: Path, wanted: bool | None, log) -> str:
    from nkbook.build import pdf as nkpdf

    if wanted is False or (wanted is None and nkpdf.chromium() is None):
        return "skipped" if wanted is False else "skipped (no chromium: apt-get install chromium)"
    try:
        charts_drawn = nkpdf.make_pdf(stage, site / "book.pdf")
    except Exception as exc:
        shutil.rmtree(site, ignore_errors=True)
        raise BuildError(f"the PDF could not be made; the previous book is unchanged: {exc}") from exc
    log(f"pdf: book.pdf with {charts_drawn} charts")
    return "built"


def _write_results(results_dir: Path, name: str, meta: dict) -> None:
    payload = {"chapter": name, "results": meta["results"]}
    (results_dir / f"{name}.json").write_text(
        json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )


_ASSET_VERSION = re.compile(r'(_static/[^"?]+)\?v=[0-9a-f]+"')


def _prune_search_index(path: Path) -> None:
    """Drop the terms that point to no page. An incremental Sphinx build keeps a term whose pages
    all stopped using it (with an empty list), a fresh build never writes it: without the pruning
    the two search indexes differ although they find exactly the same pages."""
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("(")
    body, _, tail = rest.rpartition(")")
    try:
        index = json.loads(body)
    except ValueError:
        return  # not the format this knows: leave it as Sphinx wrote it
    for key in ("terms", "titleterms"):
        if isinstance(index.get(key), dict):
            index[key] = {t: docs for t, docs in index[key].items() if docs not in ([], {})}
    path.write_text(f"{head}({json.dumps(index, sort_keys=True, ensure_ascii=False)}){tail}", encoding="utf-8")


def _publish_extras(site: Path, data_path: Path, results_dir: Path) -> None:
    """Downloads beside the pages: the data the build read, and every chapter's results.

    Sphinx appends ``?v=<checksum>`` to a static file's URL only when the file already exists in the
    output, so an incremental and a fresh build write different pages; the query is dropped to make
    every build of the same inputs identical.
    """
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned = _ASSET_VERSION.sub(r'\1"', text)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")
    _prune_search_index(site / "searchindex.js")
    data_out = site / "data"
    data_out.mkdir(exist_ok=True)
    from nkbook import data as nkdata

    for res in nkdata.resources().values():
        src = data_path / res["path"]
        if src.exists():
            shutil.copyfile(src, data_out / res["path"])
    shutil.copyfile(nkdata.DESCRIPTOR, data_out / "datapackage.json")
    shutil.copytree(results_dir, site / "results", dirs_exist_ok=True)
    for nb in sorted((site.parent / "cache").glob("*.ipynb")):
        (site / "notebooks").mkdir(exist_ok=True)
        shutil.copyfile(nb, site / "notebooks" / nb.name)
        src = NOTEBOOKS_DIR / f"{nb.stem}.md"
        if src.exists():
            shutil.copyfile(src, site / "notebooks" / src.name)
