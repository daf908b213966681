"""Issue 14 item 3: imports point down only (build > chapters > present > analysis > data > core),
and no cycle among the modules of a layer. The contracts live in pyproject.toml (import-linter)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent))


def lint(contract: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--contract", contract], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(LINT_IMPORTS is None, reason="import-linter is not installed (uv sync installs it)")
@pytest.mark.parametrize("contract", ["layers", "acyclic"])
def test_import_contract_is_kept(contract):
    proc = lint(contract)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.skipif(LINT_IMPORTS is None, reason="import-linter is not installed (uv sync installs it)")
def test_an_upward_import_would_fail_the_contract(tmp_path):
    """The contract can fail: a copy of the package with data importing build is refused."""
    shutil.copytree(ROOT / "nkbook", tmp_path / "nkbook", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "nkbook" / "data" / "__init__.py", "a", encoding="utf-8") as fh:
        fh.write("\nfrom nkbook.build import cache as _upward  # noqa\n")
    proc = subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--contract", "layers"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode != 0 and "nkbook.data -> nkbook.build" in proc.stdout, proc.stdout[-2000:]


def test_the_build_environment_does_not_carry_jupyterlab():
    """JupyterLab is authoring only (make lab, its own .venv-lab). In the build's environment its
    dependency jupyter-events brings jsonschema's IRI checker, which every build process then
    imports (1.2 s of grammar building each, issue #20)."""
    import importlib.util

    assert importlib.util.find_spec("jupyterlab") is None
    assert importlib.util.find_spec("rfc3987_syntax") is None


def test_the_search_index_is_stemmed_in_c_with_the_same_stems():
    """Sphinx stems every word of the search index with snowballstemmer, which hands the work to
    PyStemmer's C code when it is installed (issue #20: 0.5 s of pure Python a build). The stems
    are those of the pure-Python Porter stemmer, for every word of the chapters' sources."""
    import re

    import snowballstemmer
    import Stemmer
    from snowballstemmer.porter_stemmer import PorterStemmer

    assert isinstance(snowballstemmer.stemmer("porter"), Stemmer.Stemmer)
    words = {
        w.lower()
        for p in sorted((ROOT / "notebooks").glob("*.md"))
        for w in re.findall(r"[A-Za-z][A-Za-z'-]+", p.read_text(encoding="utf-8"))
    }
    assert len(words) > 1000
    python, c = PorterStemmer(), Stemmer.Stemmer("porter")
    assert [w for w in sorted(words) if python.stemWord(w) != c.stemWord(w)] == []


def test_the_installed_command_runs():
    """pyproject's [project.scripts] names the command line's real home (it once named a module
    that did not exist, and ``nkbook`` failed at import)."""
    command = Path(sys.executable).parent / "nkbook"
    proc = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "check-results" in proc.stdout
