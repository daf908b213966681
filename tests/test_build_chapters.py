"""Issue 14 item 6: chapters.yml is the single source, parsed strictly; _toc.yml is generated."""

from __future__ import annotations

import pytest
import yaml

from nkbook.build.driver import BuildError, load_chapters, staged_toc
from nkbook.core.paths import CHAPTERS_FILE, NOTEBOOKS_DIR


def write(tmp_path, text: str):
    path = tmp_path / "chapters.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_top_level_key_is_refused_naming_file_and_key(tmp_path):
    path = write(tmp_path, "chapters:\n  - name: arrivals\ntitel: oops\n")
    with pytest.raises(BuildError) as info:
        load_chapters(path)
    assert str(path) in str(info.value) and "titel" in str(info.value)


def test_an_unknown_chapter_key_is_refused_naming_file_chapter_and_key(tmp_path):
    path = write(tmp_path, "chapters:\n  - name: arrivals\n    notebook: other.ipynb\n")
    with pytest.raises(BuildError) as info:
        load_chapters(path)
    msg = str(info.value)
    assert str(path) in msg and "'arrivals'" in msg and "notebook" in msg


@pytest.mark.parametrize(
    "text, needle",
    [
        ("chapters: [{name: nosuch}]\n", "notebooks/nosuch.md"),
        ("chapters: [{name: arrivals, needs: [ghost]}]\n", "ghost"),
        ("chapters: [{part: x}]\n", "no 'name'"),
        ("chapters: [{name: arrivals\n", "not valid YAML"),
        ("- just a list\n", "'chapters' list"),
    ],
)
def test_other_mistakes_are_refused_with_a_message(tmp_path, text, needle):
    with pytest.raises(BuildError, match="chapters.yml") as info:
        load_chapters(write(tmp_path, text))
    assert needle in str(info.value)


def test_the_real_chapters_file_loads_and_names_one_notebook_per_chapter():
    chapters, spec = load_chapters(CHAPTERS_FILE)
    assert chapters and all(c.notebook == NOTEBOOKS_DIR / f"{c.name}.md" for c in chapters)
    assert len({c.name for c in chapters}) == len(chapters)


def test_the_toc_is_generated_from_the_chapters_file():
    chapters, spec = load_chapters(CHAPTERS_FILE)
    text = staged_toc(chapters, spec)
    assert text.startswith("# Generated from chapters.yml")
    toc = yaml.safe_load(text)
    assert toc["format"] == "jb-book" and toc["root"] == "book/intro"
    listed = [e["file"] for part in toc["parts"] for e in part["chapters"]]
    assert listed == [f"notebooks/{c.name}" for c in chapters] + list(spec.get("appendix", []))
    captions = [p["caption"] for p in toc["parts"]]
    assert captions[:-1] == list(dict.fromkeys(c.part for c in chapters)) and captions[-1] == "Appendix"


def test_a_subset_lists_only_its_chapters(tmp_path):
    chapters, spec = load_chapters(write(tmp_path, "chapters:\n  - name: arrivals\n    part: One\n"))
    toc = yaml.safe_load(staged_toc(chapters, spec))
    assert toc["parts"] == [{"caption": "One", "chapters": [{"file": "notebooks/arrivals"}]}]


def test_no_toc_is_committed():
    assert not (CHAPTERS_FILE.parent / "_toc.yml").exists()
