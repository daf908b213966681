"""Rules: compare a measured value with the claim (the register's ``rule`` and its bands).

A rule returns an :class:`Outcome`: ``pass``, ``approx``, ``fail`` or ``unknown``; ``at(year)``
re-evaluates the measure at another year (for rules such as ``is_max_since``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from nkbook.analysis.claims.measures import _fmt

# --------------------------------------------------------------------------------------------
# rules: compare a value with the claim; ``at(year)`` re-evaluates the measure at another year


@dataclass
class Outcome:
    result: str  # pass, approx, fail, unknown
    text: str


def _num(claim: dict, key: str, default=None):
    v = claim.get(key)
    return default if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _band(value, claimed, tol, approx, unit_text=""):
    d = abs(value - claimed)
    if d <= tol + 1e-9:
        return Outcome(
            "pass",
            f"{_fmt(value)} is within ±{_fmt(tol)}{unit_text} of {_fmt(claimed)}"
            if tol
            else f"{_fmt(value)} equals {_fmt(claimed)}",
        )
    if approx is not None and d <= approx + 1e-9:
        return Outcome(
            "approx",
            f"{_fmt(value)} is {_fmt(d)}{unit_text} from {_fmt(claimed)}: outside ±{_fmt(tol)}"
            f"{unit_text}, within ±{_fmt(approx)}{unit_text}",
        )
    return Outcome(
        "fail",
        f"{_fmt(value)} is {_fmt(d)}{unit_text} from {_fmt(claimed)}, beyond ±{_fmt(approx if approx is not None else tol)}{unit_text}",
    )


def rule_equals(value, claim, at, scale=1.0) -> Outcome:
    """Exactly the claimed value (approximately: within ``approx_tolerance``)."""
    approx = _num(claim, "approx_tolerance")
    if claim.get("unit") == "year":
        c = claim["claimed_value"]
        return (
            Outcome("pass", f"{int(value)} is {int(c)}")
            if value == c
            else Outcome("fail", f"{int(value)}, not {int(c)}")
        )
    return _band(value, claim["claimed_value"], 0, None if approx is None else approx * scale)


def rule_within_abs(value, claim, at, scale=1.0) -> Outcome:
    """Within ``tolerance`` of the claim, in the claim's units (approximately: ``approx_tolerance``)."""
    approx = _num(claim, "approx_tolerance")
    unit = " points" if claim.get("unit") == "percent" else ""
    return _band(
        value,
        claim["claimed_value"],
        _num(claim, "tolerance", 0) * scale,
        None if approx is None else approx * scale,
        unit,
    )


def rule_within_rel(value, claim, at, scale=1.0) -> Outcome:
    """Within ``tolerance`` × |claim| of the claim (approximately: ``approx_tolerance`` × |claim|)."""
    c = claim["claimed_value"]
    tol = _num(claim, "tolerance", 0) * scale
    approx = _num(claim, "approx_tolerance")
    d = abs(value - c) / abs(c) if c else math.inf
    if d <= tol + 1e-12:
        return Outcome(
            "pass",
            f"{_fmt(value)} equals {_fmt(c)}" if value == c else f"{_fmt(value)} is within {100 * tol:g}% of {_fmt(c)}",
        )
    if approx is not None and d <= approx * scale + 1e-12:
        return Outcome("approx", f"{_fmt(value)} is {100 * d:.1f}% from {_fmt(c)}: within {100 * approx * scale:g}%")
    band = approx * scale if approx is not None else tol
    return Outcome("fail", f"{_fmt(value)} is {100 * d:.1f}% from {_fmt(c)}, beyond {100 * band:g}%")


def rule_between(value, claim, at, scale=1.0) -> Outcome:
    """From ``low`` to ``high`` (approximately: the band widened by ``approx_tolerance`` each side)."""
    lo, hi = _num(claim, "low"), _num(claim, "high")
    mid, half = (lo + hi) / 2, (hi - lo) / 2 * scale
    lo, hi = mid - half, mid + half
    approx = _num(claim, "approx_tolerance")
    if lo - 1e-9 <= value <= hi + 1e-9:
        return Outcome("pass", f"{_fmt(value)} is between {_fmt(lo)} and {_fmt(hi)}")
    if approx is not None and lo - approx * scale - 1e-9 <= value <= hi + approx * scale + 1e-9:
        return Outcome(
            "approx",
            f"{_fmt(value)} is outside {_fmt(lo)}-{_fmt(hi)} but within "
            f"{_fmt(lo - approx * scale)}-{_fmt(hi + approx * scale)}",
        )
    return Outcome("fail", f"{_fmt(value)} is outside {_fmt(lo)}-{_fmt(hi)}")


def rule_greater_than(value, claim, at, scale=1.0) -> Outcome:
    """Above the claimed value (approximately: above it minus ``approx_tolerance``)."""
    c, approx = claim["claimed_value"], _num(claim, "approx_tolerance")
    if value > c:
        return Outcome("pass", f"{_fmt(value)} is above {_fmt(c)}")
    if approx is not None and value > c - approx * scale:
        return Outcome("approx", f"{_fmt(value)} is not above {_fmt(c)} but above {_fmt(c - approx * scale)}")
    return Outcome("fail", f"{_fmt(value)} is not above {_fmt(c)}")


def rule_less_than(value, claim, at, scale=1.0) -> Outcome:
    """Below the claimed value (approximately: below it plus ``approx_tolerance``)."""
    c, approx = claim["claimed_value"], _num(claim, "approx_tolerance")
    if value < c:
        return Outcome("pass", f"{_fmt(value)} is below {_fmt(c)}")
    if approx is not None and value < c + approx * scale:
        return Outcome("approx", f"{_fmt(value)} is not below {_fmt(c)} but below {_fmt(c + approx * scale)}")
    return Outcome("fail", f"{_fmt(value)} is not below {_fmt(c)}")


def rule_is_max_since(value, claim, at, scale=1.0) -> Outcome:
    """ "The highest since Y": above the measure in every year after Y (``claimed_value``) up to the year before.

    The reference year Y itself is not compared ("the most since 2017" says nothing of 2017). Needs
    ``time_arg`` (the year argument the comparison moves); any year without a value makes the rule
    undecidable (the claim is then not checkable).
    """
    if at is None:
        return Outcome("unknown", "the rule needs time_arg")
    since, year = int(claim["claimed_value"]), int(claim["_time_value"])
    earlier = {y: at(y) for y in range(since + 1, year)}
    if not earlier:
        return Outcome("unknown", f"no year between {since} and {year}")
    missing = [y for y, m in earlier.items() if not m.ok]
    if missing:
        span = f"{missing[0]}" if len(missing) == 1 else f"{missing[0]}-{missing[-1]}"
        return Outcome("unknown", f"no value for {span}")
    top_year = max(earlier, key=lambda y: earlier[y].value)
    top = earlier[top_year].value
    if value > top:
        return Outcome(
            "pass", f"{_fmt(value)} is above every year {since + 1}-{year - 1} (largest {_fmt(top)} in {top_year})"
        )
    return Outcome("fail", f"{_fmt(value)} is not above {_fmt(top)} in {top_year}")


RULES: dict[str, Callable[..., Outcome]] = {
    "equals": rule_equals,
    "within_abs": rule_within_abs,
    "within_rel": rule_within_rel,
    "between": rule_between,
    "greater_than": rule_greater_than,
    "less_than": rule_less_than,
    "is_max_since": rule_is_max_since,
}
