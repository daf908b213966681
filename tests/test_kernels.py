"""Warm kernels (nkbook/build/kernels.py): a forked kernel is the kernel a fresh start would be.

The same notebooks are executed by papermill twice, once on kernels forked from the zygote and
once on fresh kernels (``NKBOOK_FORK_KERNELS=0``); what they print and the executed notebooks must
be the same. A kernel must not outlive its zygote, even one killed without warning.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill
import pytest

from nkbook.build import driver, kernels
from nkbook.core.paths import DATA_DIR, NOTEBOOKS_DIR

pytestmark = pytest.mark.slow

PROBE = """import os, sys
print(os.getcwd())
print(os.environ.get("NKBOOK_PROBE"))
print(sorted(m for m in sys.modules if m == "nkbook" or m.startswith("nkbook.")))
print(sys.path[0] == "" or sys.path[0] == os.getcwd())
print(os.getpid() != int(os.environ.get("NKBOOK_OUTER_PID", "0")))"""


def _run_cell(tmp_path: Path, name: str, source: str) -> list[dict]:
    """The outputs of one code cell, executed by papermill on the kernel the switch selects."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": driver.KERNEL_NAME, "display_name": "x", "language": "python"}
    cls = kernels.kernel_manager_class()
    out = papermill.execute_notebook(
        nb,
        str(tmp_path / f"{name}.ipynb"),
        kernel_name=driver.KERNEL_NAME,
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
        **({"kernel_manager_class": cls} if cls else {}),
    )
    return out.cells[0].outputs


def _probe(tmp_path: Path, name: str) -> list[str]:
    return "".join(o.get("text", "") for o in _run_cell(tmp_path, name, PROBE)).splitlines()


@pytest.fixture
def fork_switch(monkeypatch):
    driver.ensure_kernel()
    monkeypatch.setenv("NKBOOK_PROBE", "set by the test")
    monkeypatch.setenv("NKBOOK_OUTER_PID", str(os.getpid()))

    def use(on: bool):
        monkeypatch.setenv(kernels.SWITCH_ENV, "1" if on else "0")

    return use


def test_a_forked_kernel_sees_what_a_fresh_one_sees(tmp_path, fork_switch):
    fork_switch(False)
    fresh = _probe(tmp_path, "fresh")
    fork_switch(True)
    with kernels.Zygote(tmp_path / "z"):
        assert kernels.kernel_manager_class() is not None
        forked = _probe(tmp_path, "forked")
    assert forked == fresh
    assert fresh[0] == str(NOTEBOOKS_DIR) and fresh[1] == "set by the test"
    assert fresh[2] == "[]"  # no module of the book's package before the chapter imports it


INTERLEAVED = """import sys
from IPython.display import display, Markdown
from myst_nb import glue
print("one")
glue("a", 1, display=False)
display(Markdown("two"))
sys.stderr.write("three\\n")
glue("b", 2)
print("four", flush=True)
display(Markdown("five"))
print("six")"""


def _outputs(tmp_path: Path, name: str) -> list[tuple]:
    return [
        (o["output_type"], o.get("name"), o.get("text") or json.dumps(o.get("data"), sort_keys=True))
        for o in _run_cell(tmp_path, name, INTERLEAVED)
    ]


def test_prints_and_displays_keep_their_order_on_a_forked_kernel(tmp_path, fork_switch):
    """A forked kernel skips the flush of empty streams before a display (kernels.py): what was
    printed before a display still comes before it, as on a fresh kernel."""
    fork_switch(False)
    fresh = _outputs(tmp_path, "fresh")
    fork_switch(True)
    with kernels.Zygote(tmp_path / "z"):
        forked = _outputs(tmp_path, "forked")
    assert forked == fresh
    shown = [text for _, _, text in fresh]
    order = [next(i for i, t in enumerate(shown) if w in t) for w in ("one", "two", "three", "four", "five", "six")]
    assert order == sorted(order), shown


def _arrivals_job(folder: Path, gate=None) -> dict:
    """The driver's job for the arrivals chapter (the quickest), its outputs under ``folder``."""
    job = {
        "name": "arrivals",
        "notebook": str(NOTEBOOKS_DIR / "arrivals.md"),
        "parameters": {"data_dir": str(DATA_DIR), "start_year": 1998, "end_year": None},
        "output": str(folder / "arrivals.ipynb"),
        "results_dir": str(folder / "results"),
        "cell_timeout": 600,
    }
    return dict(job, gate=gate) if gate is not None else job


