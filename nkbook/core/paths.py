"""Where the project's files are. The one home of every project path."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DESCRIPTOR = DATA_DIR / "datapackage.json"
BOOK_DIR = PROJECT_ROOT / "book"
BIBLIOGRAPHY = BOOK_DIR / "references.bib"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
CHAPTERS_FILE = PROJECT_ROOT / "chapters.yml"
BUILD_DIR = PROJECT_ROOT / "_build"
PUBLISHED = PROJECT_ROOT / "results" / "published.json"


def display_path(path: Path) -> str:
    """A path as people should read it in messages: relative to the project when inside it."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
