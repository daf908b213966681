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


def load_readings(data_dir=None, register: pd.DataFrame | None = None) -> pd.DataFrame:
    """The other readings of the registered claims (``data/claims_readings.csv``), validated."""
    frame = load("claims_readings", data_dir)
    reg = register if register is not None else load("claims", data_dir)
    problems = check_readings(frame, reg)
    if problems:
        raise DataError(problems)
    return frame


def check_readings(frame: pd.DataFrame, register: pd.DataFrame) -> list[Problem]:
    """Each reading names a registered claim, and its measure accepts its arguments."""
    problems = []
    file = frame.attrs.get("file", "data/claims_readings.csv")
    lines = frame.attrs.get("lines") or [None] * len(frame)
    claims = {r["claim_id"]: r for r in register.to_dict("records")}
    for line, row in zip(lines, frame.to_dict("records")):
        key = f"claim_id {row['claim_id']}, reading_id {row['reading_id']}"
        claim = claims.get(row["claim_id"])
        if claim is None:
            problems.append(Problem(file, f"no claim {row['claim_id']!r} in the register", line, key, "claim_id"))
            continue
        name = _clean(row.get("measure")) or claim["measure"]
        fn = MEASURES.get(name)
        if fn is None:
            problems.append(Problem(file, f"unknown measure {name!r}", line, key, "measure"))
            continue
        sig = inspect.signature(fn).parameters
        params = list(sig)[1:]
        required = [p for p in params if sig[p].default is inspect.Parameter.empty]
        try:
            args = parse_args(row.get("args"))
        except ValueError as exc:
            problems.append(Problem(file, str(exc), line, key, "args"))
            continue
        unknown = [a for a in args if a not in params]
        lacking = [p for p in required if p not in args]
        if unknown:
            problems.append(
                Problem(
                    file,
                    f"measure {name} takes {', '.join(params) or 'no arguments'}; not {', '.join(unknown)}",
                    line,
                    key,
                    "args",
                )
            )
        if lacking:
            problems.append(Problem(file, f"measure {name} needs {', '.join(lacking)}", line, key, "args"))
    return problems


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
                problems.append(
                    Problem(
                        file,
                        f"measure {row['measure']} takes {', '.join(params) or 'no arguments'}; "
                        f"not {', '.join(unknown)}",
                        line,
                        key,
                        col,
                    )
                )
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
        for text in convention_problems(row):
            problems.append(Problem(file, f"precision convention: {text}", line, key, "tolerance"))
        if row["measure"] == "no_data" and not _clean(row.get("needs")):
            problems.append(Problem(file, "a claim without a measure must say what data it needs", line, key, "needs"))
    return problems


# --------------------------------------------------------------------------------------------
# the precision convention: one rule for the band of every number a claim states

#: words that mark a number as approximate: its trailing zeros are not significant
HEDGES = ("about", "around", "roughly", "approximately", "an estimated", "some", "nearly")
_MULTIPLES = {"doubled": 2, "tripled": 3, "quadrupled": 4}
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def precision(claimed_text: str) -> tuple[float, float] | None:
    """(value, half-width of the supported band) of the number a claim states, or None.

    The convention: a number covers everything that rounds to it at its last significant digit,
    so the supported band is ± half a unit of that digit ("18%" is 17.5–18.5, "196" is 195.5–196.5,
    i.e. exactly 196 for a count). Trailing zeros are significant unless the number is hedged
    ("about", "around", "an estimated" ...) or is a round thousand ("from 240,000"): "around 80%"
    is 75–85. "N in 10" states tenths: "7 in 10" is 70% ± 5, the same band as "around 70%".
    "Tripled" is 3 ± 0.5. The approximately-supported band is twice as wide (± one unit).
    """
    t = str(claimed_text).lower()
    m = re.search(r"(\d+) (?:in|of every|out of) (\d+)", t)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        return 100 * a / b, 100 / b / 2
    for word, k in _MULTIPLES.items():
        if word in t:
            return float(k), 0.5
    m = _NUMBER.search(t)
    if not m:
        return None
    text = m.group().replace(",", "")
    if "." in text:
        return float(text), 0.5 * 10 ** -len(text.split(".")[1])
    n = int(text)
    unit = 1
    if n and (any(h in t for h in HEDGES) or (abs(n) >= 1000 and n % 1000 == 0)):
        while n % (unit * 10) == 0:
            unit *= 10
    return float(n), unit / 2


def convention_problems(row: dict) -> list[str]:
    """How a register row's bands depart from :func:`precision` (empty when they follow it).

    Checked for the rules that state a point (within_abs) or a multiple (between with a
    'tripled'-like text): tolerance = the half-unit, approx_tolerance = one unit (within_abs), or
    low/high = value ∓ half-unit and approx_tolerance = the half-unit (between). within_rel is not
    used: a relative band cannot follow a stated digit.
    """
    row = {k: _clean(v) for k, v in row.items()}
    out = []
    if row["rule"] == "within_rel":
        return ["rule within_rel does not follow the precision convention (use within_abs)"]
    p = precision(row["claimed_text"])
    if row["rule"] == "within_abs":
        if p is None:
            return [f"claimed_text {row['claimed_text']!r} states no number"]
        value, half = p
        if abs(value - float(row["claimed_value"])) > 1e-9:
            out.append(f"claimed_value {row['claimed_value']} is not the number stated ({value:g})")
        if abs(float(row.get("tolerance") or 0) - half) > 1e-9:
            out.append(f"tolerance {row.get('tolerance')} is not half a unit of the last stated digit ({half:g})")
        if abs(float(row.get("approx_tolerance") or 0) - 2 * half) > 1e-9:
            out.append(f"approx_tolerance {row.get('approx_tolerance')} is not one unit ({2 * half:g})")
    if row["rule"] == "between" and p is not None and any(w in str(row["claimed_text"]).lower() for w in _MULTIPLES):
        value, half = p
        if abs(float(row["low"]) - (value - half)) > 1e-9 or abs(float(row["high"]) - (value + half)) > 1e-9:
            out.append(f"low/high are not {value - half:g}-{value + half:g}")
        if abs(float(row.get("approx_tolerance") or 0) - half) > 1e-9:
            out.append(f"approx_tolerance is not {half:g}")
    return out
