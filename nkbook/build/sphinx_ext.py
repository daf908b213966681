"""A small Sphinx extension for the book (listed in _config.yml ``extra_extensions``).

Jupyter Book 1 always loads sphinx-thebe, which adds its configuration script twice to every page
("Identifier 'THEBE_JS_URL' has already been declared" in the browser console) and points at a CDN.
The book does not use thebe (no live kernels offline), so its scripts are dropped from every page.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any


def _drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    kept = []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body", "") or ""
        name = str(getattr(js, "filename", js) or "")
        if "THEBE_JS_URL" in body or name.endswith("sphinx-thebe.js") or "thebe@" in name:
            continue
        kept.append(js)
    context["script_files"] = kept


def _fix_bibliography_roles(app, pagename, templatename, context, doctree):
    """sphinxcontrib-bibtex marks the citation list role="list" but its entries are not list items
    (axe: aria-required-children); a plain container is correct."""
    body = context.get("body")
    if body and 'role="list" class="citation-list"' in body:
        context["body"] = body.replace('role="list" class="citation-list"', 'class="citation-list"')


def _memoise_plugin_lookups() -> None:
    """pybtex and sphinxcontrib-bibtex look a style plugin up in the installed packages' entry
    points at every citation they resolve: ~480 scans of every distribution's metadata, 3-5 s of a
    7 s Sphinx run. The installed plugins do not change during a build, so each lookup is kept."""
    import pybtex.plugin
    import sphinxcontrib.bibtex.plugin as bibtex_plugin

    for module, name in ((pybtex.plugin, "_load_entry_point"), (bibtex_plugin, "_entry_points")):
        fn = getattr(module, name)
        if not hasattr(fn, "cache_info"):
            setattr(module, name, functools.cache(fn))


def _memoise_latex_decoding() -> None:
    """pybtex turns every field and name part it formats from LaTeX into rich text, afresh at
    each use: each of the ~400 in-text citations of a build decodes its authors' names again
    (latexcodec's tokenizer, ~0.4 s). The decoding depends on the string alone, and pybtex's
    rich text is not changed after it is made (its parts are set once, in ``__init__``), so each
    string is decoded once per process."""
    from pybtex import richtext

    if getattr(richtext.Text.from_latex, "_nkbook_memo", False):
        return
    decode = richtext.Text.from_latex.__func__
    decoded: dict[tuple, Any] = {}

    def from_latex(cls, latex):
        key = (cls, latex)
        if key not in decoded:
            decoded[key] = decode(cls, latex)
        return decoded[key]

    from_latex._nkbook_memo = True  # type: ignore[attr-defined]
    richtext.Text.from_latex = classmethod(from_latex)


# Extensions Jupyter Book always loads that do not say whether they are safe for parallel builds
# (so Sphinx reads every page in one process). For the HTML builder both are:
# sphinx-multitoc-numbering only replaces the table-of-contents collector's numbering method (run
# once, in the main process, after the pages are read; the book turns the numbering off anyway);
# sphinx-jupyterbook-latex acts only for a LaTeX builder.
_PARALLEL_SAFE_FOR_HTML = ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex")


def _declare_parallel_safe(app) -> None:
    if getattr(app.builder, "format", "") != "html":
        return
    for name in _PARALLEL_SAFE_FOR_HTML:
        ext = app.extensions.get(name)
        if ext is not None:
            ext.parallel_read_safe = True
            ext.parallel_write_safe = True


def _keep_compiled_templates(app) -> None:
    """The theme's templates, compiled once and kept beside the saved environment (Jinja's
    bytecode cache; a template whose source changed is compiled again). A rebuild otherwise
    compiles ~40 templates before it writes its first page (~0.07 s of a 1.1 s rebuild)."""
    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if environment is None:
        return
    from jinja2 import FileSystemBytecodeCache

    folder = Path(app.doctreedir).parent / ".jinja-bytecode"
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup(app):
    from nkbook.build.bibliography import register

    _memoise_plugin_lookups()
    _memoise_latex_decoding()
    register()  # the pybtex style "nkbook": author-year labels, titles as written
    app.connect("builder-inited", _declare_parallel_safe)
    app.connect("builder-inited", _keep_compiled_templates)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _fix_bibliography_roles, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
