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


def derived_quarters(quarterly: pd.DataFrame) -> list[str]:
    """Labels ('2024 Q4') of the used quarter rows flagged derived, in file order.

    The one count of derived quarters: the chapter's prose, its quarterly chart and the data
    appendix all use it, so they cannot disagree.
    """
    q = used(quarterly)
    q = q[q["quarter"].notna() & q["derived"].fillna(False).astype(bool)]
    return [f"{int(y)} Q{int(k)}" for y, k in zip(q["year"], q["quarter"], strict=True)]


def derived_quarters_sentence(quarterly: pd.DataFrame) -> str:
    """The data appendix's sentence on derived quarters, computed from the file."""
    d = derived_quarters(quarterly)
    if not d:
        return "Every quarter in this file was published as such; none is derived."
    verb = "is" if len(d) == 1 else "are"
    return (
        f"{words.plural(len(d), 'quarter')} ({words.join(d)}) {verb} derived from other published totals "
        "(a year or half-year minus its other quarters, or a split by sex derived the same way); "
        "each row's note gives the arithmetic."
    )


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
            wider = [
                c
                for c in shares
                if _band_range(c)[0] <= lo
                and (_band_range(c)[1] is None or (hi is not None and hi <= _band_range(c)[1]))
            ]
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
            else "by the year the border closed at the latest"
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


def quarter_frame(data_dir=None) -> pd.DataFrame:
    """Quarter rows only (half-year rows have no quarter), with a label and published/derived kind."""
    q = used(load("arrivals_quarterly", data_dir))
    q = q[q["quarter"].notna()].copy()
    q["quarter"] = q["quarter"].astype(int)
    q["period"] = q["year"].astype(int).astype(str) + " Q" + q["quarter"].astype(str)
    q["kind"] = q["derived"].map({True: DERIVED, False: PUBLISHED})
    q = q[["period", "year", "quarter", "total", "kind"]].reset_index(drop=True)
    q["total"] = q["total"].astype(int)
    return q


def compute(data_dir=None, *, start_year: int = 1998, end_year: int | None = None) -> Results:
    r = Results()
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    years = series.window(series.yearly(data_dir), start_year, end_year)
    buckets = series.buckets(data_dir)
    r.put("start_year", start_year)
    r.put("end_year", end_year)

    # the early buckets
    r.frames["buckets"] = bucket_frame(buckets)
    early = buckets.set_index("period")
    r.put("bucket_1998_total", early.loc["≤1998", "total"])
    r.put("bucket_1998_female_pct", early.loc["≤1998", "female_share_pct"], 1)
    b2001 = buckets[buckets["period"] == "1999–2001"].iloc[0]
    n_bucket_years = int(b2001["last_year"]) - int(b2001["first_year"]) + 1
    r.put("bucket_2001_total", b2001["total"])
    r.put("bucket_2001_years", n_bucket_years)
    r.put("bucket_2001_per_year", b2001["total"] / n_bucket_years, 0)

    # year by year
    peak = years.loc[years["total"].idxmax()]
    low = years.loc[years["total"].idxmin()]
    last = years.iloc[-1]
    by_year = years.set_index("year")["total"]
    r.put("peak_year", peak["year"])
    r.put("peak_total", peak["total"])
    # like with like: the bucket's yearly average against the highest single year shown
    per_year = float(b2001["total"]) / n_bucket_years
    r.put("bucket_to_peak_word", words.direction(per_year, peak["total"]))
    r.put("bucket_to_peak_times", words.times(float(peak["total"]) / per_year))
    r.put("low_year", low["year"])
    r.put("low_total", low["total"])
    r.put("latest_year", last["year"])
    r.put("latest_total", last["total"])
    r.put("n_years", len(years))
    full = series.yearly(data_dir).set_index("year")["total"]  # the succession drop, whatever the range shown
    r.put("drop_2011_2012_pct", 100 * (1 - full[2012] / full[2011]), 0)
    if 2019 in by_year and 2021 in by_year:
        r.put("total_2019", by_year[2019])
        r.put("total_2021", by_year[2021])
        r.put("fall_2019_2021_pct", 100 * (1 - by_year[2021] / by_year[2019]), 1)
    r.put("rebound_ratio", last["total"] / low["total"], 1)  # 1.0 when the range ends at the low
    r.frames["years"] = years
    r.extra["peak"], r.extra["low"], r.extra["last"] = peak, low, last

    # women's share
    share = years.dropna(subset=["female_share_pct"])
    r.frames["share"] = share.assign(female_share_pct=share["female_share_pct"].round(1))
    f = share.set_index("year")["female_share_pct"]
    r.put("female_share_latest", f.iloc[-1], 1)
    r.put("female_share_max", f.max(), 1)
    r.put("female_share_max_year", f.idxmax())
    r.put("female_share_min", f.min(), 1)
    r.put("female_share_min_year", f.idxmin())

    # the closure by quarter
    q = quarter_frame(data_dir)
    r.frames["quarters"] = q
    qi = q.set_index("period")["total"]
    r.put("q1_2020", qi.get("2020 Q1"))
    r.put("q2_2020", qi.get("2020 Q2"))
    derived = [p for p in derived_quarters(load("arrivals_quarterly", data_dir)) if p in set(q["period"])]
    r.put("n_derived_quarters", len(derived))
    r.put("derived_quarters_text", words.join(derived) if derived else "none")
    r.put("derived_quarters_phrase", words.plural(len(derived), "quarter"))

    # everyone so far
    running = series.cumulative(data_dir)
    running = running[running["year"] <= end_year]
    r.put("cumulative_total", running["total"].iloc[-1])
    r.put("cumulative_female_pct", 100 * running["female"].iloc[-1] / running["total"].iloc[-1], 1)
    r.put("cumulative_year", running["year"].iloc[-1])
    gaps = [y for y in checkpoint_gaps(load("arrivals_cumulative", data_dir)) if y <= end_year]
    r.put("n_checkpoint_gap_years", len(gaps))
    r.put("checkpoint_gap_years_text", words.year_list(gaps) if gaps else "no year")

    _time_abroad(r, data_dir)
    return r


