"""Keep ``data/datapackage.json`` true to the files: checksums, sizes and row counts."""

from __future__ import annotations

import csv
import io
import json

from nkbook.core.paths import DATA_DIR, DESCRIPTOR


def file_facts(path) -> dict:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    return {
        "bytes": len(raw),
        "hash": "sha256:" + __import__("hashlib").sha256(raw).hexdigest(),
        "rows": max(len(rows) - 1, 0),
    }


def drift() -> list[str]:
    """What in the descriptor no longer matches the files (empty when all is well)."""
    return update(check_only=True)


def update(check_only: bool = False) -> list[str]:
    desc = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    changes = []
    described = set()
    for res in desc["resources"]:
        path = DATA_DIR / res["path"]
        described.add(res["path"])
        if not path.exists():
            changes.append(f"{res['path']}: described but missing")
            continue
        facts = file_facts(path)
        for k, v in facts.items():
            if res.get(k) != v:
                changes.append(f"{res['path']}: {k} {res.get(k)} -> {v}")
                res[k] = v
    for path in sorted(DATA_DIR.glob("*.csv")):
        if path.name not in described:
            changes.append(f"{path.name}: not described in datapackage.json")
    if changes and not check_only:
        DESCRIPTOR.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return changes
