"""Issue 11: the built book in a real browser (Debian's Chromium via Playwright), offline.

Every page is served from a local server with every non-local request blocked. Each chart must
draw, no request may leave the machine, the console must stay clean, tooltips must appear, search
must work, and axe-core must report no serious or critical accessibility violation.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from nkbook.build.pdf import CHROMIUM_ARGS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = CHROMIUM_ARGS  # the same flags the PDF printer uses

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Session:
    """One browser context with the network cut off at the machine's edge."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.blocked, self.console, self.dialogs = [], [], []
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path: str):
        page = self.context.new_page()
        page.on("console", lambda m: self.console.append((path, m.type, m.text)) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append((path, "pageerror", str(e))))
        page.on("dialog", lambda d: (self.dialogs.append((path, d.message)), d.dismiss()))
        page.goto(f"{self.base}/{path}", wait_until="load")
        return page

    def close(self):
        self.context.close()


def wait_for_charts(page, timeout=30000) -> int:
    n = page.locator(".nk-vega").count()
    if n:
        page.wait_for_function(
            "() => [...document.querySelectorAll('.nk-vega')].every(e => e.getAttribute('data-drawn') === 'true')",
            timeout=timeout,
        )
    return n


def content_pages(html: Path) -> list[str]:
    pages = [
        p.relative_to(html).as_posix()
        for p in html.rglob("*.html")
        if not ({"_sources", "_static"} & set(p.relative_to(html).parts))
        and p.name not in ("genindex.html", "search.html")
        and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")[:300]
    ]  # index.html: a redirect
    return sorted(pages)


@pytest.fixture(scope="module")
def site(main_book):
    server, base = serve(main_book["html"])
    yield {"base": base, "html": main_book["html"]}
    server.shutdown()


def test_every_page_draws_its_charts_offline_with_a_clean_console(browser, site):
    metrics, blocked, console = {}, [], []
    total_charts = 0
    for path in content_pages(site["html"]):
        s = Session(browser, site["base"])  # a fresh context per page: the weight is measured uncached
        page = s.open(path)
        n = wait_for_charts(page)
        total_charts += n
        for i in range(n):
            vis = page.locator(".nk-vega").nth(i)
            assert vis.locator("svg, canvas").count() >= 1, f"{path}: chart {i} drew nothing"
        weight = page.evaluate("""() => {
            const nav = performance.getEntriesByType('navigation')[0];
            return (nav ? nav.encodedBodySize : 0) + performance.getEntriesByType('resource')
                .reduce((sum, e) => sum + (e.encodedBodySize || 0), 0); }""")
        metrics[path] = {
            "charts": n,
            "bytes": weight,
            "first_chart_ms": page.evaluate("() => window.nkFirstChartMs ?? null"),
        }
        blocked += s.blocked
        console += s.console
        s.close()
    assert total_charts >= 3
    assert blocked == [], f"requests tried to leave the machine: {blocked[:5]}"
    assert console == [], f"console errors: {console[:5]}"
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "page-metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True))