def test_a_chapter_executes_to_the_same_notebook_on_either_kernel(tmp_path, fork_switch):
    def job(tag: str) -> dict:
        return _arrivals_job(tmp_path / tag)

    fork_switch(False)
    fresh = driver.execute_chapter(job("fresh"))
    fork_switch(True)
    with kernels.Zygote(tmp_path / "z"):
        forked = driver.execute_chapter(job("forked"))
    assert fresh["ok"] and forked["ok"], (fresh.get("error"), forked.get("error"))
    assert forked["reads"] == fresh["reads"]  # the same data files and package modules: the same cache key
    assert forked["results"] == fresh["results"]
    assert (tmp_path / "forked" / "arrivals.ipynb").read_text() == (tmp_path / "fresh" / "arrivals.ipynb").read_text()


def _alive(pid: int) -> bool:
    return kernels.ForkedProcess(pid).poll() is None


@pytest.mark.parametrize("how", ["stopped", "killed"])
def test_no_kernel_outlives_its_zygote(tmp_path, how):
    driver.ensure_kernel()
    zygote = kernels.Zygote(tmp_path / "z").__enter__()
    try:
        km = kernels.kernel_manager_class()(kernel_name=driver.KERNEL_NAME)
        asyncio.run(km.start_kernel())
        pid = km.provisioner.pid
        assert _alive(pid) and pid != zygote.proc.pid
    finally:
        if how == "killed":
            os.kill(zygote.proc.pid, signal.SIGKILL)  # no chance to stop its kernels
            zygote.proc.wait()
        zygote.__exit__(None, None, None)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def test_kernel_arguments_are_read_from_the_kernel_command():
    spec = json.loads((Path(sys.prefix) / "share/jupyter/kernels" / driver.KERNEL_NAME / "kernel.json").read_text())
    cmd = [a.replace("{connection_file}", "/tmp/k.json") for a in spec["argv"]]
    assert kernels._kernel_args(cmd) == ["-f", "/tmp/k.json"]
    assert kernels._kernel_args(["R", "--slave", "-f", "x"]) is None  # another kernel: started as usual


def test_a_finished_process_reads_as_finished():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid is gone
    assert kernels.ForkedProcess(proc.pid).poll() == 0


def test_a_kernel_started_ahead_runs_the_chapter_as_a_new_one_would(tmp_path, fork_switch):
    """A chapter whose kernel was started (and its module imported) while its upstream ran gives
    the same executed notebook as one started the usual way; a closed gate stops the kernel."""

    def job(tag: str, gate=None) -> dict:
        return _arrivals_job(tmp_path / tag, gate)

    fork_switch(True)
    with kernels.Zygote(tmp_path / "z"):
        usual = driver.execute_chapter(job("usual"))
        gate = driver._Gate()
        gate.open(run=True)
        ahead = driver.execute_chapter(job("ahead", gate))
        closed = driver._Gate()
        closed.open(run=False)
        skipped = driver.execute_chapter(job("skipped", closed))
    assert usual["ok"] and ahead["ok"], (usual.get("error"), ahead.get("error"))
    assert ahead["reads"] == usual["reads"] and ahead["results"] == usual["results"]
    assert (tmp_path / "ahead" / "arrivals.ipynb").read_text() == (tmp_path / "usual" / "arrivals.ipynb").read_text()
    assert skipped == {"ok": True, "skipped": True, "name": "arrivals"}
    assert not (tmp_path / "skipped" / "arrivals.ipynb").exists()


def test_a_zygote_that_ended_fails_the_kernel_request_at_once_naming_its_log(tmp_path):
    zygote = kernels.Zygote(tmp_path / "z").__enter__()
    try:
        os.kill(zygote.proc.pid, signal.SIGKILL)  # before it is ready
        zygote.proc.wait()
        started = time.monotonic()
        with pytest.raises(RuntimeError) as info:
            kernels.request_kernel(zygote.socket, ["-f", str(tmp_path / "k.json")], dict(os.environ), str(tmp_path))
        assert time.monotonic() - started < 5  # not the 60 s wait
        assert "ended" in str(info.value) and str(tmp_path / "z" / "kernels.log") in str(info.value)
    finally:
        zygote.__exit__(None, None, None)
