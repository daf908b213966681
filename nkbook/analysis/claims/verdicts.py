"""Verdicts: a claim's measure, compared by its rule, gives one of :data:`VERDICTS`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from nkbook.analysis.claims.measures import (
    _YEAR_ARGS,
    MEASURES,
    Context,
    Measured,
    _missing,
)
from nkbook.analysis.claims.register import _clean, parse_args
from nkbook.analysis.claims.rules import RULES

SUPPORTED = "supported"
APPROX = "approximately supported"
OUTDATED = "outdated"
MISSCOPED = "mis-scoped"
NOT_SUPPORTED = "not supported"
NOT_CHECKABLE = "not checkable"
VERDICTS = [SUPPORTED, APPROX, OUTDATED, MISSCOPED, NOT_SUPPORTED, NOT_CHECKABLE]


# --------------------------------------------------------------------------------------------
# verdicts


@dataclass
class Verdict:
    claim_id: str
    verdict: str
    value: float | None
    explanation: str
    detail: str = ""
    alt_value: float | None = None
    held_in: int | None = None
    approximate: bool = False
    extra: dict = field(default_factory=dict)


def measure(claim: dict, ctx: Context, args: dict | None = None) -> Measured:
    """Evaluate the claim's measure with ``args`` (default: the register's ``args``)."""
    args = dict(parse_args(claim.get("args")) if args is None else args)
    for k, v in args.items():
        if v == "latest":
            args[k] = ctx.end_year
    for k, v in args.items():
        if k in _YEAR_ARGS and isinstance(v, int) and not (ctx.start_year <= v <= ctx.end_year):
            return _missing(f"{k} {v} is outside the book's years {ctx.start_year}-{ctx.end_year}")
    return MEASURES[claim["measure"]](ctx, **args)


def judge(claim: dict, ctx: Context, scale: float = 1.0) -> Verdict:
    """The verdict on one claim (a register row as a dict). ``scale`` multiplies every tolerance."""
    claim = {k: _clean(v) for k, v in claim.items()}
    rule = RULES[claim["rule"]]
    args = parse_args(claim.get("args"))
    targ = claim.get("time_arg")
    if targ:
        t = args[targ]
        claim["_time_value"] = ctx.end_year if t == "latest" else t

    def at_year(year):
        return measure(claim, ctx, {**args, targ: year})

    at = at_year if targ else None
    m = measure(claim, ctx, args)
    alt_args = parse_args(claim.get("alt_args")) if claim.get("alt_args") else None

    def alternative():
        if alt_args is None:
            return None, None
        am = measure(claim, ctx, alt_args)
        if not am.ok:
            return am, None
        return am, rule(am.value, claim, None, scale)

    if not m.ok:
        am, ao = alternative()
        if ao is not None and ao.result in ("pass", "approx"):
            return Verdict(claim["claim_id"], MISSCOPED, None,
                           f"no figure for the scope claimed ({m.detail}); it holds for {claim.get('scope_note')}: "
                           f"{am.detail}", detail=m.detail, alt_value=am.value)
        needs = claim.get("needs") or m.detail
        return Verdict(claim["claim_id"], NOT_CHECKABLE, None, f"Would need: {needs}.", detail=m.detail)

    out = rule(m.value, claim, at, scale)
    if out.result == "unknown":
        needs = claim.get("needs") or out.text
        return Verdict(claim["claim_id"], NOT_CHECKABLE, m.value, f"{out.text}. Would need: {needs}.",
                       detail=m.detail, approximate=m.approximate)
    if out.result == "pass":
        if m.approximate:
            return Verdict(claim["claim_id"], APPROX, m.value, f"{out.text}, but the published figure is itself approximate",
                           detail=m.detail, approximate=True)
        return Verdict(claim["claim_id"], SUPPORTED, m.value, out.text, detail=m.detail)
    if out.result == "approx":
        return Verdict(claim["claim_id"], APPROX, m.value, out.text, detail=m.detail, approximate=m.approximate)

    # fails: did a claim about the present (time_arg = latest) hold at an earlier date?
    if targ and args[targ] == "latest":
        as_of = int(claim.get("as_of") or ctx.end_year)
        now = claim["_time_value"]
        first = ctx.start_year
        for year in range(min(as_of, now), first - 1, -1):
            if year == now:
                continue
            mt = at_year(year)
            if not mt.ok:
                continue
            ot = rule(mt.value, {**claim, "_time_value": year}, at, scale)
            if ot.result in ("pass", "approx"):
                when = "when the text was written" if year == as_of else f"at the end of {year}"
                return Verdict(claim["claim_id"], OUTDATED, m.value,
                               f"now {out.text} ({m.detail}); it held {when}: {mt.detail}, {ot.text}",
                               detail=m.detail, held_in=year, approximate=m.approximate)
    am, ao = alternative()
    if ao is not None and ao.result in ("pass", "approx"):
        return Verdict(claim["claim_id"], MISSCOPED, m.value,
                       f"{out.text} for the scope claimed; it holds for {claim.get('scope_note')} ({am.detail})",
                       detail=m.detail, alt_value=am.value, approximate=m.approximate)
    return Verdict(claim["claim_id"], NOT_SUPPORTED, m.value, out.text, detail=m.detail, approximate=m.approximate)


def evaluate(register: pd.DataFrame, ctx: Context, scale: float = 1.0) -> pd.DataFrame:
    """Judge every claim; one row per claim with the register's columns and the verdict's."""
    rows = []
    for claim in register.to_dict("records"):
        v = judge(claim, ctx, scale)
        rows.append({**claim, "verdict": v.verdict, "value": v.value, "explanation": v.explanation,
                     "detail": v.detail, "alt_value": v.alt_value, "held_in": v.held_in,
                     "data_approximate": v.approximate})
    return pd.DataFrame(rows)


def summary(verdicts: pd.DataFrame) -> dict[str, int]:
    """Counts by verdict (keys ``n_supported``, ``n_approximately_supported``, ...) and totals."""
    counts = verdicts["verdict"].value_counts()
    out = {"n_claims": len(verdicts)}
    for v in VERDICTS:
        out["n_" + re.sub(r"[^a-z]+", "_", v).strip("_")] = int(counts.get(v, 0))
    out["n_hold"] = out["n_supported"] + out["n_approximately_supported"]
    out["n_checkable"] = out["n_claims"] - out["n_not_checkable"]
    return out

