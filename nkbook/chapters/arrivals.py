"""The arrivals chapter: the yearly record, its early buckets, women's share and the closure by quarter.

``compute()`` returns every value the chapter's prose glues (``Results``) with the frames its
charts and tables need; the chart builders take those results and return ``charts.Figure``.
"""

from __future__ import annotations

import math
import re

import altair as alt
import pandas as pd

from nkbook.analysis import series, time_abroad
from nkbook.analysis.series import derived_quarters
from nkbook.data import load, used
from nkbook.present import charts, words
from nkbook.present.results import Results

PUBLISHED = "Published"
DERIVED = "Derived from other published totals"
SOURCE_YEARLY = "Ministry of Unification (final series; 2025 as revised on 4 February 2026)."
SOURCE_SHARE = "Ministry of Unification; share computed as women divided by all arrivals."
SOURCE_TIME_ABROAD = (
    "Yoon Yeo-sang, Korea Political Development Institute (2003), as reported by Yonhap via Hankyung, "
    "4 November 2003; averages for 2005 and 2009 from the Ministry of Unification as reported by Yonhap."
)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SOURCE_QUARTERS = "Ministry of Unification quarterly briefings as reported by Korean news outlets."


def bucket_frame(buckets: pd.DataFrame) -> pd.DataFrame:
    """The early buckets as the chapter's table shows them."""
    t = buckets.rename(
        columns={
            "period": "Period",
            "male": "Men",
            "female": "Women",
            "total": "Total",
            "female_share_pct": "Women (%)",
        }
    )[["Period", "Men", "Women", "Total", "Women (%)"]]
    t["Women (%)"] = t["Women (%)"].round(1)
    return t


def checkpoint_gaps(cumulative: pd.DataFrame) -> list[int]:
    """Years of the used cumulative checkpoints that differ from the running sum (a stated gap_*)."""
    c = used(cumulative)
    gaps = c[["gap_total", "gap_male", "gap_female"]].fillna(0).astype(int)
    hit = c[(gaps != 0).any(axis=1)]
    return sorted({int(pd.Timestamp(d).year) for d in hit["as_of"]})


def cohort_label(cohort: str) -> str:
    """'2003-01..05 arrivals' -> 'January–May 2003 arrivals', '2025-Q1 arrivals' -> 'Q1 2025 arrivals'."""
    m = re.fullmatch(r"(\d{4})-(\d\d)\.\.(\d\d) (.*)", cohort)
    if m:
        year, a, b, rest = m.groups()
        return f"{MONTHS[int(a) - 1]}–{MONTHS[int(b) - 1]} {year} {rest}"
    m = re.fullmatch(r"(\d{4})-(Q\d) (.*)", cohort)
    if m:
        year, quarter, rest = m.groups()
        return f"{quarter} {year} {rest}"
    return cohort.replace(" NK ", " North Korea ").replace("2007-08", "2007–08")


def _band_range(band: str) -> tuple[float, float | None]:
    if band.endswith("+"):
        return float(band[:-1]), None
    lo, hi = band.split("-")
    return float(lo), float(hi)


def _covers(band: tuple[float, float | None], lo: float, hi: float | None) -> bool:
    """Whether ``band`` contains the band [lo, hi) (an open upper end is None)."""
    top = band[1]
    return band[0] <= lo and (top is None or (hi is not None and hi <= top))


def band_label(band: str) -> str:
    """'4-5' -> '4–5 years', '6+' -> '6 years or more', '0-1' -> 'under 1 year'."""
    if band.endswith("+"):
        return f"{band[:-1]} years or more"
    lo, hi = band.split("-")
    return f"under {words.plural(int(hi), 'year')}" if lo == "0" else f"{lo}–{hi} years"


def time_abroad_frame(dists: dict[str, dict]) -> pd.DataFrame:
    """The published distributions side by side, one row per band of the finest distribution.

    A band that a coarser distribution only covers as part of a wider band says so; a band whose
    share was not published says "not published" (missing stays missing).
    """
    finest = max(dists.values(), key=lambda d: len(d["bands"]))
    bands = [b for b, _ in finest["bands"]]
    cols = {}
    for d in dists.values():
        shares = dict(d["bands"])
        cells = []
        for b in bands:
            if b in shares:
                cells.append("not published" if shares[b] is None else f"{shares[b]:g}")
                continue
            lo, hi = _band_range(b)
            wider = [c for c in shares if _covers(_band_range(c), lo, hi)]
            if not wider:
                cells.append("")
                continue
            v = shares[wider[0]]
            cells.append(f"in “{band_label(wider[0])}”: " + ("not published" if v is None else f"{v:g}"))
        cols[f"{cohort_label(d['cohort'])} (%)"] = cells
    return pd.DataFrame({"Time abroad before arrival": [band_label(b) for b in bands], **cols})


