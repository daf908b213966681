"""Verdicts: a claim's measure, compared by its rule, gives one of :data:`VERDICTS`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nkbook.analysis.claims.measures import (
    _YEAR_ARGS,
    MEASURES,
    Context,
    Measured,
    _fmt,
    _missing,
)
from nkbook.analysis.claims.register import _clean, parse_args
from nkbook.analysis.claims.rules import RULES, Outcome

SUPPORTED = "supported"
APPROX = "approximately supported"
OUTDATED = "outdated"
MISSCOPED = "mis-scoped"
NOT_SUPPORTED = "not supported"
NOT_CHECKABLE = "not checkable"
NOT_SUPPORTED_WRITTEN = "not supported (when written)"
DEPENDS = "depends on reading"
VERDICTS = [SUPPORTED, APPROX, DEPENDS, OUTDATED, MISSCOPED, NOT_SUPPORTED, NOT_SUPPORTED_WRITTEN, NOT_CHECKABLE]
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
    low: float | None = None
    high: float | None = None


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


def _ruled(rule, m: Measured, claim: dict, at, scale: float) -> Outcome:
    """The rule applied to a value, or to a range of values (``m.low``–``m.high``).

    A range is judged at its two ends and at the point of it closest to the claim; when these
    disagree the data cannot decide between the verdicts, and the outcome is ``unknown``.
    """
    if not m.is_range:
        return rule(m.value, claim, at, scale)
    lo, hi = float(m.low), float(m.high)  # type: ignore[arg-type]
    target = claim.get("claimed_value")
    if claim.get("rule") == "between":
        target = (float(claim["low"]) + float(claim["high"])) / 2
    near = min(max(float(target), lo), hi) if target is not None else lo
    outs = [rule(v, claim, at, scale) for v in (lo, near, hi)]
    if len({o.result for o in outs}) == 1:
        return Outcome(outs[0].result, f"{outs[0].text}; at {_fmt(hi)}: {outs[2].text}" if lo != hi else outs[0].text)
    return Outcome(
        "unknown",
        f"the data put it between {_fmt(lo)} and {_fmt(hi)}, and the verdict differs across that range "
        f"({outs[0].text}; {outs[2].text})",
    )


def judge(claim: dict, ctx: Context, scale: float = 1.0, search_past: bool = True) -> Verdict:
    """The verdict on one claim (a register row as a dict). ``scale`` multiplies every tolerance."""
    seen: dict = {}
    v = _judge(claim, ctx, scale, search_past, seen)
    m = seen.get("measured")
    if m is not None and m.is_range:
        v.low, v.high = float(m.low), float(m.high)
    return v


def _judge(claim: dict, ctx: Context, scale: float, search_past: bool, seen: dict) -> Verdict:
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
    seen["measured"] = m
    alt_args = parse_args(claim.get("alt_args")) if claim.get("alt_args") else None

    def alternative():
        if alt_args is None:
            return None, None
        am = measure(claim, ctx, alt_args)
        if not am.ok:
            return am, None
        return am, rule(am.value, claim, None, scale)

    if not m.ok:
        # the stated scope has no data: not checkable, whatever another scope gives (#17); the other
        # scope is reported beside it
        am, ao = alternative()
        needs = claim.get("needs") or m.detail
        also = ""
        if am is not None and am.ok and ao is not None:
            also = f" For {claim.get('scope_note')}, the data give {am.detail} ({ao.text}), which does not decide the claim."
        return Verdict(
            claim["claim_id"],
            NOT_CHECKABLE,
            None,
            f"Would need: {needs}.{also}",
            detail=m.detail,
            alt_value=am.value if am is not None and am.ok else None,
        )

    out = _ruled(rule, m, claim, at, scale)
    if m.is_range:
        out = Outcome(out.result, f"{out.text} (the data put it between {_fmt(m.low)} and {_fmt(m.high)})")
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


READING = "reading"
OTHER_SCOPE = "other_scope"


def combine(stated: list[str], others: list[str]) -> str:
    """One verdict from the verdicts of a claim's readings.

    ``stated``: the register's own reading first, then every other plausible reading of the claim's
    words; ``others``: the same quantity for another population or period, shown but not a reading.
    Readings the data cannot check are set aside. If none is left the claim is *not checkable*
    (whatever another scope gives). If all that are left hold, the least favourable of them is
    the verdict; if none holds, the register's reading (or the first checkable one) gives it, and
    *mis-scoped* when another scope holds; if some hold and some do not, *depends on reading*.
    """
    checkable = [v for v in stated if v != NOT_CHECKABLE]
    if not checkable:
        return NOT_CHECKABLE
    holds = [v for v in checkable if v in HOLDS]
    if len(holds) == len(checkable):
        return APPROX if APPROX in holds else SUPPORTED
    if holds:
        return DEPENDS
    if any(o in HOLDS for o in others):
        return MISSCOPED
    return stated[0] if stated[0] != NOT_CHECKABLE else checkable[0]


def _as_reading(claim: dict, reading: dict) -> dict:
    """The claim with one reading's measure and arguments (the claim's own where the reading has none)."""
    measure_name = _clean(reading.get("measure")) or claim["measure"]
    args = _clean(reading.get("args"))
    targ = _clean(claim.get("time_arg"))
    out = {**claim, "measure": measure_name, "args": args, "alt_args": None, "scope_note": None}
    if targ and targ not in parse_args(args):
        out["time_arg"] = None
    if _clean(reading.get("needs")) is not None:
        out["needs"] = _clean(reading.get("needs"))
    return out


def evaluate(
    register: pd.DataFrame,
    ctx: Context,
    scale: float = 1.0,
    data_dir=None,
    dated: bool = True,
    readings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Judge every claim at its own date and now; one row per claim (register columns + verdicts).

    ``verdict`` is the combined verdict (:func:`judge_dated`), ``verdict_written`` and
    ``verdict_now`` the two parts; value, explanation and detail are those of now. With
    ``dated=False`` (or contexts built from injected frames) only the verdict now is computed.
    ``readings`` (the register's ``claims_readings``) adds every other reading of a claim: each is
    judged the same way, listed in the ``readings`` column, and the verdicts are combined by
    :func:`combine` (a claim whose verdict depends on the reading is *depends on reading*).
    """
    rows = []
    written: dict[int, Context] = {}

    def one(claim: dict) -> tuple[Verdict, Verdict, str]:
        as_of = _clean(claim.get("as_of"))
        if dated and as_of is not None:
            # judged at its own date, or at the end of the year range when that comes first
            as_of = min(int(as_of), ctx.end_year)
            if as_of not in written:
                written[as_of] = Context.as_written(
                    data_dir if data_dir is not None else ctx.data_dir, ctx.start_year, as_of
                )
            return judge_dated(claim, ctx, written[as_of], scale)
        v = judge(claim, ctx, scale)
        return v, v, v.verdict

    by_claim: dict[str, list[dict]] = {}
    if readings is not None and not readings.empty:
        for rd in readings.to_dict("records"):
            by_claim.setdefault(rd["claim_id"], []).append(rd)
    for claim in register.to_dict("records"):
        then, v, verdict = one(claim)
        shown: list[dict[str, Any]] = []
        if claim["claim_id"] in by_claim:
            shown.append(
                {
                    "reading_id": "stated",
                    "kind": READING,
                    "aspect": "as registered",
                    "measure": claim["measure"],
                    "label": _clean(claim.get("scope_note")) or "the register's reading",
                    "verdict": verdict,
                    "value": v.value,
                    "low": v.low,
                    "high": v.high,
                    "explanation": v.explanation,
                    "detail": v.detail,
                }
            )
            for rd in by_claim[claim["claim_id"]]:
                rt, rv, rverdict = one(_as_reading(claim, rd))
                shown.append(
                    {
                        "reading_id": rd["reading_id"],
                        "kind": rd["kind"],
                        "aspect": rd["aspect"],
                        "measure": _clean(rd.get("measure")) or claim["measure"],
                        "label": rd["label"],
                        "verdict": rverdict,
                        "value": rv.value,
                        "low": rv.low,
                        "high": rv.high,
                        "explanation": rv.explanation,
                        "detail": rv.detail,
                    }
                )
            verdict = combine(
                [r["verdict"] for r in shown if r["kind"] == READING],
                [r["verdict"] for r in shown if r["kind"] == OTHER_SCOPE],
            )
        rows.append(
            {
                **claim,
                "readings": shown,
                "value_low": v.low,
                "value_high": v.high,
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
