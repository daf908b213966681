"""The Sphinx step (nkbook/build/sphinx_run.py): Jupyter Book's strict HTML build, in parallel.

A page with a broken cross-reference fails the build (warnings are errors) and names the page; a
clean page builds, in two processes, into the same HTML as Jupyter Book's own command line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CONFIG = """title: tiny
execute:
  execute_notebooks: "off"
sphinx:
  extra_extensions: [nkbook.build.sphinx_ext]
"""


def _stage(root: Path, body: str) -> Path:
    stage = root / "stage"
    stage.mkdir()
    (stage / "_config.yml").write_text(CONFIG)
    (stage / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: second\n")
    (stage / "intro.md").write_text(f"# Intro\n\n{body}\n")
    (stage / "second.md").write_text("(second-label)=\n# Second\n\nText.\n")
    return stage


def _run(stage: Path, jobs: int) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nkbook.build.sphinx_run", str(stage), "--jobs", str(jobs)]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_a_broken_reference_fails_and_names_the_page(tmp_path):
    proc = _run(_stage(tmp_path, "See {ref}`no-such-label`."), jobs=2)
    assert proc.returncode != 0
    assert "intro" in proc.stderr and "no-such-label" in proc.stderr


def test_parallel_pages_equal_jupyter_books_own(tmp_path):
    stage = _stage(tmp_path, "See {ref}`second-label`.")
    proc = _run(stage, jobs=2)
    assert proc.returncode == 0, proc.stderr
    assert "doing serial read" not in proc.stderr  # every extension is declared parallel-safe
    ours = {
        p.relative_to(stage / "_build" / "html"): p.read_bytes() for p in (stage / "_build" / "html").rglob("*.html")
    }
    shutil.rmtree(stage / "_build")
    jb = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jb), "build", str(stage), "-n", "-W", "--quiet"], check=True, capture_output=True)
    theirs = {
        p.relative_to(stage / "_build" / "html"): p.read_bytes() for p in (stage / "_build" / "html").rglob("*.html")
    }
    assert ours.keys() == theirs.keys() and ours == theirs


BIB_CONFIG = """title: tiny
execute:
  execute_notebooks: "off"
bibtex_bibfiles: [refs.bib]
sphinx:
  extra_extensions: [nkbook.build.sphinx_ext]
  config:
    bibtex_reference_style: author_year
    bibtex_default_style: nkbook
"""
BIB = """@book{kim2020, author = {Kim, A. and Lee, B.}, title = {A Book {About} Borders}, year = {2020},
  publisher = {Press}}
@article{park2019, author = {Park, C.}, title = {An article}, journal = {Journal}, year = {2019}}
"""


def test_the_bibliography_formatted_while_waiting_is_the_same(tmp_path):
    """With --wait, the entries are formatted before 'go' (bibliography.preformat); the pages are
    those of a build that formats them when it needs them."""
    pages = []
    for wait in (True, False):
        (tmp_path / str(wait)).mkdir()
        body = "As {cite:t}`kim2020` and {cite:p}`park2019` say.\n\n```{bibliography}\n```"
        stage = _stage(tmp_path / str(wait), body)
        (stage / "_config.yml").write_text(BIB_CONFIG)
        (stage / "refs.bib").write_text(BIB)
        cmd = [sys.executable, "-m", "nkbook.build.sphinx_run", str(stage), "--jobs", "1"]
        proc = subprocess.run(cmd + (["--wait"] if wait else []), input="go\n", capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert ("ready (2 bibliography entries formatted)" in proc.stdout) == wait
        pages.append((stage / "_build" / "html" / "intro.html").read_text(encoding="utf-8"))
    assert "Kim and Lee 2020" in pages[0] and "A Book About Borders" in pages[0]
    assert pages[0] == pages[1]


FORMAT_ALL = """
import json, sys
from pathlib import Path
from pybtex.database import parse_string
from pybtex.plugin import find_plugin
from nkbook.build import bibliography, sphinx_ext
from nkbook.build.bibliography import staged_bib