def _time_abroad(r: Results, data_dir) -> None:
    """#18 item 3: how long arrivals had spent abroad, and the lags it supports."""
    df = time_abroad.frame(data_dir)
    support = time_abroad.lag_range_support(data_dir)
    dists = time_abroad.distributions(df=df)
    avgs = time_abroad.averages(df=df)
    full = dists[support["first_full_id"]]
    r.frames["time_abroad"] = time_abroad_frame(dists)
    r.put("ta_full_cohort", cohort_label(full["cohort"]))
    r.put("ta_full_n", full["n"])
    r.put("ta_full_within_1", full["within_1"]["low"], 2)
    r.put("ta_full_within_3", full["within_3"]["low"], 2)
    r.put("ta_full_median_band", band_label(full["median_bucket"]))
    # the longest stay that most of the full distribution had reached, and when those people left
    at_least = {k: full["published_total"] - full["within"][k]["low"] for k in full["within"]}
    most = max((k for k, v in at_least.items() if v > 50), default=None)
    if most is not None:
        r.put("ta_full_most_years", most)
        r.put("ta_full_most_share", at_least[most], 2)
        r.put("ta_full_left_by", full["statement_year"] - most)
        r.put(
            "ta_full_most_sentence",
            f"{words.number(at_least[most], 1)}% of them had spent at least {words.plural(most, 'year')} abroad, "
            f"so most had left North Korea in {full['statement_year'] - most} or earlier",
        )
    else:
        r.put("ta_full_most_sentence", "fewer than half of them had spent even one year abroad")
    partial = [d for d in dists.values() if not d["complete"]]
    if partial:
        p = partial[0]
        r.put(
            "ta_partial_sentence",
            f"For the {cohort_label(p['cohort'])} only some bands were published: "
            f"{words.number(p['within_1']['low'], 1)}% had spent under a year abroad and the largest band, "
            f"{band_label(p['largest_bucket'])}, held {words.number(p['largest_share'], 1)}%; "
            f"{words.number(p['unpublished_share'], 1)}% is not allocated to any band.",
        )
    else:
        r.put("ta_partial_sentence", "Every published distribution is complete.")
    # the averages, in the order they were stated
    avg_text = [
        f"in {a['statement_year']}, {words.number(a['years'], 1)} years for {cohort_label(a['cohort'])}" for a in avgs
    ]
    r.put("ta_averages_text", "; ".join(avg_text))
    r.put("ta_average_min_years", support["average_years_min"], 1)
    r.put("ta_average_max_years", support["average_years_max"], 1)
    first, last = avgs[0], avgs[-1]
    r.put("ta_average_last_word", words.compare(last["years"], first["years"], "longer than", "shorter than"))
    r.put("ta_average_last_year", last["statement_year"])
    r.put("ta_average_first_year", first["statement_year"])
    lo, hi = support["average_years_min"], support["average_years_max"]
    r.put(
        "ta_spread_sentence",
        f"the typical stay has changed between periods (averages from {words.number(lo, 1)} to "
        f"{words.number(hi, 1)} years), so no single lag fits the whole series"
        if words.extent(hi, lo) == "far above"
        else f"the published averages stay within {words.number(lo, 1)} to {words.number(hi, 1)} years",
    )
    r.put(
        "ta_trend_sentence",
        "The statements do not agree on a direction: some say stays were getting longer, others shorter"
        if support["trend_mixed"]
        else "The statements agree on one direction of change",
    )
    # the ministry's later statements (no figures): quoted from the data's paraphrase
    q = df[(df["measure"] == "qualitative") & df["statement"].notna() & (df["statement_year"] >= 2013)]
    q = q.sort_values("statement_year")
    r.put(
        "ta_statements_text",
        "; ".join(
            f"in {int(x.statement_year)}, of {cohort_label(str(x.cohort))}: {x.statement}" for x in q.itertuples()
        ),
    )
    # the latest statement with a threshold: when those arrivals left, against the closure
    thr, when = support["latest_threshold_years"], support["latest_statement_year"]
    if thr is not None:
        left_by = int(when - thr)
        closed = series.CLOSURE_YEARS[0]
        rel = (
            f"before the border closed in {closed}"
            if left_by < closed
            else "that is, no later than the year the border closed"
            if left_by == closed
            else f"possibly after the border closed in {closed}"
        )
        r.put("ta_latest_year", when)
        r.put("ta_latest_threshold", thr, 0)
        r.put("ta_latest_left_by", left_by)
        r.put("ta_latest_before_closure", left_by <= closed)
        r.put(
            "ta_reopening_sentence",
            "Arrivals after the reopening therefore mostly reflect departures made no later than the closure's "
            "first year, not new departures"
            if left_by <= closed
            else "Some arrivals after the reopening may therefore reflect departures made after the border closed",
        )
        r.put(
            "ta_closure_sentence",
            f"The ministry said in {when} that most arrivals had spent {words.plural(thr, 'year')} or more abroad: "
            f"they left North Korea in {left_by} or earlier, {rel}",
        )
    else:
        r.put("ta_closure_sentence", "No statement gives a typical length of stay for the latest arrivals")
        r.put("ta_reopening_sentence", "When the latest arrivals left is not published")
    # the range of lags the published stays support (the economic chapter's lag grid cites it)
    # rule: from the shortest band holding a published share to the longer of the largest average
    # (rounded up) and the top of the full distribution's median band
    lag_min = int(min(_band_range(b)[0] for d in dists.values() for b, v in d["bands"] if v))
    median_top = _band_range(full["median_bucket"])[1]
    lag_max = max(math.ceil(support["average_years_max"]), int(median_top or 0))
    beyond = full["published_total"] - full["within"][lag_max + 1]["low"] if lag_max + 1 in full["within"] else None
    under_1 = [d["within_1"]["low"] for d in dists.values()]
    r.put("time_abroad_lag_min", lag_min)
    r.put("time_abroad_lag_max", lag_max)
    tail = (
        f"; all but {words.number(beyond, 1)}% of its {full['n']} arrivals had stayed "
        f"under {words.plural(lag_max + 1, 'year')}"
        if beyond is not None
        else ""
    )
    r.put(
        "time_abroad_lag_sentence",
        f"The published times abroad support lags of {lag_min} to {lag_max} years between leaving North Korea and "
        f"arriving in South Korea: between {words.number(min(under_1), 1)}% and {words.number(max(under_1), 1)}% "
        f"of arrivals had spent under a year abroad, the published averages run from "
        f"{words.number(support['average_years_min'], 1)} to {words.number(support['average_years_max'], 1)} "
        f"years, and the one full distribution ({cohort_label(full['cohort'])}) has its median in the "
        f"{band_label(full['median_bucket'])} band{tail}.",
    )


