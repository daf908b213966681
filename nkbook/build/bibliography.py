"""The bibliography as readers see it: author–year labels, titles as written, no internal notes.

- :func:`staged_bib` rewrites ``book/references.bib`` for the staged book: entries by the same
  author in the same year get ``2024a``, ``2024b`` (ordered by title), so that in-text
  author–year citations and the list can be told apart; notes lose the compilers' internal
  working files (sentences naming fact sheets, stored copies or excerpts).
- :class:`BookStyle` (registered as the pybtex formatting style ``nkbook``) keeps titles' own
  capitalisation and labels entries "Author Year" instead of numbers.
"""

from __future__ import annotations

import re
from collections import defaultdict

# A note's sentence that speaks of the compilers' own working files is internal: it is dropped.
INTERNAL_NOTE = re.compile(r"fact[- ]sheet|stored copy|stored excerpt|excerpt S-", re.I)

_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,")


def _clean_note(note: str) -> str:
    sentences = re.split(r"(?<=[.;])\s+(?=[A-Z(])", note.strip())
    kept = [x for x in sentences if not INTERNAL_NOTE.search(x)]
    out = " ".join(kept).strip(" ;")
    return out if not out or out.endswith(".") else out + "."


def _entry_spans(text: str) -> list[tuple[str, int, int]]:
    """(key, start, end) of every entry, braces balanced."""
    spans = []
    for m in _ENTRY.finditer(text):
        depth, i = 0, text.index("{", m.start())
        for j in range(i, len(text)):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    spans.append((m.group(2), m.start(), j + 1))
                    break
    return spans


def _field(body: str, name: str) -> str | None:
    m = re.search(rf"\b{name}\s*=\s*\{{", body, re.I)
    if not m:
        return None
    depth, start = 0, m.end() - 1
    for j in range(start, len(body)):
        if body[j] == "{":
            depth += 1
        elif body[j] == "}":
            depth -= 1
            if depth == 0:
                return body[start + 1 : j]
    return None


def _set_field(body: str, name: str, value: str) -> str:
    old = _field(body, name)
    if old is None:
        return body
    m = re.search(rf"\b{name}\s*=\s*\{{", body, re.I)
    assert m is not None
    return body[: m.end()] + value + body[m.end() + len(old) :]


def _drop_field(body: str, name: str) -> str:
    old = _field(body, name)
    if old is None:
        return body
    m = re.search(rf",?\s*\b{name}\s*=\s*\{{", body, re.I)
    assert m is not None
    return body[: m.start()] + body[m.end() + len(old) + 1 :]


def staged_bib(text: str) -> str:
    """The bibliography as the book shows it (see the module's docstring)."""
    spans = _entry_spans(text)
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for key, start, end in spans:
        body = text[start:end]
        who = re.sub(r"[{}\s]+", " ", _field(body, "author") or _field(body, "editor") or key).strip().lower()
        year = (_field(body, "year") or "").strip()
        year = "" if year.lower() in ("n.d.", "nd", "n.d") else year
        groups[(who, year)].append((key, (_field(body, "title") or "").lower()))
    suffix: dict[str, str] = {}
    for (_who, year), members in groups.items():
        if len(members) > 1:
            for i, (key, _title) in enumerate(sorted(members, key=lambda m: (m[1], m[0]))):
                suffix[key] = (year or "n.d.") + "abcdefghijklmnopqrstuvwxyz"[i]
    out, pos = [], 0
    for key, start, end in spans:
        body = text[start:end]
        if key in suffix:
            if _field(body, "year") is None:  # undated: "n.d.a", "n.d.b"
                body = re.sub(r"^(@\w+\s*\{\s*[^,\s]+\s*,)", rf"\1\n  year = {{{suffix[key]}}},", body)
            else:
                body = _set_field(body, "year", suffix[key])
        note = _field(body, "note")
        if note is not None:
            cleaned = _clean_note(note)
            body = _set_field(body, "note", cleaned) if cleaned else _drop_field(body, "note")
        out.append(text[pos:start] + body)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def register() -> None:
    """Register the book's pybtex styles (called by the Sphinx extension)."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style as Unsrt
    from pybtex.style.labels import BaseLabelStyle
    from pybtex.style.template import field, sentence

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                if people:
                    first = people[0]
                    name = " ".join(first.last_names) or str(first)
                    name = re.sub(r"[{}]", "", name)
                    if len(people) == 2:
                        name += " and " + re.sub(r"[{}]", "", " ".join(people[1].last_names))
                    elif len(people) > 2:
                        name += " et al."
                else:
                    name = entry.key
                yield f"{name} {entry.fields.get('year', 'n.d.')}"

    class BookStyle(Unsrt):
        default_label_style = AuthorYearLabels
        default_sorting_style = "author_year_title"

        def format_title(self, e, which_field, as_sentence=True):
            title = field(which_field)  # as written: no change of case
            return sentence[title] if as_sentence else title

        def format_entry(self, label, entry, bib_data=None):
            # sphinxcontrib-bibtex formats every entry twice per build (the bibliography and the
            # citation's tooltip), each time with a new style object; the entries are the objects
            # it parsed at start-up. Each is formatted once per process: by :func:`preformat`
            # while Sphinx waits for the chapters, or at its first use.
            key = (label, id(entry), id(bib_data))
            if key not in _FORMATTED or _FORMATTED[key][0] is not entry:
                _FORMATTED[key] = (entry, super().format_entry(label, entry, bib_data))
            return _FORMATTED[key][1]

    register_plugin("pybtex.style.formatting", "nkbook", BookStyle, force=True)


# (label, entry, bibliography data) -> (entry, formatted entry), for this process
_FORMATTED: dict[tuple, tuple] = {}


def preformat(app) -> int:
    """Format every entry of the parsed bibliography ahead of need, as sphinxcontrib-bibtex will
    when the pages have been read (same style, labels and entry objects): it then finds them done.
    Called while Sphinx waits for the chapters (:mod:`nkbook.build.sphinx_run`); returns how many
    entries it formatted (none when the book's style is not in use)."""
    from pybtex.plugin import find_plugin

    if getattr(app.config, "bibtex_default_style", None) != "nkbook":  # (or no bibliography at all)
        return 0
    entries = list(app.env.get_domain("cite").bibdata.data.entries.values())
    style = find_plugin("pybtex.style.formatting", "nkbook")()
    for label, entry in zip(style.format_labels(entries), entries, strict=True):
        style.format_entry(label, entry)
    return len(entries)
