"""Warm kernels (nkbook/build/kernels.py): a forked kernel is the kernel a fresh start would be.

The same notebooks are executed by papermill twice, once on kernels forked from the zygote and
once on fresh kernels (``NKBOOK_FORK_KERNELS=0``); what they print and the executed notebooks must
be the same. A kernel must not outlive its zygote, even one killed without warning.

A zygote kept between builds serves the next build in the same folder the same kernels, and only
while its environment is the same; it ends with its folder or when idle, and the kernels of a
build that was killed end while it stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
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


# --------------------------------------------------------------------------------------------
# the zygote kept between builds


def _wait_until(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def kept(tmp_path):
    """A folder whose zygote is kept; the zygote ends with the folder at the end of the test."""
    folder = tmp_path / "kept"
    started: list[int] = []
    yield folder, started
    shutil.rmtree(folder, ignore_errors=True)  # the zygote sees its record gone and ends
    assert _wait_until(lambda: not any(_alive(pid) for pid in started)), "a kept zygote outlived its folder"


def test_a_kept_zygote_serves_the_next_build_the_same_kernels(tmp_path, fork_switch, kept):
    folder, started = kept
    fork_switch(True)
    with kernels.Zygote(folder, idle=60) as first:
        started.append(first.pid)
        one = driver.execute_chapter(_arrivals_job(tmp_path / "one"))
    assert not first.kept and _alive(first.pid)  # the build ended; its zygote did not
    assert json.loads((folder / "zygote.json").read_text())["pid"] == first.pid
    with kernels.Zygote(folder, idle=60) as second:
        two = driver.execute_chapter(_arrivals_job(tmp_path / "two"))
    assert second.kept and second.pid == first.pid
    assert one["ok"] and two["ok"], (one.get("error"), two.get("error"))
    assert (tmp_path / "one" / "arrivals.ipynb").read_text() == (tmp_path / "two" / "arrivals.ipynb").read_text()
    assert one["reads"] == two["reads"]  # the second kernel imported the book's modules afresh too


def test_a_kept_zygote_ends_with_its_folder(kept):
    folder, started = kept
    with kernels.Zygote(folder, idle=60) as zygote:
        started.append(zygote.pid)
    socket_file = Path(zygote.socket)
    assert _wait_until(socket_file.exists) and _alive(zygote.pid)  # ready (its imports done)
    shutil.rmtree(folder)  # what a cold build (or make clean) does first
    assert _wait_until(lambda: not _alive(zygote.pid), 5)
    assert not socket_file.exists() and not socket_file.parent.exists()  # it cleaned up after itself


def test_a_kept_zygote_is_not_used_by_a_build_with_another_environment(kept, monkeypatch):
    folder, started = kept
    with kernels.Zygote(folder, idle=60) as first:
        started.append(first.pid)
    monkeypatch.setenv("NKBOOK_PROBE", "another environment")  # what the kernels would have inherited
    with kernels.Zygote(folder, idle=60) as second:
        started.append(second.pid)
        assert not second.kept and second.pid != first.pid
    assert _wait_until(lambda: not _alive(first.pid), 5)  # the old one was told to stop
    assert _alive(second.pid)


def test_a_kept_zygote_ends_when_idle(kept):
    folder, started = kept
    with kernels.Zygote(folder, idle=1) as zygote:
        started.append(zygote.pid)
    assert _wait_until(lambda: not _alive(zygote.pid), 6)


KILLED_BUILD = """
import asyncio, os, sys
from pathlib import Path
from nkbook.build import driver, kernels
zygote = kernels.Zygote(Path(sys.argv[1]), idle=60).__enter__()
km = kernels.kernel_manager_class()(kernel_name=driver.KERNEL_NAME)
asyncio.run(km.start_kernel())
print(zygote.pid, km.provisioner.pid, flush=True)
os.kill(os.getpid(), 9)  # no chance to stop its kernel
"""


def test_the_kernels_of_a_killed_build_end_and_its_kept_zygote_serves_the_next(kept):
    folder, started = kept
    driver.ensure_kernel()
    proc = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(folder)], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    zygote_pid, kernel_pid = map(int, proc.stdout.split())
    started.append(zygote_pid)
    assert _wait_until(lambda: not _alive(kernel_pid), 5), "the kernel of a killed build still runs"
    assert _alive(zygote_pid)
    with kernels.Zygote(folder, idle=60) as again:
        assert again.kept and again.pid == zygote_pid


def test_the_driver_reports_where_its_kernels_came_from(tmp_path, kept, monkeypatch):
    folder, started = kept
    monkeypatch.setenv(kernels.IDLE_ENV, "60")
    said = []
    for _ in range(2):
        with contextlib.ExitStack() as stack:
            workers = driver._Workers(stack, folder, jobs=1)
            workers.start()
            said.append(workers.kernels)
            started.append(int(os.environ[kernels.PID_ENV]))
    assert said == ["zygote started", "zygote kept from the last build"]
    monkeypatch.setenv(kernels.SWITCH_ENV, "0")
    with contextlib.ExitStack() as stack:
        workers = driver._Workers(stack, tmp_path / "fresh", jobs=1)
        workers.start()
        assert workers.kernels == "fresh processes (NKBOOK_FORK_KERNELS=0)"


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_idle_setting_is_refused_naming_it(monkeypatch, value):
    monkeypatch.setenv(kernels.IDLE_ENV, value)
    with pytest.raises(ValueError, match=f"{kernels.IDLE_ENV}={value!r}"):
        kernels.idle_seconds()


def test_the_idle_setting(monkeypatch):
    monkeypatch.delenv(kernels.IDLE_ENV, raising=False)
    assert kernels.idle_seconds() == kernels.DEFAULT_IDLE
    monkeypatch.setenv(kernels.IDLE_ENV, "0")
    assert kernels.idle_seconds() == 0
    monkeypatch.setenv(kernels.IDLE_ENV, "2.5")
    assert kernels.idle_seconds() == 2.5


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_a_rebuild_with_bad_data_stops_the_chapters_it_started_and_keeps_the_last_book(kept, monkeypatch):
    """With a kept zygote, the chapters that read a changed file start while the data are
    validated; bad data still fails the build with the cell named, their kernels end, and the
    cache and the last book are as they were."""
    from conftest import copy_data, edit_csv

    from nkbook.data.problems import DataError

    folder, started = kept
    monkeypatch.setenv(kernels.IDLE_ENV, "60")
    data = copy_data(folder.parent / "data")
    driver.build(data_dir=data, root=folder, pdf=False, log=lambda *_: None)
    zygote = json.loads((folder / "work" / "kernels" / "zygote.json").read_text())["pid"]
    started.append(zygote)

    def snapshot() -> dict:
        return {
            p: p.read_bytes() for sub in ("html", "cache") for p in sorted((folder / sub).rglob("*")) if p.is_file()
        }

    before = snapshot()
    changed = "gdp_growth.csv"
    chapters = driver.load_chapters()[0]
    readers = {
        c.name
        for c in chapters
        if not c.needs and changed in json.loads((folder / "cache" / f"{c.name}.json").read_text())["reads"]["data"]
    }
    ran: list[str] = []
    real = driver.execute_chapter

    def execute(job: dict) -> dict:
        ran.append(job["name"])
        return real(job)

    monkeypatch.setattr(driver, "execute_chapter", execute)
    edit_csv(data / changed, {"year": "2020", "variant": "first_published"}, {"growth_pct": "n/a"})
    with pytest.raises(DataError) as info:
        driver.build(data_dir=data, root=folder, pdf=False, log=lambda *_: None)
    assert f"{changed} line" in str(info.value) and "column growth_pct" in str(info.value)
    assert readers and set(ran) == readers  # they had started, before validation failed
    assert _wait_until(lambda: not _children(zygote), 5), "a kernel of the failed build still runs"
    assert snapshot() == before
    assert _alive(zygote)


def test_a_kernel_ended_while_it_imports_ahead_is_noticed_at_once(tmp_path, fork_switch):
    """A build that stops ends its kernels (the zygote's release); a kernel started ahead, killed
    while it runs its silent import, fails its chapter's thread at once (it waited 60 s)."""
    from jupyter_core.utils import run_sync

    fork_switch(True)
    with kernels.Zygote(tmp_path / "z") as zygote:
        km = kernels.kernel_manager_class()(kernel_name=driver.KERNEL_NAME)
        run_sync(km.start_kernel)(cwd=str(tmp_path))
        kc = km.blocking_client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        started = time.monotonic()
        threading.Timer(0.5, zygote.release).start()
        with pytest.raises(RuntimeError, match="ended"):
            driver._run_quietly(km, kc, "import time; time.sleep(30)", timeout=60)
        assert time.monotonic() - started < 10
        kc.stop_channels()
