"""Every chapter notebook reads like a chapter (issue #14): no def/class, no code cell over 15 lines,
no inline Altair. The chapters come from chapters.yml, so a new chapter is checked too."""

from __future__ import annotations

import pytest

from nkbook.build.driver import load_chapters
from nkbook.build.notebooks import code_cells

CHAPTERS, _ = load_chapters()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_notebook_is_thin(chapter):
    cells = code_cells(chapter.notebook)
    assert cells, f"{chapter.notebook} has no code cell"
    assert any("parameters" in tags for _line, tags, _src in cells), "no cell tagged parameters"
    for line, _tags, source in cells:
        lines = source.splitlines()
        assert len(lines) <= 15, f"{chapter.notebook.name}: code cell at line {line} has {len(lines)} lines"
        assert not any(s.lstrip().startswith(("def ", "class ")) for s in lines), f"def/class at line {line}"
        assert "alt." not in source, f"{chapter.notebook.name}: inline Altair at line {line}"
