"""Shared fixtures. The full book is built ONCE per test run (session fixture) and shared.

Builds that need other data use a small modified copy of data/ in a temporary folder, built into
its own build root, also once per session.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from nkbook.build.driver import build
from nkbook.core.paths import DATA_DIR, PROJECT_ROOT

ROOT = PROJECT_ROOT

# A build keeps its kernels' zygote for the next one (nkbook/build/kernels.py); the tests' builds
# do not, so that no process outlives the test run. tests/test_kernels.py tests the kept zygote.
os.environ.setdefault("NKBOOK_KERNELS_IDLE", "0")

BOOK_FIXTURES = {"main_book", "modified_book"}


def pytest_collection_modifyitems(items):
    """Test tiers: a test that uses a rendered book is marked ``book``, one that drives Chromium
    ``browser``, a window sweep, simulation or whole-process run ``slow`` (so ``make test-fast`` =
    ``-m "not book and not browser and not slow"``, on two workers)."""
    import inspect

    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        try:
            source = inspect.getsource(item.function)
        except (OSError, TypeError, AttributeError):
            source = ""
        # run_chapter executes a notebook; getfixturevalue may ask for a book by name
        if fixtures & BOOK_FIXTURES or "run_chapter(" in source or "getfixturevalue(" in source:
            item.add_marker(pytest.mark.book)
        # the slow part of the compute tier: window sweeps (one compute() per window), the
        # calibration simulations and whole-process CLI runs; in make test, not in make test-fast
        sweep = hasattr(item, "callspec") and "window" in item.originalname
        if sweep or item.module.__name__.endswith("test_calibration") or "subprocess" in source:
            item.add_marker(pytest.mark.slow)
        if "browser" in fixtures or item.module.__name__.endswith("test_browser"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.book)


# While developing one chapter, NKBOOK_TEST_CHAPTERS (a chapters file) and NKBOOK_TEST_BUILD_DIR
# build a subset of the book in a private folder; CI uses the defaults (the whole book in _build).
CHAPTERS = os.environ.get("NKBOOK_TEST_CHAPTERS") or None
BUILD_ROOT = Path(os.environ.get("NKBOOK_TEST_BUILD_DIR") or ROOT / "_build")


@pytest.fixture(scope="session")
def main_book():
    """The book built from data/ into _build/html (the same command as `make book`)."""
    record = build(root=BUILD_ROOT, chapters_file=CHAPTERS, log=lambda *_: None)
    html = BUILD_ROOT / "html"
    return {"record": record, "html": html, "root": BUILD_ROOT, "results": html / "results"}


def copy_data(target: Path) -> Path:
    """A full copy of data/ to modify in a test."""
    shutil.copytree(DATA_DIR, target)
    return target


def edit_csv(path: Path, match: dict, changes: dict) -> None:
    """Change the cells of the row(s) whose columns equal ``match``."""
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys())
    hit = 0
    for row in rows:
        if all(row[k] == v for k, v in match.items()):
            row.update(changes)
            hit += 1
    assert hit, f"no row of {path.name} matches {match}"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# The modified data folder every chapter is also run on: 2023 arrivals changed (so the claims that
# rest on them change verdict), and a narrow window (2012–2024: 13 years from the succession on, the
# whole book built for it, issue #16; windows before the closure go through each chapter's compute()).
MODIFIED_2023 = {"male": "40", "female": "360", "total": "400"}
MODIFIED_START_YEAR = 2012
MODIFIED_END_YEAR = 2024
# Text with markup put into a data cell of the modified copy: the book must show it, never run it.
MARKUP_EVENT = "cn_repat_2023_10_09"  # an events.csv row the diplomacy timeline shows
MARKUP_TEXT = "<img src=x onerror=alert('nkbook-xss')><script>alert('nkbook-xss')</script>"


@pytest.fixture(scope="session")
def modified_book(tmp_path_factory):
    base = tmp_path_factory.mktemp("modified")
    data = copy_data(base / "data")
    edit_csv(data / "arrivals_yearly.csv", {"period": "2023", "variant": "final"}, MODIFIED_2023)
    # keep the published checkpoints consistent with the changed year (they are data too)
    _shift_cumulative(data / "arrivals_cumulative.csv", 2023, MODIFIED_2023)
    _shift_last_quarter(data / "arrivals_quarterly.csv", 2023, MODIFIED_2023)
    edit_csv(data / "events.csv", {"event_id": MARKUP_EVENT}, {"description": MARKUP_TEXT})
    record = build(
        data_dir=data,
        params=[f"start_year={MODIFIED_START_YEAR}", f"end_year={MODIFIED_END_YEAR}"],
        root=base / "_build",
        chapters_file=CHAPTERS,
        pdf=False,
        log=lambda *_: None,
    )
    html = base / "_build" / "html"
    return {"record": record, "html": html, "data": data, "results": html / "results", "root": base / "_build"}


def _shift_cumulative(path: Path, year: int, new: dict) -> None:
    """Move every checkpoint at or after ``year`` by the change made to that year."""
    import csv

    old = {"male": 32, "female": 164, "total": 196}
    delta = {k: int(new[k]) - old[k] for k in old}
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys())
    for row in rows:
        if row["as_of"] >= f"{year}-12-31":  # checkpoints inside the year follow its quarters, which stay
            for k, d in delta.items():
                if row[k]:
                    row[k] = str(int(row[k]) + d)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _shift_last_quarter(path: Path, year: int, new: dict) -> None:
    """Keep the four quarters adding up to the changed year (the change goes to Q4)."""
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    quarters = [r for r in rows if r["year"] == str(year) and r.get("used", "true") == "true"]
    q4 = next(r for r in quarters if r["quarter"] == "4")
    changes = {}
    for col in ("total", "male", "female"):
        if q4.get(col) and all(r.get(col) for r in quarters):  # a split by sex moves with the total
            changes[col] = str(int(new[col]) - sum(int(r[col]) for r in quarters if r is not q4))
    edit_csv(path, {"year": str(year), "quarter": "4", "used": "true"}, changes)


def results(book: dict, chapter: str) -> dict:
    return json.loads((book["results"] / f"{chapter}.json").read_text())["results"]


def page_text(html_file: Path) -> str:
    """Visible text of a built page (tags stripped), whitespace folded."""
    import html
    import re

    raw = html_file.read_text(encoding="utf-8")
    raw = re.sub(r"<!--.*?-->", " ", raw, flags=re.S)
    raw = re.sub(r"<script.*?</script>", " ", raw, flags=re.S)
    raw = re.sub(r"<style.*?</style>", " ", raw, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", raw))
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([,.;:%)])", r"\1", text)  # tags around a glued number leave a space before punctuation


def run_chapter(name: str, tmp_path: Path, data_dir: Path | None = None, **params) -> dict:
    """Execute ONE chapter notebook with papermill (no book build) and return its glued results.

    For tests that vary a chapter's own parameter (lag_years, break_year, ...). Chapters that
    read other chapters' results get them from the shared main build.
    """
    from nkbook.build.driver import ensure_kernel, execute_chapter, load_chapters

    chapters, _ = load_chapters()
    chapter = next(c for c in chapters if c.name == name)
    ensure_kernel()
    parameters = dict(chapter.parameters)
    parameters.update(params)
    parameters["data_dir"] = str(data_dir or DATA_DIR)
    res = execute_chapter(
        {
            "name": name,
            "notebook": str(chapter.notebook),
            "parameters": parameters,
            "output": str(tmp_path / f"{name}.ipynb"),
            "results_dir": str(BUILD_ROOT / "html" / "results"),
            "cell_timeout": chapter.cell_timeout,
        }
    )
    assert res["ok"], res.get("error")
    return res["results"]


def has_nan(obj) -> bool:
    """True if a chart spec (nested dicts and lists) holds NaN or an infinity (not valid JSON)."""
    if isinstance(obj, float):
        return obj != obj or obj in (float("inf"), float("-inf"))
    if isinstance(obj, dict):
        return any(has_nan(v) for v in obj.values())
    if isinstance(obj, list):
        return any(has_nan(v) for v in obj)
    return False


def snapshot_diff(chapter: str, computed: dict) -> list[str]:
    """Every difference between a chapter's compute() and its published values, both ways: a moved
    value, a published key no longer computed, a computed key not yet published. Empty when the
    snapshot (results/published.json) was updated on purpose after the change."""
    from nkbook.build import published

    snap = json.loads(published.SNAPSHOT.read_text(encoding="utf-8"))["results"]
    pub = {k: v for k, v in snap.items() if k.startswith(f"{chapter}.")}
    assert pub, f"the snapshot holds no {chapter} keys"
    return published.diff(pub, {f"{chapter}.{k}": v for k, v in computed.items()})