def time_abroad_table(r: Results) -> charts.Table:
    return charts.table(
        r.frames["time_abroad"],
        caption=f"Share of arrivals by time spent abroad after leaving North Korea. Source: {SOURCE_TIME_ABROAD}",
    )


def bucket_table(r: Results) -> charts.Table:
    return charts.table(r.frames["buckets"])


def arrivals_chart(r: Results) -> charts.Figure:
    """Stacked bars of women and men per year (totals only where the split is not published)."""
    years, peak, low, last = r.frames["years"], r.extra["peak"], r.extra["low"], r.extra["last"]
    start_year, end_year = r["start_year"], r["end_year"]
    sexed = years.dropna(subset=["male", "female"])
    long = sexed.melt(id_vars=["year", "total"], value_vars=["female", "male"], var_name="sex", value_name="people")
    long["sex"] = long["sex"].map({"female": "Women", "male": "Men"})
    long["people"] = long["people"].astype(int)
    long["total"] = long["total"].astype(int)
    totals_only = years[years["male"].isna()].assign(sex="Sex not published", people=lambda d: d["total"].astype(int))
    bars_data = pd.concat(
        [long, totals_only[["year", "total", "sex", "people"]].assign(total=lambda d: d["total"].astype(int))]
    )
    bars = (
        alt.Chart(bars_data)
        .mark_bar(size=charts.bar_size(len(years)))
        .encode(
            x=charts.year_axis(),
            y=alt.Y("people:Q", title="People arriving (per year)", stack="zero"),
            color=alt.Color(
                "sex:N",
                title=None,
                scale=alt.Scale(
                    domain=["Women", "Men", "Sex not published"], range=[charts.FEMALE, charts.MALE, charts.MUTED]
                ),
            ),
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
            {"year": 2020, "label": "Border closed (Jan 2020)"},
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
    chart = (charts.closure_band() + bars + rules + text).properties(
        title=alt.TitleParams(
            f"Arrivals in South Korea by year, {start_year}–{end_year}",
            subtitle="Women and men per year of arrival; 1998–2001 published as totals only",
        )
    )
    return charts.show(
        chart,
        name="arrivals-by-sex",
        description=(
            f"Stacked bars of yearly arrivals from {start_year} to {end_year}. Arrivals peak at "
            f"{int(peak['total']):,} in {int(peak['year'])}, fall to {int(low['total']):,} in "
            f"{int(low['year'])} during the border closure, and stand at {int(last['total']):,} in "
            f"{int(last['year'])}. Women outnumber men in most years."
        ),
        source=SOURCE_YEARLY,
        data=years[["year", "male", "female", "total"]],
    )


def share_chart(r: Results) -> charts.Figure:
    """Women's share of each year's arrivals, with the 50 percent line and the closure band."""
    sh = r.frames["share"][["year", "female", "total", "female_share_pct"]]
    line = (
        alt.Chart(sh)
        .mark_line(point=True, color=charts.FEMALE)
        .encode(
            x=charts.year_axis(),
            y=alt.Y("female_share_pct:Q", title="Women among arrivals (%)", scale=alt.Scale(domain=[0, 100])),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("female_share_pct:Q", title="Women (%)"),
                alt.Tooltip("total:Q", title="Arrivals", format=","),
            ],
        )
    )
    half = alt.Chart(pd.DataFrame({"y": [50]})).mark_rule(color=charts.MUTED, strokeDash=[2, 2]).encode(y="y:Q")
    return charts.show(
        (charts.closure_band() + half + line).properties(title="Share of women among arrivals, by year"),
        name="female-share",
        description=(
            f"Line chart of the share of women among each year's arrivals, {int(sh['year'].min())} to "
            f"{int(sh['year'].max())}, with the 50 percent line and the closure years shaded."
        ),
        source=SOURCE_SHARE,
        data=sh,
    )


def quarterly_chart(r: Results) -> charts.Figure:
    """Arrivals per quarter around the closure; derived quarters in a muted colour."""
    q = r.frames["quarters"]
    qchart = (
        alt.Chart(q)
        .mark_bar()
        .encode(
            x=alt.X("period:N", title="Quarter of arrival", sort=list(q["period"])),
            y=alt.Y("total:Q", title="People arriving (per quarter)"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=[PUBLISHED, DERIVED], range=[charts.PALETTE[0], charts.MUTED]),
            ),
            tooltip=[
                alt.Tooltip("period:N", title="Quarter"),
                alt.Tooltip("total:Q", title="People", format=","),
                alt.Tooltip("kind:N", title="Value"),
            ],
        )
        .properties(title="Arrivals per quarter around the border closure")
    )
    return charts.show(
        qchart,
        name="arrivals-quarterly",
        description=(
            f"Bar chart of arrivals per quarter from {q['period'].iloc[0]} to {q['period'].iloc[-1]}. "
            f"The count falls from {r['q1_2020']} in the first quarter of 2020 to "
            f"{r['q2_2020']} in the second, and recovers only from 2023."
        ),
        source=SOURCE_QUARTERS,
        data=q,
    )
