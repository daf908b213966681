"""Issue 2: data → papermill → Jupyter Book, end to end, on the real and on modified data."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MODIFIED_END_YEAR, MODIFIED_START_YEAR, ROOT, page_text, results

from nkbook.analysis.series import cumulative, yearly
from nkbook.build.driver import BuildError, build, load_chapters


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


def expected_arrivals(data_dir=None, end_year=None, start_year=None) -> dict:
    years = yearly(data_dir)
    if start_year:
        years = years[years["year"] >= start_year]
    if end_year:
        years = years[years["year"] <= end_year]
    peak = years.loc[years["total"].idxmax()]
    low = years.loc[years["total"].idxmin()]
    run = cumulative(data_dir)
    run = run[run["year"] <= years["year"].max()]
    return {
        "peak_total": int(peak["total"]),
        "peak_year": int(peak["year"]),
        "low_total": int(low["total"]),
        "latest_year": int(years["year"].max()),
        "latest_total": int(years["total"].iloc[-1]),
        "cumulative_total": int(run["total"].iloc[-1]),
    }


def test_every_chapter_executes_and_the_book_builds(main_book):
    chapters, _ = load_chapters()
    rec = main_book["record"]
    assert sorted(rec["executed"] + rec["cached"]) == sorted(c.name for c in chapters)
    for c in chapters:
        assert (main_book["html"] / "notebooks" / f"{c.name}.html").exists()
        assert (main_book["results"] / f"{c.name}.json").exists()
    assert (main_book["html"] / "index.html").exists()
    assert (main_book["html"] / "search.html").exists()


def test_arrivals_page_shows_values_computed_from_the_data(main_book):
    exp = expected_arrivals()
    got = results(main_book, "arrivals")
    for key, value in exp.items():
        assert got[key] == value, key
    text = page_text(main_book["html"] / "notebooks" / "arrivals.html")
    assert f"peaked at {exp['peak_total']:,} in {exp['peak_year']}" in text
    assert f"By the end of {exp['latest_year']}, {exp['cumulative_total']:,} North Koreans" in text
    front = page_text(main_book["html"] / "book" / "intro.html")  # index.html redirects here
    assert f"peaked at {exp['peak_total']:,} in {exp['peak_year']}" in front


def test_other_data_and_narrower_range_change_the_rendered_numbers(main_book, modified_book):
    exp = expected_arrivals(modified_book["data"], MODIFIED_END_YEAR, MODIFIED_START_YEAR)
    got = results(modified_book, "arrivals")
    assert (got["start_year"], got["end_year"]) == (MODIFIED_START_YEAR, MODIFIED_END_YEAR)
    for key, value in exp.items():
        assert got[key] == value, key
    text = page_text(modified_book["html"] / "notebooks" / "arrivals.html")
    assert f"By the end of {MODIFIED_END_YEAR}, {exp['cumulative_total']:,} North Koreans" in text
    main = results(main_book, "arrivals")
    assert main["cumulative_total"] != got["cumulative_total"]


# The front matter of a test notebook (the project's kernel)
HEADER = """---
kernelspec:
  display_name: Python (nkbook)
  language: python
  name: nkbook
---
"""

FAILING = (
    HEADER
    + """
# Broken on purpose

```{code-cell} ipython3
:tags: [parameters]
data_dir = '../data'
```

```{code-cell} ipython3
x = 1
```

