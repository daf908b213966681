"""Loading and validating the book's data.

Every dataset is a CSV described by the project's own ``data/datapackage.json`` (a Frictionless
Data Package). Loading a dataset validates it against that schema: the header, every cell's type
and constraints, and the primary key. A folder given with ``--data-dir`` is validated against the
project's schemas too (it needs no descriptor of its own). Cross-dataset rules live in
:mod:`nkbook.data.checks`.

Errors name the file, the line (the header is line 1), the record's key, the column and the rule,
for example::

    data/arrivals_yearly.csv line 17 (period 2013), column total: male + female = 1,500 but total = 1,514
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from ..core.context import record_data_read
from ..core.paths import DATA_DIR, DESCRIPTOR, PROJECT_ROOT, display_path
from .problems import DataError, Problem

__all__ = ["DATA_DIR", "DESCRIPTOR", "PROJECT_ROOT", "DataError", "Problem", "display_path"]


def today() -> _dt.date:
    """The date used for the 'no future years' rule."""
    return _dt.date.today()


def descriptor() -> dict:
    """The project's own data-package descriptor (schemas and sources of every dataset).

    Each call parses it afresh: the caller owns what it gets."""
    return json.loads(DESCRIPTOR.read_text(encoding="utf-8"))


def _resources_read_only() -> dict[str, dict]:
    """:func:`resources`, parsed once per version of the descriptor, for this module's own reads
    (:func:`load` looks a dataset up at every call: the claims chapter 67 times). Not to be changed."""
    stat = DESCRIPTOR.stat()
    key = (str(DESCRIPTOR), stat.st_mtime_ns, stat.st_size)
    if _RESOURCES.get("key") != key:
        _RESOURCES.clear()
        _RESOURCES.update(key=key, resources=resources())
    return _RESOURCES["resources"]


_RESOURCES: dict = {}


def resources() -> dict[str, dict]:
    return {r["name"]: r for r in descriptor()["resources"]}


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    return Path(data_dir).resolve() if data_dir else DATA_DIR


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# cell parsing


_INT = re.compile(r"^[+-]?\d+$")
_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE, _FALSE = {"true", "True", "TRUE"}, {"false", "False", "FALSE"}


def _hint(text: str) -> str:
    if re.match(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$", text):
        return " (write numbers without thousands separators)"
    if text.strip().lower() in {"n/a", "na", "nan", "-", "—", "none", "null", "?"}:
        return " (leave a missing value empty)"
    return ""


def parse_cell(text: str, field: dict):
    """Parse one cell; return the value or raise ValueError with the rule broken."""
    ftype = field.get("type", "string")
    if text == "":
        return None
    if ftype == "string":
        return text
    if ftype == "integer":
        if not _INT.match(text):
            raise ValueError(f"{text!r} is not an integer{_hint(text)}")
        return int(text)
    if ftype == "number":
        if not _NUM.match(text):
            raise ValueError(f"{text!r} is not a number{_hint(text)}")
        return float(text)
    if ftype == "boolean":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{text!r} is not true or false")
    if ftype == "date":
        if not _DATE.match(text):
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
        try:
            return _dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a valid date") from None
    raise ValueError(f"unknown field type {ftype!r} in the schema")


def _is_year_field(name: str) -> bool:
    return name == "year" or name.endswith("_year")


#: every field constraint of the Table Schema standard; the loader enforces each one it is given
#: (``unique`` is checked over the whole column in :func:`read_resource`). A constraint outside
#: this list is refused, so the descriptor can never declare a rule the loader ignores.
KNOWN_CONSTRAINTS = {
    "required",
    "unique",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "pattern",
    "enum",
}


def _compiled(pattern: str) -> re.Pattern:
    return _PATTERNS.setdefault(pattern, re.compile(pattern))


_PATTERNS: dict[str, re.Pattern] = {}


def check_constraints(value, field: dict) -> str | None:
    """Return the broken rule, or None."""
    c = field.get("constraints", {})
    name = field["name"]
    unknown = sorted(set(c) - KNOWN_CONSTRAINTS)
    if unknown:
        return f"the schema declares constraint(s) {', '.join(unknown)}, which the loader does not know"
    if value is None:
        return "a value is required" if c.get("required") else None
    now = today()
    if isinstance(value, int) and not isinstance(value, bool) and _is_year_field(name) and value > now.year:
        return f"year {value} is in the future (today is {now.isoformat()})"
    if isinstance(value, _dt.date) and value > now:
        return f"date {value.isoformat()} is in the future (today is {now.isoformat()})"
    if "enum" in c and value not in c["enum"]:
        return f"{value!r} is not one of {', '.join(map(str, c['enum']))}"
    if "pattern" in c and isinstance(value, str) and not _compiled(c["pattern"]).fullmatch(value):
        return f"{value!r} does not match the pattern {c['pattern']} the schema requires"
    if isinstance(value, str):
        if "minLength" in c and len(value) < c["minLength"]:
            return f"{value!r} is shorter than {c['minLength']} characters"
        if "maxLength" in c and len(value) > c["maxLength"]:
            return f"{value!r} is longer than {c['maxLength']} characters"
    number = isinstance(value, (int, float, _dt.date)) and not isinstance(value, bool)
    if number:
        bound = value
        if isinstance(value, _dt.date):

            def conv(x):
                return _dt.date.fromisoformat(x) if isinstance(x, str) else x
        else:

            def conv(x):
                return x

        if "minimum" in c and bound < conv(c["minimum"]):
            if c["minimum"] == 0:
                return f"{value} is negative (counts cannot be below 0)"
            return f"{value} is below the minimum {c['minimum']}"
        if "maximum" in c and bound > conv(c["maximum"]):
            return f"{value} is above the maximum {c['maximum']}"
        if "exclusiveMinimum" in c and bound <= conv(c["exclusiveMinimum"]):
            return f"{value} must be above {c['exclusiveMinimum']}"
        if "exclusiveMaximum" in c and bound >= conv(c["exclusiveMaximum"]):
            return f"{value} must be below {c['exclusiveMaximum']}"
    return None


# --------------------------------------------------------------------------------------------
# reading one file


def _read_text(path: Path, shown: str) -> str:
    if not path.exists():
        raise DataError([Problem(shown, "file is missing")])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark is accepted
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError([Problem(shown, f"not UTF-8 text (byte {exc.start})", line=line)]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Windows line endings are accepted
    if not text.strip():
        raise DataError([Problem(shown, "file is empty (expected a header row and data)")])
    return text


def _key_label(record: dict, names: list[str]) -> str:
    return ", ".join(f"{n} {record.get(n)}" for n in names if record.get(n) not in (None, ""))


def read_resource(resource: dict, data_dir: Path) -> pd.DataFrame:
    """Read and validate one CSV against its resource schema. Raises DataError."""
    path = data_dir / resource["path"]
    shown = display_path(path)
    text = _read_text(path, shown)
    fields = resource["schema"]["fields"]
    names = [f["name"] for f in fields]
    pk = resource["schema"].get("primaryKey", [])
    if isinstance(pk, str):
        pk = [pk]
    label_cols = pk or names[:1]

    dialect = resource.get("dialect", {})
    rows = list(
        csv.reader(
            io.StringIO(text),
            delimiter=dialect.get("delimiter", ","),
            quotechar=dialect.get("quoteChar", '"'),
            doublequote=dialect.get("doubleQuote", True),
        )
    )
    header = [h.strip() for h in rows[0]]
    problems: list[Problem] = []
    missing = [n for n in names if n not in header]
    extra = [h for h in header if h not in names]
    for n in missing:
        near = difflib.get_close_matches(n, extra, n=1, cutoff=0.5)
        hint = f" (found {near[0]!r}: was it renamed?)" if near else ""
        problems.append(Problem(shown, f"required column {n!r} is missing{hint}", line=1, column=n))
    for h in extra:
        if not difflib.get_close_matches(h, missing, n=1, cutoff=0.5):
            problems.append(Problem(shown, f"unexpected column {h!r} (not in the schema)", line=1, column=h))
    if problems:
        raise DataError(problems)
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise DataError([Problem(shown, f"duplicated column(s) {dup}", line=1)])

    position = {h: i for i, h in enumerate(header)}
    records, lines = [], []
    seen: dict[tuple, int] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(header):
            problems.append(Problem(shown, f"has {len(row)} cells but the header has {len(header)}", line=lineno))
            continue
        raw = {n: row[position[n]].strip() for n in names}
        label = _key_label(raw, label_cols)
        record = {}
        for f in fields:
            n = f["name"]
            try:
                value = parse_cell(raw[n], f)
            except ValueError as exc:
                problems.append(Problem(shown, str(exc), line=lineno, key=label, column=n))
                continue
            broken = check_constraints(value, f)
            if broken:
                problems.append(Problem(shown, broken, line=lineno, key=label, column=n))
            record[n] = value
        if pk:
            key = tuple(record.get(k) for k in pk)
            if key in seen:
                problems.append(
                    Problem(
                        shown,
                        f"duplicated key ({', '.join(pk)}) = {key if len(key) > 1 else key[0]!r}, "
                        f"first seen on line {seen[key]}",
                        line=lineno,
                        key=label,
                    )
                )
            else:
                seen[key] = lineno
        records.append(record)
        lines.append(lineno)
    for f in fields:
        if f.get("constraints", {}).get("unique"):
            n = f["name"]
            firsts: dict = {}
            for rec, ln in zip(records, lines):
                v = rec.get(n)
                if v is not None and v in firsts:
                    problems.append(
                        Problem(shown, f"value {v!r} must be unique (also on line {firsts[v]})", line=ln, column=n)
                    )
                firsts.setdefault(v, ln)
    if problems:
        raise DataError(problems)
    if not records:
        raise DataError([Problem(shown, "file has a header but no data rows")])
    frame = pd.DataFrame.from_records(records, columns=names)
    for f in fields:
        frame[f["name"]] = _as_dtype(frame[f["name"]], f.get("type", "string"))
    frame.attrs["lines"] = SourceLines(lines)
    frame.attrs["file"] = shown
    frame.attrs["resource"] = resource["name"]
    return frame


class SourceLines(tuple):
    """The file line of each row (error messages name it), kept in ``frame.attrs``.

    pandas deep-copies ``attrs`` into the result of every operation on a frame (thousands of times
    in one chapter: a third of the claims chapter's run went to copying these lists). The line
    numbers never change, so this tuple is its own copy."""

    def __copy__(self) -> SourceLines:
        return self

    def __deepcopy__(self, memo: dict) -> SourceLines:
        return self


def _as_dtype(col: pd.Series, ftype: str) -> pd.Series:
    if ftype == "integer":
        return col.astype("Int64")
    if ftype == "number":
        return pd.to_numeric(col, errors="raise").astype("float64")
    if ftype == "boolean":
        return col.astype("boolean")
    if ftype == "date":
        return pd.to_datetime(col)
    return col.astype("object")


# --------------------------------------------------------------------------------------------
# the public API used by notebooks and the driver


def load(name: str, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load one dataset by its resource name, validated against the project's schema."""
    res = _resources_read_only()
    if name not in res:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(res))}")
    folder = resolve_data_dir(data_dir)
    path = folder / res[name]["path"]
    record_data_read(path)
    try:
        stat = path.stat()
    except OSError:
        return read_resource(res[name], folder)  # missing: read_resource says so, naming the file
    key = (name, str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED[key] = read_resource(res[name], folder)
    return _LOADED[key].copy()  # a copy: callers may change their frame


# Frames already read and validated in this process, by file state (a chapter asks for the same
# file many times: the claims chapter 67 times). A changed file has another key.
_LOADED: dict[tuple, pd.DataFrame] = {}


def used(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the rows the analysis uses (``used`` column true) when the dataset has variants."""
    if "used" not in frame.columns:
        return frame
    return frame[frame["used"].fillna(False).astype(bool)].copy()


def validate_folder(
    data_dir: str | os.PathLike | None = None,
    extra_checks: Iterable[Callable[[dict[str, pd.DataFrame]], list[Problem]]] = (),
) -> dict[str, pd.DataFrame]:
    """Validate every dataset the book needs in a folder, with the cross-checks.

    ``extra_checks`` are rules that need more than the data layer knows (the claims register's
    measures and rules); the build passes them in. Collects every problem across files and raises
    one DataError listing them all.
    """
    from . import checks

    folder = resolve_data_dir(data_dir)
    frames, problems = {}, []
    for name, resource in resources().items():
        path = folder / resource["path"]
        if not path.exists():
            needed = "the chapters need this dataset" if folder != DATA_DIR else "file is missing"
            problems.append(
                Problem(display_path(path), f"{needed} ({resource.get('title', name)}), but the file is missing")
            )
            continue
        try:
            frames[name] = read_resource(resource, folder)
        except DataError as exc:
            problems.extend(exc.problems)
    problems.extend(checks.run_all(frames))
    for check in extra_checks:
        problems.extend(check(frames))
    if problems:
        raise DataError(problems)
    return frames