def test_chart_library_is_cached_across_pages(browser, site):
    # Request interception disables Chromium's HTTP cache, so this context does not route; the
    # other tests show that no page asks for anything outside the machine.
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site['base']}/book/intro.html", wait_until="load")
    wait_for_charts(page)
    page.goto(f"{site['base']}/notebooks/arrivals.html", wait_until="load")
    wait_for_charts(page)
    transfer = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter(e => e.name.includes('vega-bundle.js')).map(e => e.transferSize)""")
    context.close()
    assert len(transfer) == 1 and transfer[0] < 2000, f"vega-bundle.js transferred {transfer} bytes on the second page"


def _hover_until_tooltip(page) -> str:
    # data marks only (axes and grids are marks too, with role-axis-*)
    marks = page.locator(
        ".nk-vega svg g.role-mark.mark-rect path, .nk-vega svg g.role-mark.mark-symbol path, "
        ".nk-vega svg g.role-mark.mark-line path, .nk-vega svg g.role-mark.mark-rule line"
    )
    for i in range(min(marks.count(), 60)):
        mark = marks.nth(i)
        try:
            mark.scroll_into_view_if_needed(timeout=1000)
        except Exception:
            continue
        box = mark.bounding_box()
        if not box or box["width"] + box["height"] < 2:
            continue
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            page.wait_for_selector("#vg-tooltip-element.visible", timeout=700)
            return page.locator("#vg-tooltip-element").inner_text()
        except Exception:
            continue
    return ""


def test_tooltips_appear_on_hover_in_every_chapter(browser, site):
    s = Session(browser, site["base"])
    chapters = sorted(p.name for p in (site["html"] / "notebooks").glob("*.html"))
    missing = []
    for name in chapters:
        page = s.open(f"notebooks/{name}")
        if wait_for_charts(page) == 0:
            continue
        page.locator(".nk-vega").first.scroll_into_view_if_needed()
        if not _hover_until_tooltip(page).strip():
            missing.append(name)
        page.close()
    s.close()
    assert missing == []


def test_search_finds_a_word_from_a_chapter(browser, site):
    s = Session(browser, site["base"])
    page = s.open("search.html?q=buckets")  # a word of the arrivals chapter
    page.wait_for_selector("#search-results ul.search li", timeout=20000)
    links = page.locator("#search-results ul.search li a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    s.close()
    assert any("notebooks/" in (href or "") for href in links), links


def test_accessibility(browser, site):
    s = Session(browser, site["base"])
    problems = []
    for path in content_pages(site["html"]):
        page = s.open(path)
        wait_for_charts(page)
        figures = page.evaluate("""() => [...document.querySelectorAll('.nk-figure')].map(f => ({
            label: f.querySelector('.nk-vega')?.getAttribute('aria-label') || '',
            role: f.querySelector('.nk-vega')?.getAttribute('role'),
            table: !!f.querySelector('details.nk-data table')}))""")
        for i, fig in enumerate(figures):
            if not (fig["label"].strip() and fig["role"] == "img" and fig["table"]):
                problems.append(f"{path}: figure {i} lacks a description or its data table: {fig}")
        levels = page.evaluate("""() => [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
            .map(h => Number(h.tagName[1]))""")
        for a, b in zip(levels, levels[1:]):
            if b > a + 1:
                problems.append(f"{path}: heading h{a} is followed by h{b}")
        page.add_script_tag(path=str(AXE))
        for mode in ("light", "dark"):  # switched as a reader does: the theme's colour-mode button
            for _ in range(3):
                if page.evaluate("() => document.documentElement.dataset.theme") == mode:
                    break
                page.locator(".theme-switch-button:visible").first.click()
                page.wait_for_timeout(150)
            assert page.evaluate("() => document.documentElement.dataset.theme") == mode, path
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            for v in result["violations"]:
                if v.get("impact") in ("serious", "critical"):
                    problems.append(
                        f"{path} ({mode} mode): axe {v['id']} ({v['impact']}): {v['help']} "
                        f"e.g. {v['nodes'][0]['target'] if v['nodes'] else ''}"
                    )
        page.close()
    s.close()
    assert problems == [], "\n".join(problems[:30])


def test_markup_in_the_data_is_shown_as_text_never_run(browser, modified_book):
    from conftest import MARKUP_TEXT

    server, base = serve(modified_book["html"])
    s = Session(browser, base)
    try:
        page = s.open("notebooks/diplomacy.html")
        wait_for_charts(page)
        page.locator("details.nk-data").evaluate_all("els => els.forEach(e => e.open = true)")
        text = page.locator("main").inner_text()
        injected = page.evaluate("""() => document.querySelectorAll('img[onerror]').length +
            [...document.querySelectorAll('script')].filter(e => (!e.type || e.type === 'text/javascript')
                && e.textContent.includes('nkbook-xss')).length""")
        tooltip_safe = page.evaluate("() => !document.querySelector('#vg-tooltip-element img')")
    finally:
        s.close()
        server.shutdown()
    assert MARKUP_TEXT in text
    assert s.dialogs == [] and injected == 0 and tooltip_safe


def test_the_whole_book_as_one_pdf_with_its_charts(main_book):
    import pypdf

    from nkbook.build.driver import load_chapters

    pdf = main_book["html"] / "book.pdf"
    assert pdf.exists(), main_book["record"].get("pdf")
    reader = pypdf.PdfReader(str(pdf))
    import re as _re

    text = " ".join(page.extract_text() for page in reader.pages)
    text = _re.sub(r"\s+", " ", text.replace("\ufb01", "fi").replace("\ufb02", "fl"))
    assert "Contents" in text and "Bibliography" in text
    for chapter in load_chapters()[0]:
        html = (main_book["html"] / "notebooks" / f"{chapter.name}.html").read_text(encoding="utf-8")
        import re

        title = re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)).replace("#", "").strip()
        assert title.split(":")[0] in text, title
    # chart text (axis titles, chart titles) exists only where Vega drew the chart
    assert "Year of arrival in South Korea" in text
    assert reader.outline, "the PDF has bookmarks"
    front = (main_book["html"] / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="../book.pdf"' in front
