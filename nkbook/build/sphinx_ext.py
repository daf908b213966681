"""A small Sphinx extension for the book (listed in _config.yml ``extra_extensions``).

Jupyter Book 1 always loads sphinx-thebe, which adds its configuration script twice to every page
("Identifier 'THEBE_JS_URL' has already been declared" in the browser console) and points at a CDN.
The book does not use thebe (no live kernels offline), so its scripts are dropped from every page.
"""

from __future__ import annotations


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


def setup(app):
    from nkbook.build.bibliography import register

    register()  # the pybtex style "nkbook": author-year labels, titles as written
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _fix_bibliography_roles, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