if sys.argv[1] == "memo":
    sphinx_ext._memoise_latex_decoding()
bibliography.register()
data = parse_string(staged_bib(Path("book/references.bib").read_text(encoding="utf-8")), "bibtex")
style = find_plugin("pybtex.style.formatting", "nkbook")()
entries = list(data.entries.values())
out = []
for _ in range(2):  # the second round meets what the first decoded
    bibliography._FORMATTED.clear()
    out += [style.format_entry(label, e).text.render_as("html") for label, e in zip(style.format_labels(entries), entries)]
print(json.dumps(out))
"""


def test_latex_decoded_once_formats_every_entry_as_before():
    """sphinx_ext memoises pybtex's LaTeX decoding: every entry of the book's bibliography is
    formatted to the same HTML as without it, the first time and the second."""
    from nkbook.core.paths import PROJECT_ROOT

    runs = {}
    for mode in ("plain", "memo"):
        proc = subprocess.run(
            [sys.executable, "-c", FORMAT_ALL, mode], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
        runs[mode] = json.loads(proc.stdout)
    assert len(runs["plain"]) > 200
    assert runs["memo"] == runs["plain"]


def _rebuild(stage: Path, steps: list) -> subprocess.CompletedProcess:
    """A rebuild with --wait: each step is a line for Sphinx (waiting for its answer to 'read') or
    a function that changes the stage in between, as the driver stages a finished chapter."""
    cmd = [sys.executable, "-m", "nkbook.build.sphinx_run", str(stage), "--jobs", "2", "--wait"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    answers = [proc.stdout.readline()]  # ready
    for step in steps:
        if callable(step):
            step()
            continue
        proc.stdin.write(step + "\n")
        proc.stdin.flush()
        if step == "read":
            answers.append(proc.stdout.readline())
    out, err = proc.communicate()
    return subprocess.CompletedProcess(cmd, proc.returncode, "".join(answers) + out, err)


def _html(stage: Path) -> dict:
    site = stage / "_build" / "html"
    return {p.relative_to(site): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_pages_read_before_go_are_built_as_if_read_after(tmp_path):
    """A rebuild in which one page is read early ('read', while the driver still stages another)
    writes the same book as one that reads both after 'go'."""
    stages = []
    for how in ("early", "after"):
        (tmp_path / how).mkdir()
        stage = _stage(tmp_path / how, "See {ref}`second-label`.")
        assert _run(stage, jobs=2).returncode == 0  # the last build: a saved environment
        stages.append(stage)

    def edit_second(stage: Path) -> None:
        (stage / "second.md").write_text("(second-label)=\n# Second, revised\n\nMore text.\n")

    def edit_intro(stage: Path) -> None:
        (stage / "intro.md").write_text("# Intro\n\nSee {ref}`second-label`, revised.\n")

    early, after = stages
    edit_second(early)
    proc = _rebuild(early, ["read", lambda: edit_intro(early), "go"])
    assert proc.returncode == 0, proc.stderr
    assert "read 1" in proc.stdout  # second, read before the intro changed
    edit_second(after)
    edit_intro(after)
    assert _rebuild(after, ["go"]).returncode == 0
    assert _html(early) == _html(after)
    assert b"Second, revised" in _html(early)[Path("intro.html")]  # the intro's link shows the new title


def test_a_warning_in_a_page_read_before_go_fails_the_build(tmp_path):
    stage = _stage(tmp_path, "See {ref}`second-label`.")
    assert _run(stage, jobs=2).returncode == 0
    (stage / "intro.md").write_text("# Intro\n\nSee {ref}`no-such-label`.\n")
    proc = _rebuild(stage, ["read", "go"])
    assert "read 1" in proc.stdout
    assert proc.returncode != 0
    assert "intro" in proc.stderr and "no-such-label" in proc.stderr
