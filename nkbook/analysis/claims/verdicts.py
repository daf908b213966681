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
NOT_SUPPORTED_WRITTEN = "not supported (when written)"
VERDICTS = [SUPPORTED, APPROX, OUTDATED, MISSCOPED, NOT_SUPPORTED, NOT_SUPPORTED_WRITTEN, NOT_CHECKABLE]
HOLDS = (SUPPORTED, APPROX)


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


def judge_dated(claim: dict, now: Context, written: Context, scale: float = 1.0) -> tuple[Verdict, Verdict, str]:
    """The claim judged at its own date (``written``: the data as they stood then) and now.

    Returns (verdict when written, verdict now, combined verdict). Combined: *outdated* when it held
    when written and does not now; *not supported (when written)* when it did not hold when
    written (whatever it does now); otherwise the verdict when written (which is then also the
    verdict now, or *not checkable*).
    """
    then = judge(claim, written, scale, search_past=False)
    today = judge(claim, now, scale, search_past=False)
    if then.verdict in HOLDS and today.verdict in (NOT_SUPPORTED, MISSCOPED):
        return then, today, OUTDATED
    if then.verdict == NOT_SUPPORTED:
        return then, today, NOT_SUPPORTED_WRITTEN
    if then.verdict == NOT_CHECKABLE and today.verdict != NOT_CHECKABLE:
        return then, today, today.verdict if today.verdict != NOT_SUPPORTED else NOT_SUPPORTED_WRITTEN
    return then, today, then.verdict


def judge(claim: dict, ctx: Context, scale: float = 1.0, search_past: bool = True) -> Verdict:
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
            return Verdict(
                claim["claim_id"],
                MISSCOPED,
                None,
                f"no figure for the scope claimed ({m.detail}); it holds for {claim.get('scope_note')}: {am.detail}",
                detail=m.detail,
                alt_value=am.value,
            )
        needs = claim.get("needs") or m.detail
        return Verdict(claim["claim_id"], NOT_CHECKABLE, None, f"Would need: {needs}.", detail=m.detail)

    out = rule(m.value, claim, at, scale)
    if out.result == "unknown":
        needs = claim.get("needs") or out.text
        return Verdict(
            claim["claim_id"],
            NOT_CHECKABLE,
            m.value,
            f"{out.text}. Would need: {needs}.",
            detail=m.detail,
            approximate=m.approximate,
        )
    if out.result == "pass":
        if m.approximate:
            return Verdict(
                claim["claim_id"],
                APPROX,
                m.value,
                f"{out.text}, but the published figure is itself approximate",
                detail=m.detail,
                approximate=True,
            )
        return Verdict(claim["claim_id"], SUPPORTED, m.value, out.text, detail=m.detail)
    if out.result == "approx":
        return Verdict(claim["claim_id"], APPROX, m.value, out.text, detail=m.detail, approximate=m.approximate)

    # fails: did a claim about the present (time_arg = latest) hold at an earlier date?
    if search_past and targ and args[targ] == "latest":
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
                return Verdict(
                    claim["claim_id"],
                    OUTDATED,
                    m.value,
                    f"now {out.text} ({m.detail}); it held {when}: {mt.detail}, {ot.text}",
                    detail=m.detail,
                    held_in=year,
                    approximate=m.approximate,
                )
    am, ao = alternative()
    if ao is not None and ao.result in ("pass", "approx"):
        return Verdict(
            claim["claim_id"],
            MISSCOPED,
            m.value,
            f"{out.text} for the scope claimed; it holds for {claim.get('scope_note')} ({am.detail})",
            detail=m.detail,
            alt_value=am.value,
            approximate=m.approximate,
        )
    return Verdict(claim["claim_id"], NOT_SUPPORTED, m.value, out.text, detail=m.detail, approximate=m.approximate)


def evaluate(
    register: pd.DataFrame, ctx: Context, scale: float = 1.0, data_dir=None, dated: bool = True
) -> pd.DataFrame:
    """Judge every claim at its own date and now; one row per claim (register columns + verdicts).

    ``verdict`` is the combined verdict (:func:`judge_dated`), ``verdict_written`` and
    ``verdict_now`` the two parts; value, explanation and detail are those of now. With
    ``dated=False`` (or contexts built from injected frames) only the verdict now is computed.
    """
    rows = []
    written: dict[int, Context] = {}
    for claim in register.to_dict("records"):
        as_of = _clean(claim.get("as_of"))
        if dated and as_of is not None:
            as_of = int(as_of)
            if as_of not in written:
                written[as_of] = Context.as_written(
                    data_dir if data_dir is not None else ctx.data_dir, ctx.start_year, as_of
                )
            then, v, verdict = judge_dated(claim, ctx, written[as_of], scale)
        else:
            v = judge(claim, ctx, scale)
            then, verdict = v, v.verdict
        rows.append(
            {
                **claim,
                "verdict": verdict,
                "verdict_written": then.verdict,
                "verdict_now": v.verdict,
                "value_written": then.value,
                "detail_written": then.detail,
                "value": v.value,
                "explanation": v.explanation,
                "detail": v.detail,
                "alt_value": v.alt_value,
                "held_in": v.held_in,
                "data_approximate": v.approximate,
            }
        )
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
