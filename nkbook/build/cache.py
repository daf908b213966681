"""Cache keys: a chapter re-executes exactly when one of its declared or recorded inputs changed.

A chapter's key covers
- its notebook (``notebooks/<name>.md``) and its parameters;
- the data files it read, by checksum (recorded by the data loader while it ran);
- the package modules it imported (recorded at the end of its run), by their source;
- any other project file it read (``book/references.bib``, recorded by the code that read it);
- the data schemas (the descriptor without its checksums) and the lock file;
- the results of the chapters it needs.

So editing the command line, the PDF code or the driver (modules no kernel imports) re-executes
no chapter, and editing ``nkbook/chapters/economic_push.py`` re-executes that chapter and those
that need its results.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

from nkbook.core.paths import DESCRIPTOR, PROJECT_ROOT


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha(path: Path) -> str:
    return sha(path.read_bytes()) if path.exists() else "missing"


def environment_hash() -> str:
    """What every chapter depends on: the lock file and the data schemas."""
    h = hashlib.sha256()
    lock = PROJECT_ROOT / "uv.lock"
    h.update(b"uv.lock\0" + (lock.read_bytes() if lock.exists() else b""))
    desc = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    for res in desc.get("resources", []):  # schemas only: checksums change with the data
        for k in ("hash", "bytes", "rows"):
            res.pop(k, None)
    h.update(json.dumps(desc, sort_keys=True).encode())
    return h.hexdigest()


def descriptor_path() -> Path:
    return DESCRIPTOR


def module_file(name: str) -> Path | None:
    """The source file of a package module, found without importing it."""
    rel = Path(*name.split("."))
    for candidate in (PROJECT_ROOT / rel.with_suffix(".py"), PROJECT_ROOT / rel / "__init__.py"):
        if candidate.exists():
            return candidate
    spec = importlib.util.find_spec(name)
    return Path(spec.origin) if spec and spec.origin else None


def parse_reads(lines: list[str], data_dir: Path) -> dict[str, list[str]]:
    """The kernel's record (``data <path>``, ``file <path>``, ``module <name>``) as relative names."""
    out: dict[str, set[str]] = {"data": set(), "files": set(), "modules": set()}
    for line in lines:
        kind, _, value = line.strip().partition(" ")
        if kind == "data":
            out["data"].add(str(Path(value).relative_to(data_dir)) if Path(value).is_relative_to(data_dir) else value)
        elif kind == "file":
            p = Path(value)
            out["files"].add(str(p.relative_to(PROJECT_ROOT)) if p.is_relative_to(PROJECT_ROOT) else value)
        elif kind == "module":
            out["modules"].add(value)
    return {k: sorted(v) for k, v in out.items()}


def inputs_digest(reads: dict[str, list[str]], data_dir: Path) -> dict[str, dict[str, str]]:
    """Checksums of everything a chapter read, as it stands now."""
    modules = {}
    for name in reads.get("modules", []):
        path = module_file(name)
        modules[name] = file_sha(path) if path else "missing"
    return {
        "data": {rel: file_sha(data_dir / rel) for rel in reads.get("data", [])},
        "files": {rel: file_sha(PROJECT_ROOT / rel) for rel in reads.get("files", [])},
        "modules": modules,
    }


def chapter_key(
    notebook: Path, params: dict, data_dir: Path, reads: dict[str, list[str]] | None, upstream: dict[str, str], env: str
) -> str | None:
    """The cache key, or None when the chapter must run (no record of what it reads)."""
    if reads is None or not isinstance(reads, dict):
        return None
    visible = {k: v for k, v in params.items() if k != "data_dir"}
    payload = {
        "notebook": file_sha(notebook),
        "parameters": visible,
        "inputs": inputs_digest(reads, data_dir),
        "environment": env,
        "upstream": upstream,
    }
    return sha(json.dumps(payload, sort_keys=True, default=str).encode())


NOT_RENDERING = ("nkbook/build/cli.py", "nkbook/build/published.py")


def code_hash(folders: tuple[str, ...] = ("nkbook/build", "nkbook/present")) -> str:
    """The modules that render and publish the book (the Sphinx extension, the chart blocks);
    the command line and the results check render nothing."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if str(path.relative_to(PROJECT_ROOT)) in NOT_RENDERING:
                continue
            h.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
