"""Issue 19: the reader's edition, checked in the built book (Chromium, network blocked) and its PDF.

- at a phone's width (390 px) no page scrolls sideways and no chart text is smaller than 11 px;
- no code input is on any page, and no "Parameters of this run" box;
- every chart has a source line and a download link whose CSV has exactly the chart's data rows;
- the bibliography labels entries by author and year (never numbers), keeps titles' capitals,
  tells same-author-year entries apart and shows no internal notes;
- the PDF has page numbers and its Korean text extracts as Korean.
"""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
from pathlib import Path

import pytest
from test_browser import CHROMIUM, Session, browser, serve  # noqa: F401  (browser is a fixture)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def _pages(html: Path) -> list[str]:
    return sorted(
        str(p.relative_to(html))
        for p in html.rglob("*.html")
        if p.parent.name in ("notebooks", "book") or p.name == "index.html"
    )


def test_no_code_input_and_no_parameter_box(main_book):
    for page in _pages(main_book["html"]):
        text = (main_book["html"] / page).read_text(encoding="utf-8")
        assert 'class="cell_input' not in text, f"{page} shows code input"
        assert "Show code cell source" not in text, page
        assert "Parameters of this run" not in text, page


def test_every_chart_has_source_and_exact_download(main_book):
    seen = specs = 0
    for page in _pages(main_book["html"]):
        text = (main_book["html"] / page).read_text(encoding="utf-8")
        specs += text.count('class="nk-spec"')
        for fig in re.findall(r'<figure class="nk-figure".*?</figure>', text, flags=re.S):
            seen += 1
            assert 'class="nk-source">Source: ' in fig, page
            m = re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', fig)
            assert m, f"{page}: a chart without a data download"
            rows = list(csv.reader(io.StringIO(urllib.parse.unquote(m.group(1)))))
            table_rows = re.findall(r"<tr", fig.split("<tbody>", 1)[1]) if "<tbody>" in fig else []
            shown_all = "Showing " not in fig
            if shown_all:
                assert len(rows) - 1 == len(table_rows), f"{page}: the CSV and the chart's data table differ"
    assert seen > 0 and seen == specs


def test_phone_width_no_sideways_scroll_and_readable_chart_text(main_book, browser):  # noqa: F811
    server, base = serve(main_book["html"])
    try:
        s = Session(browser, base)
        page = s.context.new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        for rel in _pages(main_book["html"]):
            page.goto(f"{base}/{rel}", wait_until="load")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.nk-vega')].every(e => e.getAttribute('data-drawn'))",
                timeout=30000,
            )
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 391, f"{rel} scrolls sideways at 390 px ({width} px wide)"
            smallest = page.evaluate("""() => {
              let m = Infinity;
              document.querySelectorAll('.nk-vega svg text').forEach((t) => {
                if (!t.textContent.trim() || t.getBoundingClientRect().height === 0) return;
                const svg = t.ownerSVGElement, box = svg.getBoundingClientRect();
                const vb = svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width;
                const scale = vb ? box.width / vb : 1;
                m = Math.min(m, parseFloat(getComputedStyle(t).fontSize) * scale);
              });
              return m; }""")
            assert smallest >= 11 - 1e-6, f"{rel}: chart text of {smallest:.1f} px at 390 px"
    finally:
        server.shutdown()


def test_bibliography_reads_by_author_and_year(main_book):
    text = (main_book["html"] / "book" / "bibliography.html").read_text(encoding="utf-8")
    labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span', text)
    assert labels, "no bibliography entries found"
    assert not any(re.fullmatch(r"\d+", lab) for lab in labels), "numbered entries"
    assert len(set(labels)) == len(labels), "two entries share a label"
    assert "Fact sheet" not in text and "fact sheet id" not in text.lower()
    assert "North Korea" in text and "north korea" not in re.sub(r"https?://\S+", "", text)


def test_pdf_has_page_numbers_and_korean_text(main_book):
    pdf = main_book["html"] / "book.pdf"
    if not pdf.exists():
        pytest.skip("the PDF is built only when Chromium is installed")
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    pages = [p.extract_text() for p in reader.pages]  # extracted once: it is the slow part
    n = len(pages)
    assert n > 10
    for i in (0, n // 2, n - 1):
        assert f"{i + 1} / {n}" in pages[i], f"page {i + 1} has no page number"
    text = " ".join(pages)
    assert re.search(r"[\uac00-\ud7a3]{2,}", text), "Korean text does not extract as Korean"
    blank = [i + 1 for i, t in enumerate(pages) if len(t.strip()) <= len(f"{i + 1} / {n}")]
    assert not blank, f"blank pages: {blank}"
    assert "Show the data" not in text and "Download the data" not in text


def test_no_build_leftovers_on_the_pages(main_book):
    """No '(s)' plurals, <NA>, nan or long unrounded decimals anywhere a reader can see them:
    the text, the tables, the chart data shown in tooltips, the CSV downloads."""
    leftovers = re.compile(
        r"\(s\)|&lt;NA&gt;|<NA>|\bNone\b|\bnan\b|\bNaN\b|\d+\.\d{5,}"
    )  # 5+ decimals anywhere a reader can see them (a DOI of that shape too)
    for page in _pages(main_book["html"]):
        raw = (main_book["html"] / page).read_text(encoding="utf-8")
        raw = re.sub(r"<script(?! type=\"application/json\" class=\"nk-spec\").*?</script>", " ", raw, flags=re.S)
        raw = urllib.parse.unquote(raw)
        found = [m.group(0) for m in leftovers.finditer(raw)]
        assert not found, f"{page}: {found[:5]}"
