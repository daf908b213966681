"""Time spent abroad between leaving North Korea and arriving in South Korea (issue #18 item 3).

Reads ``data/time_abroad.csv`` (published band shares for 2002 and January-May 2003 arrivals,
published averages, and ministry statements without figures) and returns plain numbers that the
arrivals and economic chapters use to justify the lags they examine. No wording here (analysis does
not import present): chapters word the numbers with ``nkbook.present.words``.

A band is [bucket_low_years, bucket_high_years); an empty upper end is an open band ("6+").
Bands whose share was not published stay missing: for such a distribution the shares "within k
years" are returned as bounds (``low`` counts only published bands that end by k; ``high`` adds the
unpublished remainder, 100 minus the published shares, as if it all lay below k).
"""

from __future__ import annotations

import math

import pandas as pd

from nkbook.data import load


def frame(data_dir=None) -> pd.DataFrame:
    return load("time_abroad", data_dir)


def _num(x):
    """Plain Python float (or None for a missing value)."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return None
    return float(x)


def distribution(data_dir=None, statement_id: str = "kpdi_2003_dist", *, df=None) -> dict:
    """One published distribution: shares within 1, 2, 3 years, median band, open top band."""
    df = frame(data_dir) if df is None else df
    d = df[(df["statement_id"] == statement_id) & (df["measure"] == "share_pct")].copy()
    if d.empty:
        raise KeyError(f"no share_pct rows for {statement_id!r} in time_abroad")
    d = d.sort_values("bucket_low_years")
    published = d[d["value"].notna()]
    total = float(published["value"].sum())
    complete = bool(d["value"].notna().all())
    unpublished = 0.0 if complete else max(100.0 - total, 0.0)
    within = {}
    for k in (1, 2, 3, 4, 5, 6):
        ends = d["bucket_high_years"].notna() & (d["bucket_high_years"] <= k)
        low = float(published.loc[ends.loc[published.index], "value"].sum())
        missing_below = bool((ends & d["value"].isna()).any())
        high = low + unpublished if missing_below else low
        within[k] = {"low": round(low, 2), "high": round(high, 2)}
    # median band: the band where the cumulative share first reaches half of 100
    median = None
    cum = 0.0
    for _, row in d.iterrows():
        if pd.isna(row["value"]):
            break  # undetermined once a band below is unknown
        cum += float(row["value"])
        if cum >= 50.0:
            median = str(row["bucket"])
            break
    top = d[d["bucket_high_years"].isna()]
    top_row = top.iloc[-1] if not top.empty else None
    largest = published.loc[published["value"].idxmax()] if not published.empty else None
    n = d["n"].dropna()
    return {
        "statement_id": statement_id,
        "cohort": str(d["cohort"].iloc[0]),
        "statement_year": int(d["statement_year"].iloc[0]),
        "n": int(n.iloc[0]) if not n.empty else None,
        "complete": complete,
        "published_total": round(total, 2),
        "unpublished_share": round(unpublished, 2),
        "bands": [(str(r.bucket), _num(r.value)) for r in d.itertuples()],
        "within_1": within[1],
        "within_2": within[2],
        "within_3": within[3],
        "within": within,
        "median_bucket": median,
        "largest_bucket": str(largest["bucket"]) if largest is not None else None,
        "largest_share": _num(largest["value"]) if largest is not None else None,
        "open_top_bucket": str(top_row["bucket"]) if top_row is not None else None,
        "open_top_low_years": _num(top_row["bucket_low_years"]) if top_row is not None else None,
        "open_top_share": _num(top_row["value"]) if top_row is not None else None,
    }


def distributions(data_dir=None, *, df=None) -> dict[str, dict]:
    """Every published distribution, earliest statement first."""
    df = frame(data_dir) if df is None else df
    ids = (
        df[df["measure"] == "share_pct"]
        .sort_values(["statement_year", "statement_id"])["statement_id"]
        .drop_duplicates()
    )
    return {i: distribution(statement_id=i, df=df) for i in ids}


def averages(data_dir=None, *, df=None) -> list[dict]:
    """Published averages by year of statement (months and years)."""
    df = frame(data_dir) if df is None else df
    a = df[(df["measure"] == "average_months") & df["value"].notna()]
    a = a.sort_values(["statement_year", "statement_id"])
    return [
        {
            "statement_id": str(r.statement_id),
            "cohort": str(r.cohort),
            "statement_year": int(r.statement_year),
            "months": float(r.value),
            "years": round(float(r.value) / 12.0, 2),
        }
        for r in a.itertuples()
    ]


def trends(data_dir=None, *, df=None) -> list[dict]:
    """Statements that say stays are getting longer or shorter, by year of statement."""
    df = frame(data_dir) if df is None else df
    t = df[df["trend"].notna()].sort_values(["statement_year", "statement_id"])
    return [
        {"statement_id": str(r.statement_id), "statement_year": int(r.statement_year), "trend": str(r.trend)}
        for r in t.itertuples()
    ]


def lag_range_support(data_dir=None) -> dict:
    """What the data say about how far an arrival year lies from the departure year.

    Keys: the earliest complete distribution's shares within 1-3 years (and its median band), the
    2002 bounds, averages by year of statement, the threshold of the latest qualitative statement
    (``latest_threshold_years``, e.g. 5 for "mostly 5+ years" in Q1 2025) with the share of the
    earliest complete distribution at or beyond it, and booleans:
    ``later_stays_longer`` (the latest statement puts most arrivals at or beyond a threshold that
    fewer than half of the earliest complete distribution reached) and ``trend_mixed`` (statements
    in between say both longer and shorter).
    """
    df = frame(data_dir)
    dists = distributions(df=df)
    full = [d for d in dists.values() if d["complete"]]
    first = full[0] if full else None
    avgs = averages(df=df)
    tr = trends(df=df)
    q = df[
        (df["measure"] == "qualitative") & df["bucket_low_years"].notna() & df["bucket_high_years"].isna()
    ].sort_values("statement_year")
    latest = q.iloc[-1] if not q.empty else None
    threshold = _num(latest["bucket_low_years"]) if latest is not None else None
    beyond = None
    if first is not None and threshold is not None:
        k = int(threshold)
        beyond = (
            round(first["published_total"] - first["within"].get(k, {"low": float("nan")})["low"], 2)
            if k in first["within"]
            else None
        )
    out = {
        "first_full_id": first["statement_id"] if first else None,
        "first_full_cohort": first["cohort"] if first else None,
        "first_full_n": first["n"] if first else None,
        "first_full_within_1": first["within_1"]["low"] if first else None,
        "first_full_within_2": first["within_2"]["low"] if first else None,
        "first_full_within_3": first["within_3"]["low"] if first else None,
        "first_full_median_bucket": first["median_bucket"] if first else None,
        "first_full_open_top_bucket": first["open_top_bucket"] if first else None,
        "first_full_open_top_share": first["open_top_share"] if first else None,
        "partial": {
            i: {
                "within_1": d["within_1"],
                "within_2": d["within_2"],
                "within_3": d["within_3"],
                "largest_bucket": d["largest_bucket"],
                "largest_share": d["largest_share"],
                "unpublished_share": d["unpublished_share"],
            }
            for i, d in dists.items()
            if not d["complete"]
        },
        "averages": [{"statement_year": a["statement_year"], "cohort": a["cohort"], "years": a["years"]} for a in avgs],
        "average_years_min": min((a["years"] for a in avgs), default=None),
        "average_years_max": max((a["years"] for a in avgs), default=None),
        "latest_statement_id": str(latest["statement_id"]) if latest is not None else None,
        "latest_statement_year": int(latest["statement_year"]) if latest is not None else None,
        "latest_threshold_years": threshold,
        "first_full_share_at_or_beyond_threshold": beyond,
        "later_stays_longer": bool(beyond is not None and beyond < 50.0),
        "trend_mixed": len({t["trend"] for t in tr}) > 1,
        "trend_years": [(t["statement_year"], t["trend"]) for t in tr],
    }
    return out


def summary(data_dir=None) -> str:
    """One plain-text paragraph of the numbers (chapters should word their own prose)."""
    s = lag_range_support(data_dir)
    parts = []
    if s["first_full_id"]:
        parts.append(
            f"Of {s['first_full_n']} arrivals ({s['first_full_cohort']}), {s['first_full_within_1']:g}% had "
            f"spent under 1 year abroad, {s['first_full_within_2']:g}% under 2 and "
            f"{s['first_full_within_3']:g}% under 3; the median band is {s['first_full_median_bucket']} years "
            f"and the open top band {s['first_full_open_top_bucket']} holds {s['first_full_open_top_share']:g}%."
        )
    for i, p in s["partial"].items():
        w3 = p["within_3"]
        parts.append(
            f"For {i} only some bands were published ({p['unpublished_share']:g}% unallocated): "
            f"under 3 years between {w3['low']:g}% and {w3['high']:g}%, largest band "
            f"{p['largest_bucket']} years ({p['largest_share']:g}%)."
        )
    if s["averages"]:
        avg = "; ".join(f"{a['years']:g} years ({a['cohort']}, stated {a['statement_year']})" for a in s["averages"])
        parts.append(f"Published averages by year of statement: {avg}.")
    if s["latest_threshold_years"] is not None:
        parts.append(
            f"The {s['latest_statement_year']} statement puts most arrivals at "
            f"{s['latest_threshold_years']:g}+ years abroad, against "
            f"{s['first_full_share_at_or_beyond_threshold']:g}% at that length in the earliest "
            f"full distribution (later_stays_longer={s['later_stays_longer']}; "
            f"trend_mixed={s['trend_mixed']})."
        )
    return " ".join(parts)
