"""Whole-process build benchmark (issue 20): what a user waits for, medians over a few runs.

    python benchmarks/bench.py [--runs N] [--chapters FILE] [--cases cold,noop,data,data-fresh,module,baseline]

Every case is a subprocess, ``python -m nkbook build`` (the command ``make book`` runs), timed
from start to exit on a copy of data/ in a temporary folder:

- cold: the environment ready, the build folder empty;
- noop: nothing changed since the last build;
- data: one data file changed (gdp_growth.csv; which chapters re-executed is reported). As a
  user's next build, it uses the kernels' zygote the last build kept (nkbook/build/kernels.py);
- data-fresh: the same with NKBOOK_KERNELS_IDLE=0, a zygote started for the build (what the first
  build after 15 idle minutes waits for);
- module: one chapter module changed (nkbook/chapters/economic_push.py gets a trailing comment,
  restored afterwards);
- baseline: plain ``jupyter-book build --all`` with notebook execution forced, in the same run.

Timings on a shared machine are noisy: the table gives every run, not only the median. A cold
build starts with the build folder deleted, which also ends the zygote kept for that folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MODULE = ROOT / "nkbook" / "chapters" / "economic_push.py"


def run(cmd: list[str], env: dict | None = None) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed


PHASES: dict[str, list[dict]] = {}
HOW: dict[str, set[str]] = {}  # per case: where the kernels came from, pages Sphinx read early


def nkbook_build(
    data: Path, root: Path, chapters: str | None, case: str = "", env: dict | None = None
) -> tuple[float, list[str]]:
    cmd = [PY, "-m", "nkbook", "build", "--data-dir", str(data), "--build-dir", str(root), "--no-pdf"]
    if chapters:
        cmd += ["--chapters", chapters]
    record_file = root / "last-run.json"
    record_file.unlink(missing_ok=True)
    seconds = run(cmd, env=env)
    record = json.loads(record_file.read_text()) if record_file.exists() else {}
    PHASES.setdefault(case, []).append(record.get("phases", {}))
    if record.get("kernels"):
        HOW.setdefault(case, set()).add(f"{record['kernels']}; {record.get('pages_read_early', 0)} pages read early")
    return seconds, sorted(record.get("executed", []))


def baseline(work: Path, data: Path, chapters: str | None) -> float:
    """Plain Jupyter Book on the same sources (the driver's staged copy), execution forced."""
    from nkbook.build.driver import load_chapters, staged_toc
    from nkbook.build.notebooks import read

    src = work / "jb"
    shutil.rmtree(src, ignore_errors=True)
    staged = work / "bench-root" / "work" / "stage"
    shutil.copytree(staged, src, ignore=shutil.ignore_patterns("_build"))
    config = (ROOT / "_config.yml").read_text()
    config = config.replace('execute_notebooks: "off"', 'execute_notebooks: "force"')
    (src / "_config.yml").write_text(config)
    chs, spec = load_chapters(Path(chapters) if chapters else ROOT / "chapters.yml")
    (src / "_toc.yml").write_text(staged_toc(chs, spec))
    import nbformat

    for c in chs:  # the source notebooks, unexecuted, with the build's parameters written in
        nb = read(c.notebook)
        params = dict(c.parameters, data_dir=str(data))
        # right after the cell tagged "parameters", as papermill injects them: before it, the
        # notebook's defaults would win (data_dir="../data" missing, every chapter failing fast)
        at = next(i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", []))
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in params.items())))
        nbformat.write(nb, str(src / "notebooks" / f"{c.name}.ipynb"))
    from nkbook.core import context

    env = dict(os.environ, **context.run_environment(work / "bench-root" / "work" / "results", work / "reads"))
    jb = str(Path(PY).parent / "jupyter-book")
    seconds = run([jb, "build", str(src), "--all", "--quiet"], env=env)
    raised = baseline_errors(src / "_build" / "jupyter_execute")
    if raised:  # a baseline that stopped at its first error would be a fast, false baseline
        sys.exit("the baseline's notebooks raised:\n  " + "\n  ".join(raised))
    return seconds


