"""The arrivals chapter: the yearly record, its early buckets, women's share and the closure by quarter.

``compute()`` returns every value the chapter's prose glues (``Results``) with the frames its
charts and tables need; the chart builders take those results and return ``charts.Figure``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from nkbook.analysis import series
from nkbook.data import load, used
from nkbook.present import charts, words
from nkbook.present.results import Results

PUBLISHED = "Published"
DERIVED = "Derived from other published totals"
SOURCE_YEARLY = "Ministry of Unification (final series; 2025 as revised on 4 February 2026)."
SOURCE_SHARE = "Ministry of Unification; share computed as women divided by all arrivals."
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
    return r


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
