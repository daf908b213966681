"""The published results: a committed snapshot of every chapter's glued values, checked on every CI run.

``results/published.json`` maps ``chapter.key`` to the value the published book shows. A build that
moves any of them (a library upgrade, a data change) fails the check with a readable diff such as
``mobility.female_share_cumulative: 72.2 → 71.9``. ``make update-results`` accepts a change on purpose.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from nkbook.core.paths import PROJECT_ROOT

SNAPSHOT = PROJECT_ROOT / "results" / "published.json"
BUILD_RESULTS = PROJECT_ROOT / "_build" / "html" / "results"
REL_TOL = 1e-9  # floating point: values are rounded when glued, so only noise is tolerated
ABS_TOL = 1e-12


def collect(results_dir: Path = BUILD_RESULTS) -> dict:
    """Flatten ``results/<chapter>.json`` of a build into ``{"chapter.key": value}``."""
    files = sorted(Path(results_dir).glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no results in {results_dir}: build the book first (make book)")
    flat = {}
    for f in files:
        payload = json.loads(f.read_text(encoding="utf-8"))
        for key, value in payload["results"].items():
            flat[f"{payload['chapter']}.{key}"] = value
    return dict(sorted(flat.items()))


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def diff(published: dict, current: dict) -> list[str]:
    lines = []
    for key in sorted(set(published) | set(current)):
        if key not in current:
            lines.append(f"{key}: {published[key]!r} → (no longer computed)")
        elif key not in published:
            lines.append(f"{key}: (new) → {current[key]!r}")
        elif not _same(published[key], current[key]):
            lines.append(f"{key}: {published[key]!r} → {current[key]!r}")
    return lines


def check(results_dir: Path = BUILD_RESULTS, snapshot: Path = SNAPSHOT) -> list[str]:
    """Differences between a build's results and the published snapshot (empty when they match)."""
    published = json.loads(Path(snapshot).read_text(encoding="utf-8"))["results"]
    return diff(published, collect(results_dir))


def update(results_dir: Path = BUILD_RESULTS, snapshot: Path = SNAPSHOT) -> str:
    current = collect(results_dir)
    snapshot = Path(snapshot)
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "about": "Published results of the book: chapter.key -> value. Checked by `make check-results` "
        "and the tests; update on purpose with `make update-results`.",
        "tolerance": {"relative": REL_TOL, "absolute": ABS_TOL},
        "results": current,
    }
    snapshot.write_text(json.dumps(payload, indent=1, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    return f"wrote {len(current)} results to {snapshot}"