def baseline_errors(executed: Path) -> list[str]:
    """Every error output in the notebooks Jupyter Book executed."""
    found = []
    for path in sorted(executed.rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    found.append(f"{path.name} cell {i}: {out.get('ename')}: {str(out.get('evalue'))[:200]}")
    if not any(executed.rglob("*.ipynb")):
        found.append(f"{executed}: no executed notebook (was execution forced?)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chapters", default=None, help="a chapters file (default: the whole book)")
    parser.add_argument("--cases", default="cold,noop,data,data-fresh,module,baseline")
    args = parser.parse_args()
    cases = args.cases.split(",")
    work = Path(tempfile.mkdtemp(prefix="nkbook-bench-"))
    data = work / "data"
    shutil.copytree(ROOT / "data", data)
    rows: dict[str, list[float]] = {c: [] for c in cases}
    notes: dict[str, list[str]] = {"data": [], "data-fresh": [], "module": []}
    root = work / "bench-root"
    for i in range(args.runs if "cold" in cases else 1):
        shutil.rmtree(root, ignore_errors=True)
        seconds, _ = nkbook_build(data, root, args.chapters, "cold")
        if "cold" in cases:
            rows["cold"].append(seconds)
        if "baseline" in cases and i < args.runs:
            rows["baseline"].append(baseline(work, data, args.chapters))
    for _ in range(args.runs if "noop" in cases else 0):
        rows["noop"].append(nkbook_build(data, root, args.chapters)[0])
    if "data" in cases:
        path = data / "gdp_growth.csv"
        original = path.read_text()
        for i in range(args.runs):
            changed = original.replace("\n2020,-4.5,", "\n2020,-4.6,", 1)
            assert changed != original, "the benchmark edits the 2020 GDP row"
            path.write_text(changed if i % 2 == 0 else original)  # alternate: every run changes the file
            seconds, executed = nkbook_build(data, root, args.chapters, "data")
            rows["data"].append(seconds)
            notes["data"].append(",".join(executed))
        if path.read_text() != original:
            path.write_text(original)
            nkbook_build(data, root, args.chapters)  # settle (untimed): the next case starts from the data as shipped
    if "data-fresh" in cases:  # the same, with the kernels' zygote started anew (not kept from the last build)
        path = data / "gdp_growth.csv"
        original = path.read_text()
        fresh = dict(os.environ, NKBOOK_KERNELS_IDLE="0")
        for i in range(args.runs):
            changed = original.replace("\n2020,-4.5,", "\n2020,-4.6,", 1)
            path.write_text(changed if i % 2 == 0 else original)
            seconds, executed = nkbook_build(data, root, args.chapters, "data-fresh", env=fresh)
            rows["data-fresh"].append(seconds)
            notes["data-fresh"].append(",".join(executed))
        if path.read_text() != original:
            path.write_text(original)
            nkbook_build(data, root, args.chapters)
    if "module" in cases:
        original_module = MODULE.read_text()
        try:
            for i in range(args.runs):
                MODULE.write_text(original_module + f"# bench edit {i}\n")
                seconds, executed = nkbook_build(data, root, args.chapters, "module")
                rows["module"].append(seconds)
                notes["module"].append(",".join(executed))
        finally:
            MODULE.write_text(original_module)
    med = {k: statistics.median(v) for k, v in rows.items() if v}
    base = med.get("baseline")
    labels = {
        "cold": "Cold build (env ready, _build empty)",
        "noop": "Rebuild, nothing changed",
        "data": "Rebuild, one data file changed (gdp_growth.csv)",
        "data-fresh": "The same, kernels' zygote not kept (NKBOOK_KERNELS_IDLE=0)",
        "module": "Rebuild, one chapter module changed (economic_push.py)",
        "baseline": "Baseline: `jupyter-book build --all`, execution forced",
    }
    print(f"Machine: {os.cpu_count()} cores (shared); {args.runs} runs each; whole process, subprocess timed.\n")
    targets = {
        "cold": "≤ 0.5× baseline",
        "noop": "≤ 1 s",
        "data": "≤ 0.5× cold",
        "data-fresh": "—",
        "module": "—",
        "baseline": "—",
    }
    cold = med.get("cold")
    print(
        "| Case | Median (s) | Runs (s) | Ratio to baseline | Ratio to cold | Target | Re-executed | Kernels; Sphinx |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for case in cases:
        if not rows.get(case):
            continue
        ratio = f"{med[case] / base:.2f}" if base else "—"
        to_cold = f"{med[case] / cold:.2f}" if cold and case in ("noop", "data", "data-fresh", "module") else "—"
        executed = "; ".join(sorted(set(notes.get(case, [])))) or "—"
        runs = ", ".join(f"{x:.1f}" for x in rows[case])
        how = "; ".join(sorted(HOW.get(case, set()))) or "—"
        print(
            f"| {labels[case]} | {med[case]:.2f} | {runs} | {ratio} | {to_cold} | {targets[case]} | {executed} | {how} |"
        )
    for case, phases in PHASES.items():
        if case and phases and phases[-1]:
            print(f"\nPhases of the last {case} run (s): " + ", ".join(f"{k} {v}" for k, v in phases[-1].items()))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
