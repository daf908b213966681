"""The claims register (``data/claims.csv``): reading its arguments and validating its rows."""

from __future__ import annotations

import inspect
import math
import re

import pandas as pd

from nkbook.analysis.claims.measures import MEASURES
from nkbook.analysis.claims.rules import RULES
from nkbook.data import DataError, Problem, load

# --------------------------------------------------------------------------------------------
# the register


def parse_args(text) -> dict:
    """``'year=2023;provinces=A|B'`` -> ``{'year': 2023, 'provinces': ['A', 'B']}``.

    Integers and numbers are converted; ``latest`` is kept (resolved to end_year when measured).
    """
    out: dict = {}
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return out
    for part in str(text).split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"argument {part.strip()!r} is not key=value")
        key, value = (s.strip() for s in part.split("=", 1))
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
            raise ValueError(f"argument name {key!r} is not snake_case")
        if "|" in value:
            out[key] = [v.strip() for v in value.split("|")]
        elif re.fullmatch(r"[+-]?\d+", value):
            out[key] = int(value)
        elif re.fullmatch(r"[+-]?\d*\.\d+", value):
            out[key] = float(value)
        else:
            out[key] = value
    return out


def _clean(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def load_register(data_dir=None) -> pd.DataFrame:
    """The claims register, validated (schema by the loader; arguments and rule columns here)."""
    frame = load("claims", data_dir)
    problems = check_register(frame)
    if problems:
        raise DataError(problems)
    return frame


def check_register(frame: pd.DataFrame) -> list[Problem]:
    """Each row's measure accepts its arguments and its rule has the columns it needs."""
    problems = []
    file = frame.attrs.get("file", "data/claims.csv")
    lines = frame.attrs.get("lines") or [None] * len(frame)
    for line, row in zip(lines, frame.to_dict("records")):
        key = f"claim_id {row['claim_id']}"
        fn = MEASURES.get(row["measure"])
        if fn is None:
            problems.append(Problem(file, f"unknown measure {row['measure']!r}", line, key, "measure"))
            continue
        params = list(inspect.signature(fn).parameters)[1:]
        required = [p for p in params if inspect.signature(fn).parameters[p].default is inspect.Parameter.empty]
        for col in ("args", "alt_args"):
            if col == "alt_args" and _clean(row.get(col)) is None:
                continue
            try:
                args = parse_args(row.get(col))
            except ValueError as exc:
                problems.append(Problem(file, str(exc), line, key, col))
                continue
            unknown = [a for a in args if a not in params]
            lacking = [p for p in required if p not in args]
            if unknown:
                problems.append(Problem(file, f"measure {row['measure']} takes {', '.join(params) or 'no arguments'}; "
                                              f"not {', '.join(unknown)}", line, key, col))
            if lacking:
                problems.append(Problem(file, f"measure {row['measure']} needs {', '.join(lacking)}", line, key, col))
        t = _clean(row.get("time_arg"))
        if t is not None and t not in parse_args(row.get("args")):
            problems.append(Problem(file, f"time_arg {t!r} is not one of the arguments", line, key, "time_arg"))
        rule = row["rule"]
        if rule not in RULES:
            problems.append(Problem(file, f"unknown rule {rule!r}", line, key, "rule"))
        if rule == "between" and (_clean(row.get("low")) is None or _clean(row.get("high")) is None):
            problems.append(Problem(file, "rule between needs low and high", line, key, "low"))
        if rule == "is_max_since" and t is None:
            problems.append(Problem(file, "rule is_max_since needs time_arg", line, key, "time_arg"))
        if row["measure"] == "no_data" and not _clean(row.get("needs")):
            problems.append(Problem(file, "a claim without a measure must say what data it needs", line, key, "needs"))
    return problems