HALF_YEAR = "Published as a half-year (outline)"


def _period_dates(year: int, first_quarter: int, n_quarters: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(year=year, month=3 * (first_quarter - 1) + 1, day=1)
    return start, start + pd.DateOffset(months=3 * n_quarters)


def quarter_frame(data_dir=None) -> pd.DataFrame:
    """Used quarter and half-year rows: label, start and end dates, total, sex, and kind.

    A half-year row (period H1/H2) stays a half-year: it spans its six months and is never split
    into quarters (kind ``HALF_YEAR``); quarter rows are published or derived (``derived`` flag).
    """
    q = used(load("arrivals_quarterly", data_dir)).copy()
    rows = []
    for x in q.itertuples():
        year = int(x.year)
        if pd.isna(x.quarter):
            first = 1 if x.period == "H1" else 3
            start, end = _period_dates(year, first, 2)
            label, kind, quarter = f"{year} {x.period}", HALF_YEAR, None
        else:
            start, end = _period_dates(year, int(x.quarter), 1)
            label, quarter = f"{year} Q{int(x.quarter)}", int(x.quarter)
            kind = DERIVED if bool(x.derived) else PUBLISHED
        rows.append(
            {
                "period": label,
                "year": year,
                "quarter": quarter,
                "start": start,
                "end": end,
                "total": int(x.total),
                "male": None if pd.isna(x.male) else int(x.male),
                "female": None if pd.isna(x.female) else int(x.female),
                "kind": kind,
            }
        )
    out = pd.DataFrame(rows).sort_values(["start", "end"]).reset_index(drop=True)
    out["quarter"] = out["quarter"].astype("Int64")
    out["male"] = out["male"].astype("Int64")
    out["female"] = out["female"].astype("Int64")
    return out


def checkpoint_frame(data_dir, end_year: int) -> pd.DataFrame:
    """Every used cumulative checkpoint to ``end_year`` against the running sum of the yearly series.

    Year-end checkpoints compare with the running sum; a checkpoint at the end of a quarter or
    half-year compares with the previous year-end plus the arrivals of the quarterly file since
    1 January; other mid-year checkpoints are only bounded (shown without a running sum).
    """
    c = used(load("arrivals_cumulative", data_dir))
    running = series.cumulative(data_dir).set_index("year")
    q = quarter_frame(data_dir)
    rows = []
    for x in c.sort_values("as_of").itertuples():
        as_of = pd.Timestamp(x.as_of)
        if as_of.year > end_year:
            continue
        expected: dict[str, int | None] = {"total": None, "male": None, "female": None}
        if as_of.month == 12 and as_of.day == 31 and as_of.year in running.index:
            expected = {k: _int_or_none(running.at[as_of.year, k]) for k in expected}
        elif (as_of + pd.Timedelta(days=1)).day == 1 and (as_of.year - 1) in running.index:
            end = as_of + pd.Timedelta(days=1)
            inside = q[(q["year"] == as_of.year) & (q["end"] <= end)]
            halves = inside[inside["kind"] == HALF_YEAR]
            parts = halves if len(halves) and halves["end"].max() == end else inside[inside["kind"] != HALF_YEAR]
            covered = pd.Timestamp(year=as_of.year, month=1, day=1) + pd.DateOffset(
                months=int(
                    sum((p.end.year - p.start.year) * 12 + p.end.month - p.start.month for p in parts.itertuples())
                )
            )
            if len(parts) and covered == end:
                for k in expected:
                    base = _int_or_none(running.at[as_of.year - 1, k])
                    add = parts[k]
                    expected[k] = None if base is None or add.isna().any() else base + int(add.sum())
        gap: dict[str, int | None] = {}
        for k, e in expected.items():
            gap[k] = None if e is None or pd.isna(getattr(x, k)) else e - int(getattr(x, k))
        differs = [
            f"{name} {gap[k]:+,}" for k, name in (("total", "total"), ("male", "men"), ("female", "women")) if gap[k]
        ]
        rows.append(
            {
                "As of": as_of.date().isoformat(),
                "Published total": int(x.total),
                "Running sum of the series": expected["total"],
                "Running sum minus published": "; ".join(differs)
                if differs
                else ("none" if expected["total"] is not None else "checked against the year's range only"),
            }
        )
    out = pd.DataFrame(rows)
    out["Running sum of the series"] = out["Running sum of the series"].astype("Int64")
    return out


def _int_or_none(v) -> int | None:
    return None if pd.isna(v) else int(v)


def _record(r: Results, years: pd.DataFrame, buckets: pd.DataFrame, data_dir) -> None:
    """The yearly record: like-with-like comparison with the bucket, the succession, the closure."""
    start_year, end_year = r["start_year"], r["end_year"]
    by_year = years.set_index("year")["total"].astype(int)
    peak = years.loc[years["total"].idxmax()]
    low = years.loc[years["total"].idxmin()]
    last = years.iloc[-1]
    r.put("peak_year", peak["year"])
    r.put("peak_total", peak["total"])
    r.put("low_year", low["year"])
    r.put("low_total", low["total"])
    r.put("latest_year", last["year"])
    r.put("latest_total", last["total"])
    r.put("n_years", len(years))
    r.frames["years"] = years
    r.extra["peak"], r.extra["low"], r.extra["last"] = peak, low, last

    # the buckets: context before the window, or inside it
    before = [str(b.period) for b in buckets.itertuples() if int(b.last_year) < start_year]
    r.put(
        "buckets_window_sentence",
        "Both buckets fall within the years this run shows."
        if not before
        else f"{'Both buckets lie' if len(before) == len(buckets) else 'The bucket ' + words.join(before) + ' lies'} "
        f"before the years this run shows ({start_year}–{end_year}) and {'are' if len(before) > 1 else 'is'} "
        "given as context.",
    )
    # like with like: the bucket's yearly average against the highest single year shown
    b2001 = buckets[buckets["period"] == "1999–2001"].iloc[0]
    n_bucket_years = int(b2001["last_year"]) - int(b2001["first_year"]) + 1
    per_year = float(b2001["total"]) / n_bucket_years
    r.put("bucket_2001_total", b2001["total"])
    r.put("bucket_2001_years", n_bucket_years)
    r.put("bucket_2001_per_year", per_year, 0)
    r.put("bucket_to_peak_word", words.direction(per_year, peak["total"]))
    r.put("bucket_to_peak_times", words.times(float(peak["total"]) / per_year))

    # the succession (the drop is measured on the full series; the sentence only inside the window)
    full = series.yearly(data_dir).set_index("year")["total"]
    if 2011 in full.index and 2012 in full.index:
        r.put("drop_2011_2012_pct", 100 * (1 - full[2012] / full[2011]), 0)
    if 2011 in by_year and 2012 in by_year:
        change = 100 * (by_year[2012] / by_year[2011] - 1)
        r.put(
            "record_succession_sentence",
            f"From 2011 to 2012, after the succession, they {words.direction(by_year[2011], by_year[2012])} by "
            f"{words.number(abs(change))}%",
        )
    else:
        r.put("record_succession_sentence", "The 2011–12 succession lies outside the years shown")

    # the closure
    closed = [y for y in range(series.CLOSURE_YEARS[0], series.CLOSURE_YEARS[1] + 1) if y in by_year]
    r.put("n_closure_years_shown", len(closed))
    if 2019 in by_year and 2021 in by_year:
        r.put("total_2019", by_year[2019])
        r.put("total_2021", by_year[2021])
        r.put("fall_2019_2021_pct", 100 * (1 - by_year[2021] / by_year[2019]), 1)
    if closed:
        c_low = min(closed, key=lambda y: by_year[y])
        rank = words.rank_word(by_year[c_low], by_year.values, "the highest", "the lowest")
        where = f", {rank} of the {words.plural(len(years), 'year')} shown" if rank == "the lowest" else ""
        r.put(
            "record_closure_sentence",
            f"After North Korea sealed its border in January {series.CLOSURE_YEARS[0]}, arrivals were "
            f"{by_year[c_low]:,} in {c_low}{where}",
        )
    else:
        r.put(
            "record_closure_sentence",
            f"The {series.CLOSURE_YEARS[0]} border closure lies outside the years shown; the lowest year shown is "
            f"{int(low['year'])}, with {int(low['total']):,} arrivals",
        )
    r.put("rebound_ratio", last["total"] / low["total"], 1)  # 1.0 when the range ends at the low
    pre = [y for y in range(series.CLOSURE_YEARS[0] - 3, series.CLOSURE_YEARS[0]) if y in by_year]
    if closed and int(last["year"]) > series.CLOSURE_YEARS[1] and pre:
        pre_mean = float(by_year[pre].mean())
        r.put(
            "record_latest_sentence",
            f"In {int(last['year'])}, {int(last['total']):,} people arrived, {words.times(last['total'] / low['total'])} "
            f"the low, and {words.extent(last['total'], pre_mean)} the {words.number(pre_mean)} a year of "
            f"{words.year_list(pre)} before the closure",
        )
    else:
        r.put("record_latest_sentence", f"In {int(last['year'])}, {int(last['total']):,} people arrived")


def _women(r: Results, years: pd.DataFrame, buckets: pd.DataFrame) -> None:
    early = buckets.set_index("period")
    r.put("bucket_1998_total", early.loc["≤1998", "total"])
    r.put("bucket_1998_female_pct", early.loc["≤1998", "female_share_pct"], 1)
    r.put("bucket_1998_majority", words.majority(early.loc["≤1998", "female_share_pct"]))
    share = years.dropna(subset=["female_share_pct"])
    r.frames["share"] = share.assign(female_share_pct=share["female_share_pct"].round(1))
    if share.empty:
        r.put("women_majority_sentence", "No year shown has a published split by sex")
        return
    f = share.set_index("year")["female_share_pct"]
    r.put("female_share_latest", f.iloc[-1], 1)
    r.put("female_share_max", f.max(), 1)
    r.put("female_share_max_year", f.idxmax())
    r.put("female_share_min", f.min(), 1)
    r.put("female_share_min_year", f.idxmin())
    a, b = int(f.index.min()), int(f.index.max())
    holds = {int(y): bool(v > 50) for y, v in f.items()}
    minority = [y for y, v in holds.items() if not v]
    r.put("n_women_minority_years", len(minority))
    r.put(
        "women_majority_sentence",
        f"Women were the majority of arrivals {words.every_year_except(holds, span=f'every year from {a} to {b}')}",
    )


def _quarters(r: Results, data_dir) -> None:
    start_year, end_year = r["start_year"], r["end_year"]
    q_all = quarter_frame(data_dir)
    q = q_all[(q_all["year"] >= start_year) & (q_all["year"] <= end_year)].reset_index(drop=True)
    context = q.empty
    if context:
        q = q_all
    r.frames["quarters_shown"] = q
    r.frames["quarters"] = q[q["kind"] != HALF_YEAR].reset_index(drop=True)
    quarters = r.frames["quarters"]
    first, last = quarters["period"].iloc[0], quarters["period"].iloc[-1]
    r.put(
        "quarters_window_sentence",
        f"The quarterly counts ({first} to {last}) lie outside the years this run shows ({start_year}–{end_year}); "
        "the chart shows them as context."
        if context
        else f"The quarterly counts shown run from {first} to {last}.",
    )
    qi = quarters.set_index("period")["total"]
    if "2020 Q1" in qi and "2020 Q2" in qi:
        q1, q2 = int(qi["2020 Q1"]), int(qi["2020 Q2"])
        r.put("q1_2020", q1)
        r.put("q2_2020", q2)
        r.put(
            "closure_quarters_sentence",
            f"In the first quarter of 2020, before the closure took full effect, {q1:,} people arrived; in the "
            f"second, {q2:,} ({words.number(abs(100 * (q2 / q1 - 1)))}% {'fewer' if q2 < q1 else 'more'})",
        )
        title = f"Arrivals {words.direction(q1, q2)} from {q1:,} in the first quarter of 2020 to {q2:,} in the second"
    else:
        r.put("closure_quarters_sentence", "The quarters of 2020 are not among those shown")
        hi, lo = qi.idxmax(), qi.idxmin()
        title = f"Arrivals per quarter: highest in {hi} ({int(qi[hi]):,}), lowest in {lo} ({int(qi[lo]):,})"
    derived = [p for p in derived_quarters(load("arrivals_quarterly", data_dir)) if p in set(quarters["period"])]
    r.put("n_derived_quarters", len(derived))
    r.put("derived_quarters_text", words.join(derived) if derived else "none")
    r.put("derived_quarters_phrase", words.plural(len(derived), "quarter"))
    r.put("derived_quarters_verb", "is" if len(derived) == 1 else "are")
    halves = q[q["kind"] == HALF_YEAR]
    r.put("n_half_years", len(halves))
    if len(halves):
        parts = []
        for h in halves.itertuples():
            split = "" if pd.isna(h.male) else f": {int(h.male):,} men and {int(h.female):,} women"
            parts.append(f"{h.period} ({h.total:,}{split})")
        r.put(
            "half_year_sentence",
            f"{words.join(parts)} {'was' if len(halves) == 1 else 'were'} published as "
            f"{'a half-year' if len(halves) == 1 else 'half-years'}; the chart draws "
            f"{'it' if len(halves) == 1 else 'each'} as an outline over its six months, never split into quarters",
        )
    else:
        r.put("half_year_sentence", "No half-year falls within the years shown")
    lo_q = qi.idxmin()
    r.put("quarterly_title", title)
    r.put(
        "quarterly_subtitle",
        "Bars: quarters (derived ones in grey)"
        + ("; dashed outline: a half-year, never split into quarters" if len(halves) else "")
        + ("; context outside the years shown" if context else ""),
    )
    r.put(
        "quarterly_description",
        f"Bar chart of arrivals per quarter from {first} to {last}, with the border-closure years shaded. "
        f"{title}. The lowest quarter shown is {lo_q}, with {int(qi[lo_q]):,}; the latest, {last}, had "
        f"{int(qi[last]):,}. {r['derived_quarters_phrase'].capitalize()} {r['derived_quarters_verb']} derived."
        + (f" {r['half_year_sentence']}." if len(halves) else ""),
    )


def _everyone(r: Results, data_dir) -> None:
    end_year = r["end_year"]
    running = series.cumulative(data_dir)
    running = running[running["year"] <= end_year]
    r.put("cumulative_total", running["total"].iloc[-1])
    r.put("cumulative_female_pct", 100 * running["female"].iloc[-1] / running["total"].iloc[-1], 1)
    r.put("cumulative_year", running["year"].iloc[-1])
    gaps = [y for y in checkpoint_gaps(load("arrivals_cumulative", data_dir)) if y <= end_year]
    r.put("n_checkpoint_gap_years", len(gaps))
    r.put("checkpoint_gap_years_text", words.year_list(gaps) if gaps else "no year")
    cp = checkpoint_frame(data_dir, end_year)
    r.frames["checkpoints"] = cp
    compared = cp["Running sum of the series"].notna()
    r.put("n_checkpoints", len(cp))
    r.put("n_checkpoints_compared", int(compared.sum()))
    r.put("n_checkpoints_equal", int((cp["Running sum minus published"] == "none").sum()))


def compute(data_dir=None, *, start_year: int = 1998, end_year: int | None = None) -> Results:
    r = Results()
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    first = int(series.yearly(data_dir)["year"].min())
    if start_year < first:
        raise ValueError(f"start_year {start_year} is before the first year in the data ({first})")
    years = series.window(series.yearly(data_dir), start_year, end_year)
    buckets = series.buckets(data_dir)
    r.put("start_year", start_year)
    r.put("end_year", end_year)
    r.frames["buckets"] = bucket_frame(buckets)
    _record(r, years, buckets, data_dir)
    _women(r, years, buckets)
    _quarters(r, data_dir)
    _everyone(r, data_dir)
    _time_abroad(r, data_dir)
    _titles(r)
    _findings(r)
    return r


def _titles(r: Results) -> None:
    title = f"Arrivals peaked at {r['peak_total']:,} in {r['peak_year']}"
    if "low_total" in r and r["low_year"] != r["peak_year"]:
        title += f" and were lowest, {r['low_total']:,}, in {r['low_year']}"
    r.put("arrivals_title", title)
    r.put("share_title", r["women_majority_sentence"])


def _findings(r: Results) -> None:
    s1 = (
        f"Over {r['start_year']}–{r['end_year']}, arrivals peaked at {r['peak_total']:,} in {r['peak_year']}, "
        f"{r['bucket_to_peak_times']} the "
        f"{words.number(r['bucket_2001_per_year'])} a year of 1999–2001."
    )
    s2 = f"{r['record_closure_sentence']}."
    s3 = f"{r['women_majority_sentence']}."
    s4 = (
        f"Published stays abroad before arrival average {words.number(r['ta_average_min_years'], 1)} to "
        f"{words.number(r['ta_average_max_years'], 1)} years, so a factor is read against the arrival year over "
        f"lags of {r['time_abroad_lag_min']} to {r['time_abroad_lag_max']} years."
    )
    s5 = (
        f"By the end of {r['cumulative_year']}, {r['cumulative_total']:,} North Koreans had arrived in all, "
        f"{words.number(r['cumulative_female_pct'], 1)}% of them women."
    )
    r.findings(s1, s2, s3, s4, s5)


def time_abroad_table(r: Results) -> charts.Table:
    return charts.table(
        r.frames["time_abroad"],
        caption=f"Share of arrivals by time spent abroad after leaving North Korea. Source: {SOURCE_TIME_ABROAD}",
    )


def bucket_table(r: Results) -> charts.Table:
    return charts.table(r.frames["buckets"])


def arrivals_chart(r: Results) -> charts.Figure:
    """Stacked bars of women and men per year (totals only where the split is not published)."""
    years, peak = r.frames["years"], r.extra["peak"]
    start_year, end_year = r["start_year"], r["end_year"]
    sexed = years.dropna(subset=["male", "female"])
    long = sexed.melt(id_vars=["year", "total"], value_vars=["female", "male"], var_name="sex", value_name="people")
    long["sex"] = long["sex"].map({"female": "Women", "male": "Men"})
    long["people"] = long["people"].astype(int)
    long["total"] = long["total"].astype(int)
    unsplit = years[years["male"].isna()]
    totals_only = unsplit.assign(sex="Total", people=lambda d: d["total"].astype(int))
    bars_data = pd.concat(
        [long, totals_only[["year", "total", "sex", "people"]].assign(total=lambda d: d["total"].astype(int))]
    )
    names = ["Women", "Men"] + (["Total"] if len(unsplit) else [])
    bars = (
        alt.Chart(bars_data)
        .mark_bar(size=charts.bar_size(len(years)))
        .encode(
            x=charts.year_axis(),
            y=alt.Y("people:Q", title="People arriving (per year)", stack="zero"),
            color=alt.Color("sex:N", title=None, scale=charts.series_scale(names)),
            order=alt.Order("sex:N", sort="descending"),
            tooltip=[
                alt.Tooltip("year:Q", title="Year", format="d"),
                alt.Tooltip("sex:N", title="Group"),
                alt.Tooltip("people:Q", title="People", format=","),
                alt.Tooltip("total:Q", title="Year total", format=","),
            ],
        )
    )
    marks = pd.DataFrame(
        [
            {"year": int(peak["year"]), "label": f"Peak: {int(peak['total']):,}"},
            {"year": 2012, "label": "After the 2011 succession"},
            {"year": series.CLOSURE_YEARS[0], "label": f"Border closed (Jan {series.CLOSURE_YEARS[0]})"},
        ]
    )
    marks = marks[(marks["year"] >= start_year) & (marks["year"] <= end_year)]
    rules = (
        alt.Chart(marks)
        .mark_rule(strokeDash=[4, 3], color=charts.HIGHLIGHT)
        .encode(
            x="year:Q", tooltip=[alt.Tooltip("label:N", title="Event"), alt.Tooltip("year:Q", format="d", title="Year")]
        )
    )
    text = (
        alt.Chart(marks)
        .mark_text(align="left", dx=4, dy=-6, fontSize=11, color="#333")
        .encode(x="year:Q", y=alt.value(12), text="label:N")
    )
    subtitle = f"Women and men per year of arrival, {start_year}–{end_year}" + (
        f"; {words.year_list(unsplit['year'])} published as totals only" if len(unsplit) else ""
    )
    layers = ([charts.closure_band()] if r["n_closure_years_shown"] else []) + [bars, rules, text]
    chart = alt.layer(*layers).properties(title=alt.TitleParams(r["arrivals_title"], subtitle=subtitle))
    return charts.show(
        chart,
        name="arrivals-by-sex",
        description=(
            f"Stacked bars of yearly arrivals from {start_year} to {end_year}. {r['arrivals_title']}. "
            f"{r['record_closure_sentence']}. {r['record_latest_sentence']}. {r['women_majority_sentence']}."
        ),
        source=SOURCE_YEARLY,
        data=years[["year", "male", "female", "total"]],
    )


def share_chart(r: Results) -> charts.Figure:
    """Women's share of each year's arrivals, with the 50 percent line and the closure band."""
    sh = r.frames["share"][["year", "female", "total", "female_share_pct"]]
    line = (
        alt.Chart(sh.assign(series="Women"))
        .mark_line(point=True)
        .encode(
            x=charts.year_axis(),
            y=alt.Y("female_share_pct:Q", title="Women among arrivals (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("series:N", title=None, scale=charts.series_scale(["Women"]), legend=None),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("female_share_pct:Q", title="Women (%)"),
                alt.Tooltip("total:Q", title="Arrivals", format=","),
            ],
        )
    )
    half = alt.Chart(pd.DataFrame({"y": [50]})).mark_rule(color=charts.MUTED, strokeDash=[2, 2]).encode(y="y:Q")
    layers = ([charts.closure_band()] if r["n_closure_years_shown"] else []) + [half, line]
    lo = (
        f"; lowest {words.number(r['female_share_min'], 1)}% in {r['female_share_min_year']}, highest "
        f"{words.number(r['female_share_max'], 1)}% in {r['female_share_max_year']}"
        if "female_share_min" in r
        else ""
    )
    return charts.show(
        alt.layer(*layers).properties(
            title=alt.TitleParams(
                r["share_title"], subtitle="Share of women among each year's arrivals; 50% line dashed"
            )
        ),
        name="female-share",
        description=(
            "Line chart of the share of women among each year's arrivals with a published split"
            + (f", {int(sh['year'].min())} to {int(sh['year'].max())}" if len(sh) else "")
            + ", with the 50 percent line"
            + (" and the closure years shaded" if r["n_closure_years_shown"] else "")
            + f". {r['women_majority_sentence']}{lo}."
        ),
        source=SOURCE_SHARE,
        data=sh,
    )


def checkpoint_table(r: Results) -> charts.Table:
    return charts.table(
        r.frames["checkpoints"],
        caption="Published cumulative totals against the running sum of the yearly series (and, within a year, "
        "of the quarterly file). Source: Ministry of Unification releases as reported; arrivals_cumulative.csv.",
    )


def quarterly_chart(r: Results) -> charts.Figure:
    """Arrivals per quarter around the closure on a time axis; derived quarters marked; a half-year
    drawn as an outline over its six months (never split into quarters)."""
    q = r.frames["quarters_shown"]
    quarters = q[q["kind"] != HALF_YEAR].assign(
        bar_start=lambda d: d["start"] + pd.Timedelta(days=9), bar_end=lambda d: d["end"] - pd.Timedelta(days=9)
    )
    halves = q[q["kind"] == HALF_YEAR].assign(
        label=lambda d: d["period"] + ": " + d["total"].map(lambda v: f"{v:,}") + " (half-year)",
    )
    x = alt.X("bar_start:T", title="Quarter of arrival", axis=alt.Axis(format="%Y", tickCount="year"))
    band = pd.DataFrame(
        {
            "start": [pd.Timestamp(year=series.CLOSURE_YEARS[0], month=1, day=1)],
            "end": [pd.Timestamp(year=series.CLOSURE_YEARS[1] + 1, month=1, day=1)],
            "label": ["Border closed (2020–2022)"],
        }
    )
    band = band[(band["end"] > q["start"].min()) & (band["start"] < q["end"].max())]
    layers = [
        alt.Chart(band)
        .mark_rect(opacity=0.15, color=charts.SERIES_COLOURS["Border closed (2020–2022)"])
        .encode(x="start:T", x2="end:T", tooltip=[alt.Tooltip("label:N", title="Period")]),
        alt.Chart(quarters)
        .mark_bar()
        .encode(
            x=x,
            x2="bar_end:T",
            y=alt.Y("total:Q", title="People arriving in the period", scale=alt.Scale(domainMin=0)),
            y2=alt.datum(0),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=[PUBLISHED, DERIVED], range=[charts.SERIES_COLOURS["Total"], charts.MUTED]),
                legend=alt.Legend(labelLimit=400),
            ),
            tooltip=[
                alt.Tooltip("period:N", title="Quarter"),
                alt.Tooltip("total:Q", title="People", format=","),
                alt.Tooltip("kind:N", title="Value"),
            ],
        ),
    ]
    if len(halves):
        layers += [
            alt.Chart(halves)
            .mark_rect(fillOpacity=0, stroke=charts.HIGHLIGHT, strokeWidth=1.5, strokeDash=[4, 3])
            .encode(x="start:T", x2="end:T", y="total:Q", y2=alt.datum(0)),
            alt.Chart(halves)
            .mark_text(dy=-8, align="right", fontSize=11, color=charts.HIGHLIGHT)
            .encode(x="end:T", y="total:Q", text="label:N"),
        ]
    chart = alt.layer(*layers).properties(title=alt.TitleParams(r["quarterly_title"], subtitle=r["quarterly_subtitle"]))
    cols = ["period", "start", "end", "total", "male", "female", "kind"]
    data = q[cols].assign(start=q["start"].dt.date.astype(str), end=q["end"].dt.date.astype(str))
    return charts.show(
        chart,
        name="arrivals-quarterly",
        description=r["quarterly_description"],
        source=SOURCE_QUARTERS,
        data=data,
    )
