"""Chapter notebooks are MyST Markdown text (jupytext); this module turns them into notebooks.

The source of a chapter is ``notebooks/<name>.md``, one line per source line. The driver converts
it in memory (:func:`read`) and hands the notebook object to papermill, so no ``.ipynb`` source
exists outside ``_build/``. The cell tagged ``parameters`` is read straight from the text
(:func:`parameters_cell`), without importing jupytext or papermill.
"""

from __future__ import annotations

import re
from pathlib import Path

_FENCE = re.compile(r"^(`{3,}|~{3,})\{code-cell\}[^\n]*$")


def code_cells(path: Path) -> list[tuple[int, list[str], str]]:
    """Every code cell of a MyST text notebook: (first line number, tags, source)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    cells = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m.group(1), i + 1
        j = i + 1
        options: list[str] = []
        while j < len(lines) and lines[j].startswith(":"):  # ":tags: [parameters]" style options
            options.append(lines[j])
            j += 1
        if j < len(lines) and lines[j].strip() == "---":  # or a YAML block
            k = j + 1
            while k < len(lines) and lines[k].strip() != "---":
                options.append(lines[k])
                k += 1
            j = k + 1
        body = []
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j])
            j += 1
        tags: list[str] = []
        for opt in options:
            m2 = re.match(r"^:?tags:\s*\[(.*)\]\s*$", opt.strip())
            if m2:
                tags = [t.strip().strip("'\"") for t in m2.group(1).split(",") if t.strip()]
        cells.append((start, tags, "\n".join(body).strip("\n")))
        i = j + 1
    return cells


def parameters_cell(path: Path) -> str:
    """The source of the cell tagged ``parameters`` (empty when the notebook has none)."""
    for _line, tags, source in code_cells(path):
        if "parameters" in tags:
            return source
    return ""


def read(path: Path):
    """The notebook object of a text notebook (jupytext), ready for papermill."""
    import jupytext

    nb = jupytext.read(str(path), fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    for i, cell in enumerate(nb.cells):  # jupytext draws random cell ids: two builds must be identical
        cell["id"] = f"cell-{i}"
    return nb
