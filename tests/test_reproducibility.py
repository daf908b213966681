"""Issue 10: published numbers checked, deterministic builds, data-aware incremental runs."""

from __future__ import annotations

import json
import shutil

from conftest import copy_data, edit_csv

from nkbook.build import published
from nkbook.build.driver import build, load_chapters
from nkbook.core.paths import DATA_DIR


def test_the_build_reproduces_the_published_numbers(main_book):
    moved = published.check(main_book["results"])
    assert moved == [], "published numbers moved:\n" + "\n".join(moved) + "\n(make update-results if intended)"


def test_results_check_fails_on_a_moved_number_and_passes_after_update(main_book, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(main_book["results"], results)
    path = results / "arrivals.json"
    payload = json.loads(path.read_text())
    old = payload["results"]["peak_total"]
    payload["results"]["peak_total"] = old + 1
    path.write_text(json.dumps(payload))
    diffs = published.check(results)
    assert diffs == [f"arrivals.peak_total: {old!r} → {old + 1!r}"]
    snapshot = tmp_path / "published.json"
    published.update(results, snapshot)
    assert published.check(results, snapshot) == []


def _files(folder):
    """Every file of a built book but the PDF (Chromium stamps its creation time into it) and the
    driver's stamp (which records whether a PDF was made)."""
    return {
        p.relative_to(folder): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in ("book.pdf", ".nkbook-build")
    }


def _first_difference(a, b, path="") -> str:
    """Where two JSON values first differ, and how (for the failure message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}/{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}/{i}")
    return f"{path}: {str(a)[:300]!r} != {str(b)[:300]!r}"


def test_two_builds_from_the_same_inputs_are_identical(main_book, tmp_path):
    root = tmp_path / "again"
    build(root=root, force=True, pdf=False, log=lambda *_: None)
    for name in (c.name for c in load_chapters()[0]):
        again = json.loads((root / "cache" / f"{name}.ipynb").read_text())
        first = json.loads((main_book["root"] / "cache" / f"{name}.ipynb").read_text())
        differing_cells = [i for i, (a, b) in enumerate(zip(again["cells"], first["cells"])) if a != b]
        assert again == first, f"{name}: cells {differing_cells} differ, e.g. {_first_difference(again, first)}"
    first, second = _files(main_book["html"]), _files(root / "html")
    assert first.keys() == second.keys()
    differing = [str(k) for k in first if first[k] != second[k]]
    assert differing == []


def test_a_data_change_reexecutes_exactly_the_chapters_that_read_it(main_book, tmp_path):
    root = tmp_path / "incremental"
    shutil.copytree(main_book["root"] / "cache", root / "cache")
    data = copy_data(tmp_path / "data")
    chapters, _ = load_chapters()
    reads = {c.name: json.loads((root / "cache" / f"{c.name}.json").read_text())["reads"] for c in chapters}
    changed = "gdp_growth.csv"
    readers = {n for n, r in reads.items() if changed in r["data"]}
    assert readers and readers != set(reads), "the test needs a file some chapters read and others do not"
    edit_csv(data / changed, {"year": "2020", "variant": "first_published"}, {"growth_pct": "-4.6"})
    record = build(data_dir=data, root=root, pdf=False, log=lambda *_: None)
    executed = set(record["executed"])
    downstream = {c.name for c in chapters if set(c.needs) & readers}
    assert readers <= executed <= readers | downstream, (executed, readers)
    assert not ({"arrivals"} - readers) & executed
    assert record["pages_read_early"] == 0  # no staged book here: Sphinx reads every page at the end
    again = build(data_dir=data, root=root, pdf=False, log=lambda *_: None)
    assert again["executed"] == [] and again["sphinx"].startswith("skipped")

    # The same change as a rebuild of the last book (its stage and Sphinx's saved environment):
    # Sphinx reads each re-executed chapter's page while the others run, and the book is the same.
    warm = tmp_path / "warm"
    shutil.copytree(main_book["root"], warm, ignore=shutil.ignore_patterns("last-noop-key"))
    # (Sphinx's environment moved with the copy, so it reads every page early, then the changed
    # ones again; the same change back and forth in that folder is the usual case.)
    expected = _files(root / "html")
    original = (DATA_DIR / changed).read_bytes()
    edited = (data / changed).read_bytes()
    for content in (None, original, edited):
        if content is not None:
            (data / changed).write_bytes(content)
        rebuilt = build(data_dir=data, root=warm, pdf=False, log=lambda *_: None)
        assert set(rebuilt["executed"]) == executed
        assert rebuilt["pages_read_early"] >= 1
    got = _files(warm / "html")
    assert got.keys() == expected.keys()
    assert [str(k) for k in got if got[k] != expected[k]] == []
