"""The whole book as one PDF, printed by Debian's Chromium (no TeX, no browser download).

Jupyter Book's own PDF routes need a downloaded browser (pdfhtml) or TeX (pdflatex). Instead the
staged book is built once more with the ``singlehtml`` builder, served from a local server (so its
relative ``_static`` paths resolve), opened in headless Chromium with every non-local request blocked,
and printed once every chart has been drawn. A table of contents (the chapters, linked) is put at
the top, and the PDF carries an outline (bookmarks).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


TOC_SCRIPT = """() => {
  // In a single-page build every document's top section carries the class tex2jax_ignore; the first
  // is the front page, the others are the chapters and appendices (their titles become h2).
  document.querySelectorAll('.headerlink').forEach(e => e.remove());
  const docs = [...document.querySelectorAll('main section.tex2jax_ignore')];
  const chapters = docs.slice(1);
  const nav = document.createElement('nav');
  nav.className = 'nk-pdf-toc';
  nav.setAttribute('aria-label', 'Contents');
  const title = document.createElement('h2');
  title.textContent = 'Contents';
  nav.appendChild(title);
  const ol = document.createElement('ol');
  chapters.forEach((sec, i) => {
    const h = sec.querySelector('h1, h2, h3');
    if (!h) { return; }
    if (!sec.id) { sec.id = 'nk-chapter-' + i; }
    sec.classList.add('nk-pdf-chapter');
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = '#' + sec.id;
    a.textContent = h.textContent.trim();
    li.appendChild(a);
    ol.appendChild(li);
  });
  nav.appendChild(ol);
  const h1 = docs.length ? docs[0].querySelector('h1') : null;
  if (h1) { h1.after(nav); } else { (document.querySelector('main') || document.body).prepend(nav); }
  const style = document.createElement('style');
  style.textContent = `@media print {
    .bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .header-article, .bd-footer, .bd-footer-content,
    .prev-next-area, .toggle-details, details.hide.above-input, .cell_input { display: none !important; }
    .nk-pdf-toc { page-break-after: always; }
    section.nk-pdf-chapter { page-break-before: always; }
    .bd-main .bd-content .bd-article-container { max-width: 100% !important; }
  }`;
  document.head.appendChild(style);
  return chapters.length;
}"""


# Page numbers at the foot of every page (Chromium fills the pageNumber/totalPages spans).
FOOTER = (
    '<div style="width:100%;font-size:9px;color:#555;text-align:center;'
    "font-family:'Noto Sans CJK KR','Noto Sans',DejaVu Sans,sans-serif\">"
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)

# What paper cannot do is not printed: data toggles, download links, hover instructions; tables and
# long cells wrap; a CJK font is named so that Korean titles print as Korean text.
PRINT_SCRIPT = r"""() => {
  const style = document.createElement('style');
  style.textContent = `@media print {
    body, .bd-article { font-family: 'Noto Sans', 'Noto Sans CJK KR', 'DejaVu Sans', sans-serif; }
    .nk-data, .nk-download, .nk-provenance, .nk-hover-hint, button { display: none !important; }
    table { table-layout: auto; width: 100% !important; max-width: 100%; }
    td, th, code { overflow-wrap: anywhere; word-break: break-word; white-space: normal !important; }
    .nk-table-wrap, .nk-vega, .table-wrapper, .pst-scrollable-table-container { overflow: visible !important; }
    figure, .nk-figure { break-inside: avoid; }
    h1, h2, h3 { break-after: avoid; }
  }`;
  document.head.appendChild(style);
  // a blank page comes from an empty section forced onto a page of its own, or from what sits
  // between two chapters (Sphinx's document anchors) spilling onto a page before the break
  document.querySelectorAll('section.nk-pdf-chapter').forEach((s) => {
    if (!s.textContent.trim()) { s.remove(); return; }
    let prev = s.previousSibling;
    while (prev && (prev.nodeType === 3 ? !prev.textContent.trim() : (prev.tagName === 'SPAN' && !prev.textContent.trim()))) {
      const before = prev.previousSibling;
      if (prev.nodeType === 1) { s.prepend(prev); } else { prev.remove(); }
      prev = before;
    }
  });
  const tidy = document.createElement('style');
  tidy.textContent = `@media print {
    section.nk-pdf-chapter > :last-child, section.nk-pdf-chapter section:last-child > :last-child,
    .nk-provenance { margin-bottom: 0 !important; padding-bottom: 0 !important; }
  }`;
  document.head.appendChild(tidy);
}"""


def build_singlehtml(stage: Path) -> Path:
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(stage), "--builder", "singlehtml", "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = stage / "_build" / "singlehtml"
    if proc.returncode != 0 or not (out / "index.html").exists():
        raise RuntimeError("singlehtml build for the PDF failed:\n" + (proc.stdout + proc.stderr)[-3000:])
    return out


def _root_page(site: Path) -> str:
    """index.html of a Jupyter Book is a redirect to the root document: follow it."""
    import re

    head = (site / "index.html").read_text(encoding="utf-8")[:500]
    m = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', head)
    return m.group(1) if m else "index.html"


def print_pdf(site: Path, output: Path, timeout_ms: int = 60000) -> int:
    """Print ``site/index.html`` to ``output``; returns the number of charts drawn."""
    from playwright.sync_api import sync_playwright

    root = _root_page(site)
    # the single page lives at book/intro.html but refers to _static/ as if it were at the top
    depth_static = site / Path(root).parent / "_static"
    if Path(root).parent != Path(".") and not depth_static.exists():
        depth_static.symlink_to(site / "_static", target_is_directory=True)

    exe = chromium()
    if exe is None:
        raise RuntimeError("Debian's chromium is needed for the PDF (apt-get install chromium)")
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context()
            context.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(base) or r.request.url.startswith("data:") else r.abort()
                ),
            )
            page = context.new_page()
            page.goto(f"{base}/{root}", wait_until="load")
            n = page.locator(".nk-vega").count()
            page.wait_for_function(
                "() => [...document.querySelectorAll('.nk-vega')].every(e => e.getAttribute('data-drawn') === 'true')",
                timeout=timeout_ms,
            )
            page.evaluate(TOC_SCRIPT)
            page.emulate_media(media="print")
            output.parent.mkdir(parents=True, exist_ok=True)
            # charts drawn for the print width: the page is laid out at A4's text width before printing
            page.set_viewport_size({"width": 794, "height": 1123})
            page.evaluate(PRINT_SCRIPT)
            page.wait_for_timeout(300)
            page.pdf(
                path=str(output),
                format="A4",
                print_background=True,
                outline=True,
                tagged=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
                margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"},
            )
            browser.close()
    finally:
        server.shutdown()
    return n


def make_pdf(stage: Path, output: Path) -> int:
    """Build the single-page book from the staged sources and print it."""
    return print_pdf(build_singlehtml(stage), output)