```{code-cell} ipython3
raise ValueError('broken on purpose')
```
"""
)


def test_a_failing_notebook_fails_the_build_and_keeps_the_book(main_book, tmp_path, monkeypatch):
    from nkbook.build import driver

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "broken.md").write_text(FAILING)
    monkeypatch.setattr(driver, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    chapters = tmp_path / "chapters.yml"
    chapters.write_text("chapters:\n  - name: broken\n")
    before = tree_hash(main_book["html"])
    with pytest.raises(BuildError) as info:
        build(root=main_book["root"], chapters_file=chapters, force=True, log=lambda *_: None)
    msg = str(info.value)
    assert "broken.md" in msg and "ValueError: broken on purpose" in msg
    # the raising cell's index in the notebook papermill ran: the converted text notebook (heading
    # cell included) with papermill's injected-parameters cell after the parameters cell
    from nkbook.build import notebooks

    nb = notebooks.read(tmp_path / "notebooks" / "broken.md")
    index = next(i for i, c in enumerate(nb.cells) if "raise" in c.source) + 1
    assert f"cell {index} (execution count 4)" in msg, msg
    assert "partial output" in msg
    assert tree_hash(main_book["html"]) == before


def test_unknown_parameter_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(BuildError, match="no_such_knob"):
        build(params=["no_such_knob=3"], root=tmp_path / "b", log=lambda *_: None)
    assert not (tmp_path / "b").exists()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nkbook",
            "build",
            "--param",
            "arrivals.no_such_knob=1",
            "--build-dir",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "no_such_knob" in proc.stderr


def test_source_notebooks_are_text_with_a_parameters_cell():
    from nkbook.build.notebooks import code_cells

    assert not list((ROOT / "notebooks").glob("*.ipynb")), "no .ipynb source is committed"
    for c in load_chapters()[0]:
        assert c.notebook.suffix == ".md"
        assert any("parameters" in tags for _line, tags, _src in code_cells(c.notebook)), c.name
        assert "name: nkbook" in c.notebook.read_text(encoding="utf-8").split("---")[1], c.name


EXTERNAL = re.compile(r"""<(script|link|img|iframe)[^>]+(src|href)=["'](https?:)?//""", re.I)


def test_no_page_loads_anything_from_the_network(main_book):
    pages = list(main_book["html"].rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not EXTERNAL.search(html), f"{page}: {EXTERNAL.search(html).group(0)}"
    for css in main_book["html"].rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"@import\s+url\(\s*['\"]?https?://", text), css
        assert not re.search(r"url\(\s*['\"]?https?://[^)]*\.(woff2?|ttf|otf)", text), css
    # the chart library is served once, from the book itself
    assert (main_book["html"] / "_static" / "vega-bundle.js").stat().st_size > 100_000
    arrivals = (main_book["html"] / "notebooks" / "arrivals.html").read_text(encoding="utf-8")
    assert arrivals.count("vega-bundle.js") == 1
    assert "vegaEmbed(" not in arrivals  # not inlined into the page


def test_every_internal_link_resolves(main_book):
    from html.parser import HTMLParser
    from urllib.parse import unquote, urlparse

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.links = []

        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name in ("href", "src") and value:
                    self.links.append(value)

    html = main_book["html"]
    broken = []
    for page in html.rglob("*.html"):
        if "_static" in page.relative_to(html).parts:
            continue
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            url = urlparse(link)
            if url.scheme or url.netloc or link.startswith(("#", "mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if url.path.endswith("/"):
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(html)} -> {link}")
    assert broken == [], broken[:20]


def test_data_appendix_lists_every_dataset_with_its_checksum(main_book):
    import hashlib

    from nkbook.data import DATA_DIR, resources

    text = (main_book["html"] / "book" / "appendix_data.html").read_text(encoding="utf-8")
    for res in resources().values():
        digest = hashlib.sha256((DATA_DIR / res["path"]).read_bytes()).hexdigest()
        assert digest in text, res["path"]
        assert (main_book["html"] / "data" / res["path"]).read_bytes() == (DATA_DIR / res["path"]).read_bytes()
    build_page = (main_book["html"] / "book" / "appendix_build.html").read_text(encoding="utf-8")
    lock = hashlib.sha256((ROOT / "uv.lock").read_bytes()).hexdigest()
    assert lock in build_page and "Parameters of each chapter" in build_page


AFTER = (
    HEADER
    + """
# Runs after the broken one

```{code-cell} ipython3
x = 2
```
"""
)


def test_a_chapter_waiting_on_a_failed_one_never_runs_and_the_build_ends(tmp_path, monkeypatch):
    """With a worker free, a chapter's kernel starts before its upstream chapter is done; when that
    chapter fails, the waiting kernel is stopped, the chapter never runs, and the error names the
    failed chapter only."""
    from nkbook.build import driver

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "broken.md").write_text(FAILING)
    (tmp_path / "notebooks" / "after.md").write_text(AFTER)
    monkeypatch.setattr(driver, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    chapters = tmp_path / "chapters.yml"
    chapters.write_text("chapters:\n  - name: broken\n  - name: after\n    needs: [broken]\n")
    with pytest.raises(BuildError) as info:
        build(root=tmp_path / "b", chapters_file=chapters, jobs=2, pdf=False, log=lambda *_: None)
    msg = str(info.value)
    assert "broken.md" in msg and "after.md" not in msg
    assert not (tmp_path / "b" / "cache" / "after.json").exists()
