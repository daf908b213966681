"""What a chapter knows about the run it is part of: the only channel from the driver to a kernel.

The build driver executes each chapter notebook in its own kernel (papermill), so it cannot pass
Python objects. It sets three environment variables before the kernel starts, and this module is
the only place that reads them:

``NKBOOK_RESULTS_DIR``
    where this build keeps every chapter's results (``results/<chapter>.json``); a chapter that
    needs another's results reads them from there.
``NKBOOK_READS_FILE``
    a file to which every input a chapter reads is appended, one line each: ``data <path>`` for a
    data file, ``file <path>`` for any other project file (the bibliography), ``module <name>``
    for a package module. The driver turns these into the chapter's cache key.
``NKBOOK_BOOK``
    ``1`` when the notebook is executed for the book: figures are written as book figures
    (offline chart blocks) rather than as notebook output.

Outside a build (a notebook opened in JupyterLab, a test calling ``compute()``) none is set:
results come from ``_build/html/results``, nothing is recorded, and figures show as notebook output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .paths import BUILD_DIR

RESULTS_ENV = "NKBOOK_RESULTS_DIR"
READS_ENV = "NKBOOK_READS_FILE"
BOOK_ENV = "NKBOOK_BOOK"


def run_environment(results_dir: Path, reads_file: Path, book: bool = True) -> dict[str, str]:
    """The variables the driver sets for one chapter's kernel."""
    return {RESULTS_ENV: str(results_dir), READS_ENV: str(reads_file), BOOK_ENV: "1" if book else "0"}


def results_dir(default: str | os.PathLike | None = None) -> Path:
    """Where the current build keeps the chapters' results."""
    env = os.environ.get(RESULTS_ENV)
    if env:
        return Path(env)
    if default is not None:
        return Path(default)
    return BUILD_DIR / "html" / "results"


def in_book() -> bool:
    return os.environ.get(BOOK_ENV) == "1"


def _append(kind: str, value: str) -> None:
    target = os.environ.get(READS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"{kind} {value}\n")


def record_data_read(path: Path) -> None:
    """A data file was read (its checksum goes into the chapter's cache key)."""
    _append("data", str(Path(path).resolve()))


def record_file_read(path: Path) -> None:
    """A non-data project file was read (for example ``book/references.bib``)."""
    _append("file", str(Path(path).resolve()))


def record_modules() -> None:
    """Record every ``nkbook`` module loaded in this process (called once a chapter has run)."""
    for name in sorted(sys.modules):
        if name == "nkbook" or name.startswith("nkbook."):
            _append("module", name)
