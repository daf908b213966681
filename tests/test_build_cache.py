"""Issue 14 item 5: per-chapter cache keys, observed from the driver's record of what ran.

The driver's decisions are real; the kernels are not: a stand-in executor returns, for each
chapter, the inputs a chapter of that name records (data files, package modules, other files)
and its results, so no notebook is executed and no page rendered. Edits are simulated by
changing the checksum the cache computes for one file (no file of the project is touched);
data edits are made to a copy of data/. The real recorded reads are checked in the book tier
(test_recorded_reads_of_the_real_chapters).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nkbook.build import cache as cache_mod
from nkbook.build import driver
from nkbook.core.paths import DATA_DIR, PROJECT_ROOT

COMMON = [
    "nkbook",
    "nkbook.core",
    "nkbook.core.context",
    "nkbook.core.paths",
    "nkbook.data",
    "nkbook.data.load",
    "nkbook.analysis",
    "nkbook.analysis.series",
    "nkbook.present",
    "nkbook.present.results",
]
READS = {  # what each chapter records while it runs (modules: its own module and the layers below)
    "arrivals": {"data": ["arrivals_yearly.csv", "arrivals_cumulative.csv"], "files": []},
    "mobility": {"data": ["arrivals_yearly.csv", "provinces.csv"], "files": []},
    "diplomacy": {"data": ["arrivals_yearly.csv", "events.csv"], "files": ["book/references.bib"]},
    "economic_push": {"data": ["arrivals_yearly.csv", "gdp_growth.csv"], "files": []},
    "political_push": {"data": ["arrivals_yearly.csv", "missile_tests.csv"], "files": []},
    "claims": {"data": ["claims.csv"], "files": []},
    "synthesis": {"data": ["arrivals_yearly.csv", "gdp_growth.csv"], "files": []},
}


_VALID: dict = {}


def _frames() -> dict:
    if not _VALID:
        _VALID.update(driver.validate())
    return _VALID


class Kernels:
    """Stands in for papermill: records what ran, writes a notebook, returns reads and results."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.ran: list[str] = []
        self.salt: dict[str, str] = {}  # chapter -> a change in its results

    def __call__(self, job: dict) -> dict:
        name = job["name"]
        self.ran.append(name)
        Path(job["output"]).parent.mkdir(parents=True, exist_ok=True)
        Path(job["output"]).write_text(json.dumps({"cells": [], "chapter": name}))
        lines = [f"data {self.data_dir / f}" for f in READS[name]["data"]]
        lines += [f"file {PROJECT_ROOT / f}" for f in READS[name]["files"]]
        lines += [f"module {m}" for m in COMMON + [f"nkbook.chapters.{name}"]]
        reads = cache_mod.parse_reads(lines, self.data_dir.resolve())
        return {
            "ok": True,
            "name": name,
            "reads": reads,
            "seconds": 0.0,
            "results": {"value": 1, "salt": self.salt.get(name, "")},
        }


@pytest.fixture
def project(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    kernels = Kernels(data)
    edited: set[Path] = set()
    real_sha = cache_mod.file_sha

    def file_sha(path: Path) -> str:  # an "edited" file hashes differently
        digest = real_sha(path)
        return digest + "-edited" if Path(path).resolve() in edited else digest

    monkeypatch.setattr(cache_mod, "file_sha", file_sha)
    frames = _frames()  # validated once (tested in test_data; not the point here), parameters checked
    monkeypatch.setattr(driver, "validate", lambda data_dir: frames)
    root = tmp_path / "_build"

    def run(**kw) -> dict:
        kernels.ran = []
        record = driver.build(
            data_dir=data, root=root, pdf=False, log=lambda *_: None, executor=kernels, render=False, **kw
        )
        assert sorted(record["executed"]) == sorted(kernels.ran)
        return record

    first = run()
    assert sorted(first["executed"]) == sorted(READS) and first["cached"] == []
    again = run()
    assert again["executed"] == [] and sorted(again["cached"]) == sorted(READS)
    return {
        "run": run,
        "edit": lambda rel: edited.add((PROJECT_ROOT / rel).resolve()),
        "data": data,
        "kernels": kernels,
    }


@pytest.mark.parametrize("module", ["nkbook/build/cli.py", "nkbook/build/pdf.py", "nkbook/build/driver.py"])
def test_editing_the_build_layer_reexecutes_no_chapter(project, module):
    project["edit"](module)
    record = project["run"]()
    assert record["executed"] == [], record


def test_editing_a_chapter_module_reexecutes_it_and_those_that_need_it(project):
    project["edit"]("nkbook/chapters/economic_push.py")
    project["kernels"].salt["economic_push"] = "a number moved"
    record = project["run"]()
    assert sorted(record["executed"]) == ["economic_push", "synthesis"]


def test_a_chapter_whose_results_did_not_move_leaves_its_dependants_cached(project):
    project["edit"]("nkbook/chapters/economic_push.py")  # a comment: same results
    record = project["run"]()
    assert record["executed"] == ["economic_push"]


def test_editing_a_lower_layer_reexecutes_every_chapter_that_imported_it(project):
    project["edit"]("nkbook/analysis/series.py")
    record = project["run"]()
    assert sorted(record["executed"]) == sorted(READS)


def test_editing_the_bibliography_reexecutes_the_chapters_that_read_it(project):
    project["edit"]("book/references.bib")
    record = project["run"]()
    assert record["executed"] == ["diplomacy"]


def test_a_changed_data_file_reexecutes_only_its_readers(project):
    path = project["data"] / "missile_tests.csv"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # same rows, other bytes
    record = project["run"]()
    assert record["executed"] == ["political_push"]


def test_changed_parameters_reexecute_the_chapters_that_declare_them(project):
    record = project["run"](params=["political_push.break_year=2013"])
    assert record["executed"] == ["political_push"]


def test_force_reexecutes_everything(project):
    assert sorted(project["run"](force=True)["executed"]) == sorted(READS)


@pytest.mark.book
def test_recorded_reads_of_the_real_chapters(main_book):
    """What the real kernels recorded: the stand-in above follows it."""
    reads = {}
    for c in driver.load_chapters()[0]:
        meta = json.loads((main_book["root"] / "cache" / f"{c.name}.json").read_text())
        reads[c.name] = meta["reads"]
        assert f"nkbook.chapters.{c.name}" in meta["reads"]["modules"] or c.name == "arrivals", c.name
        assert not [m for m in meta["reads"]["modules"] if m.startswith("nkbook.build")], c.name
    assert "book/references.bib" in reads["diplomacy"]["files"]
    assert [n for n, r in reads.items() if "book/references.bib" in r["files"]] == ["diplomacy"]
    readers = {n for n, r in reads.items() if "missile_tests.csv" in r["data"]}
    assert "political_push" in readers and len(readers) < len(reads)


def test_the_driver_imports_nothing_heavy_until_something_runs():
    """A no-op build must not pay for pandas, papermill, altair or jupyter_client (issue 20)."""
    import subprocess
    import sys

    code = (
        "import sys, nkbook.build.cli, nkbook.build.driver, nkbook.build.cache; "
        "print(sorted(m for m in ('pandas', 'papermill', 'altair', 'jupyter_client', 'nbformat') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
