"""Generated appendix pages: the data and their sources, and what produced this build."""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd

from nkbook import data as nkdata
from nkbook.core.paths import PROJECT_ROOT
from nkbook.present.notes import derived_quarters_sentence

KEY_PACKAGES = [
    "jupyter-book",
    "myst-nb",
    "sphinx",
    "papermill",
    "pandas",
    "numpy",
    "statsmodels",
    "altair",
    "vl-convert-python",
    "sphinxcontrib-bibtex",
]


def _coverage(frame: pd.DataFrame) -> str:
    for col in ("year", "last_year", "survey_year", "as_of", "date"):
        if col in frame.columns:
            values = frame[col].dropna()
            if values.empty:
                continue
            if col in ("as_of",) or str(values.dtype).startswith("datetime"):
                lo, hi = pd.Timestamp(values.min()).date(), pd.Timestamp(values.max()).date()
            else:
                lo, hi = values.min(), values.max()
            return f"{lo} to {hi}"
    return "see the table"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _computed_notes(name: str, frame: pd.DataFrame | None) -> list[str]:
    """Sentences about a file computed from its rows (so the appendix agrees with the chapters)."""
    if name == "arrivals_quarterly" and frame is not None:
        return [derived_quarters_sentence(frame), ""]
    return []


def data_page(data_dir: Path, frames: dict[str, pd.DataFrame]) -> str:
    lines = [
        "# Data and sources",
        "",
        "Every dataset the chapters read, with its coverage, its sources and the checksum of the file this "
        "build read. The descriptor `data/datapackage.json` (Frictionless Data Package) holds the full schemas. "
        "Each file can be downloaded as it was read "
        '(<a href="../data/datapackage.json">descriptor</a>). '
        "Where sources disagree, the files keep every variant and say which one the analysis uses "
        "(`used` column); values that no source published are left empty, never interpolated.",
        "",
    ]
    for name, res in nkdata.resources().items():
        path = data_dir / res["path"]
        frame = frames.get(name)
        checksum = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
        cites = sorted({s["bib"] for s in res.get("sources", []) if s.get("bib")})
        lines += [
            f"## {res.get('title', name)}",
            "",
            _cell(res.get("description", "")),
            "",
            *_computed_notes(name, frame),
            "| | |",
            "|---|---|",
            f'| File | <a href="../data/{res["path"]}" download>{res["path"]}</a> |',
            f"| Rows | {len(frame) if frame is not None else '—'} |",
            f"| Coverage | {_coverage(frame) if frame is not None else '—'} |",
            f"| Sources | {', '.join(f'{{cite:t}}`{c}`' for c in cites) or '—'} |",
            f"| Accessed | {', '.join(sorted({s.get('accessed', '') for s in res.get('sources', [])})) or '—'} |",
            f"| License | {_cell('; '.join(lic.get('title', lic.get('name', '')) for lic in res.get('licenses', [])))} |",
            f"| SHA-256 | `{checksum}` |",
            "",
        ]
        if frame is not None and "source" in frame.columns:
            keys = sorted({k.strip() for cell in frame["source"].dropna() for k in str(cell).split(";") if k.strip()})
            extra = [k for k in keys if k not in cites]
            if extra:
                lines += [f"Row-level sources: {', '.join(f'{{cite:t}}`{k}`' for k in extra)}.", ""]
    return "\n".join(lines) + "\n"


def build_page(data_dir: Path, run_info: dict) -> str:
    lock = PROJECT_ROOT / "uv.lock"
    lock_hash = hashlib.sha256(lock.read_bytes()).hexdigest() if lock.exists() else "no lock file"
    lines = [
        "# About this build",
        "",
        "What produced the pages you are reading. A rebuild from the same inputs gives the same pages; "
        "`make check-results` compares this build's numbers with the published ones.",
        "",
        "## Software",
        "",
        "| Component | Version |",
        "|---|---|",
        f"| Python | {platform.python_version()} |",
    ]
    for pkg in KEY_PACKAGES:
        try:
            lines.append(f"| {pkg} | {metadata.version(pkg)} |")
        except metadata.PackageNotFoundError:
            lines.append(f"| {pkg} | not installed |")
    lines += [
        "",
        f"Lock file `uv.lock` SHA-256: `{lock_hash}`",
        "",
        "## Data read",
        "",
        f"Data folder: `{run_info['data_dir']}`",
        "",
        "| File | SHA-256 |",
        "|---|---|",
    ]
    for res in nkdata.resources().values():
        path = data_dir / res["path"]
        if path.exists():
            lines.append(f"| {res['path']} | `{hashlib.sha256(path.read_bytes()).hexdigest()}` |")
    lines += ["", "## Parameters of each chapter", "", "| Chapter | Parameters |", "|---|---|"]
    for chapter, params in run_info["parameters"].items():
        shown = ", ".join(f"`{k}={'latest year in the data' if v is None else v}`" for k, v in params.items())
        lines.append(f"| {chapter} | {_cell(shown)} |")
    return "\n".join(lines) + "\n"


# The generated pages, as staged (the table of contents lists them through chapters.yml)
PAGES = ("book/appendix_data.md", "book/appendix_build.md")


def pages(data_dir: Path, frames: dict[str, pd.DataFrame], run_info: dict) -> dict[str, str]:
    return dict(zip(PAGES, (data_page(data_dir, frames), build_page(data_dir, run_info)), strict=True))
