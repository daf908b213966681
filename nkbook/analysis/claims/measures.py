"""Measures: named computations of a claimed quantity from the data (the register's ``measure``).

Each measure takes the :class:`Context` and keyword arguments from the register's ``args`` and returns a
:class:`Measured` (value, how it was found, whether the published figure is itself approximate).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from nkbook.analysis.series import CLOSURE_YEARS, cumulative, resolve_years, yearly
from nkbook.data import load, used
from nkbook.data.checks import yearly_running_sum

# the variants of a yearly count that are the ministry's first announcement, before a revision
FIRST_VARIANTS = ("first_announced", "provisional")


def _yearly_series(raw: pd.DataFrame) -> pd.DataFrame:
    """Single years of the used rows of ``arrivals_yearly`` (as :func:`nkbook.analysis.series.yearly`)."""
    years = used(raw)
    years = years[years["granularity"] == "year"].copy()
    years["year"] = years["first_year"].astype(int)
    out = years.sort_values("year")[["year", "male", "female", "total"]].reset_index(drop=True)
    out["female_share_pct"] = (out["female"].astype("Float64") / out["total"].astype("Float64") * 100).astype("float64")
    return out


# --------------------------------------------------------------------------------------------
# the data a measure reads


class Context:
    """The data the measures read, loaded once, limited to ``start_year``–``end_year``.

    ``frames`` injects ready-made frames by dataset name (and ``yearly`` / ``cumulative`` for the
    arrival series), which is how the unit tests feed tiny hand-made data.
    """

    def __init__(
        self,
        data_dir=None,
        start_year: int | None = None,
        end_year: int | None = None,
        frames: dict[str, pd.DataFrame] | None = None,
    ):
        self.data_dir = data_dir
        self._frames = dict(frames or {})
        if start_year is None or end_year is None:
            start_year, end_year = resolve_years(start_year if start_year is not None else 1998, end_year, data_dir)
        self.start_year, self.end_year = int(start_year), int(end_year)
        self.first_announced = False  # set by as_written when a first-announced variant stood in

    @classmethod
    def as_written(cls, data_dir, start_year: int, as_of: int) -> Context:
        """The data as they stood when a text dated ``as_of`` was written.

        Years after ``as_of`` are left out, and for the year ``as_of`` itself the ministry's first
        announcement (a row of ``arrivals_yearly`` with variant ``first_announced`` or
        ``provisional``) replaces the revised count, since a text written just after the year's
        release predates its revision. Earlier years keep the revised figures (their revisions were
        published before the text).
        """
        raw = load("arrivals_yearly", data_dir).copy()
        first = raw[
            (raw["variant"].isin(FIRST_VARIANTS)) & (raw["granularity"] == "year") & (raw["first_year"] == as_of)
        ]
        if not first.empty:
            same = (raw["granularity"] == "year") & (raw["first_year"] == as_of)
            raw.loc[same, "used"] = False
            raw.loc[first.index[:1], "used"] = True
        frames = {"yearly": _yearly_series(raw), "cumulative": yearly_running_sum(raw)}
        ctx = cls(data_dir, start_year, min(as_of, resolve_years(start_year, None, data_dir)[1]), frames=frames)
        ctx.first_announced = not first.empty
        return ctx

    def frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = load(name, self.data_dir)
        return self._frames[name]

    def yearly(self) -> pd.DataFrame:
        """Single-year arrivals (nkbook.series.yearly) within the year range."""
        if "yearly" not in self._frames:
            self._frames["yearly"] = yearly(self.data_dir)
        y = self._frames["yearly"]
        return y[(y["year"] >= self.start_year) & (y["year"] <= self.end_year)]

    def totals(self) -> dict[int, int]:
        """Each year's arrivals (:meth:`yearly`'s ``total``), years without a count left out.

        Kept once per context: the register's measures ask for single years hundreds of times."""
        if "_totals" not in self.__dict__:
            y = self.yearly().dropna(subset=["total"])
            self._totals = {int(k): int(v) for k, v in zip(y["year"], y["total"], strict=True)}
        return self._totals

    def cumulative(self) -> pd.DataFrame:
        """Everyone arrived by the end of each year (nkbook.series.cumulative), up to end_year."""
        if "cumulative" not in self._frames:
            self._frames["cumulative"] = cumulative(self.data_dir)
        c = self._frames["cumulative"]
        return c[c["year"] <= self.end_year]


@dataclass
class Measured:
    """A measure's value, whether the data value is itself approximate, and how it was found."""

    value: float | None
    detail: str = ""
    approximate: bool = False
    #: the value is only known to lie between ``low`` and ``high`` (two ways of computing it, or bounds)
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None and self.high is not None and self.low != self.high

    @property
    def ok(self) -> bool:
        return self.value is not None and not (isinstance(self.value, float) and math.isnan(self.value))


def _missing(detail: str) -> Measured:
    return Measured(None, detail)


def _fmt(v, year: bool = False) -> str:
    if v is None:
        return "—"
    if year:
        return f"{int(v):d}"
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 10 else f"{v:,.1f}"


# --------------------------------------------------------------------------------------------
# measures: each takes the context and keyword arguments from the register's ``args``


def _total(ctx: Context, year: int):
    return ctx.totals().get(year)


def arrivals_total(ctx: Context, year: int) -> Measured:
    """Arrivals in South Korea in one year (the ministry's yearly series)."""
    t = _total(ctx, year)
    return Measured(t, f"arrivals in {year}: {_fmt(t)}") if t is not None else _missing(f"no count for {year}")


def ratio(ctx: Context, year_a: int, year_b: int) -> Measured:
    """Arrivals in ``year_a`` divided by arrivals in ``year_b``."""
    a, b = _total(ctx, year_a), _total(ctx, year_b)
    if a is None or b is None or b == 0:
        return _missing(f"no counts for both {year_a} and {year_b}")
    return Measured(a / b, f"{_fmt(a)} ({year_a}) / {_fmt(b)} ({year_b}) = {a / b:.2f}")


def pct_change(ctx: Context, year_from: int, year_to: int) -> Measured:
    """Change in arrivals from ``year_from`` to ``year_to``, in percent."""
    a, b = _total(ctx, year_from), _total(ctx, year_to)
    if a is None or b is None or a == 0:
        return _missing(f"no counts for both {year_from} and {year_to}")
    v = 100 * (b / a - 1)
    return Measured(v, f"{_fmt(a)} ({year_from}) to {_fmt(b)} ({year_to}): {v:+.1f}%")


def pct_of(ctx: Context, year: int, base_year: int) -> Measured:
    """Arrivals in ``year`` as a percentage of arrivals in ``base_year``."""
    a, b = _total(ctx, year), _total(ctx, base_year)
    if a is None or b is None or b == 0:
        return _missing(f"no counts for both {year} and {base_year}")
    return Measured(100 * a / b, f"{_fmt(a)} ({year}) / {_fmt(b)} ({base_year}) = {100 * a / b:.1f}%")


def ratio_to_mean(ctx: Context, year: int, first: int, last: int) -> Measured:
    """Arrivals in ``year`` divided by the mean of the years ``first``–``last`` (all needed)."""
    t = _total(ctx, year)
    base = [_total(ctx, y) for y in range(first, last + 1)]
    if t is None or any(b is None for b in base):
        return _missing(f"no counts for {year} and every year {first}-{last}")
    mean = sum(base) / len(base)
    return Measured(t / mean, f"{_fmt(t)} ({year}) / mean {first}-{last} {mean:,.0f} = {t / mean:.2f}")


def max_after_ratio(ctx: Context, year: int) -> Measured:
    """The largest count of any later year divided by the count of ``year``."""
    t = _total(ctx, year)
    y = ctx.yearly()
    later = y[y["year"] > year].dropna(subset=["total"])
    if t is None or later.empty:
        return _missing(f"no count for {year} or no later year")
    top = later.loc[later["total"].idxmax()]
    v = int(top["total"]) / t
    return Measured(
        v, f"largest later year {int(top['year'])}: {_fmt(int(top['total']))} / {_fmt(t)} ({year}) = {v:.2f}"
    )


def yearly_change(ctx: Context, year: int) -> Measured:
    """Arrivals in ``year`` minus arrivals in the year before."""
    a, b = _total(ctx, year - 1), _total(ctx, year)
    if a is None or b is None:
        return _missing(f"no counts for both {year - 1} and {year}")
    return Measured(b - a, f"{_fmt(a)} ({year - 1}) to {_fmt(b)} ({year}): {b - a:+,}")


def peak_year(ctx: Context) -> Measured:
    """The year with the most arrivals within the year range."""
    y = ctx.yearly().dropna(subset=["total"])
    if y.empty:
        return _missing("no yearly counts")
    top = y.loc[y["total"].idxmax()]
    return Measured(
        int(top["year"]),
        f"highest of {int(y['year'].min())}-{int(y['year'].max())}: {_fmt(int(top['total']))} in {int(top['year'])}",
    )


def _women_share(table: pd.DataFrame, year: int, missing: str, what: str) -> Measured:
    """Women as a percentage of ``table``'s total in ``year`` (a yearly or a running-sum table)."""
    if year not in table.index or pd.isna(table.at[year, "female"]) or pd.isna(table.at[year, "total"]):
        return _missing(missing)
    f, t = int(table.at[year, "female"]), int(table.at[year, "total"])
    return Measured(100 * f / t, f"{_fmt(f)} women of {_fmt(t)} {what} = {100 * f / t:.1f}%")


def female_share(ctx: Context, year: int) -> Measured:
    """Women as a percentage of one year's arrivals."""
    return _women_share(ctx.yearly().set_index("year"), year, f"no split by sex for {year}", f"in {year}")


def female_share_cumulative(ctx: Context, year: int) -> Measured:
    """Women as a percentage of everyone who had arrived by the end of ``year``."""
    return _women_share(
        ctx.cumulative().set_index("year"),
        year,
        f"no running total by sex at the end of {year}",
        f"arrived by end-{year}",
    )


def cumulative_total(ctx: Context, year: int) -> Measured:
    """Everyone who had arrived by the end of ``year`` (running sum of the yearly series)."""
    c = ctx.cumulative().set_index("year")
    if year not in c.index or pd.isna(c.at[year, "total"]):
        return _missing(f"no running total at the end of {year}")
    t = int(c.at[year, "total"])
    return Measured(t, f"arrived by end-{year}: {_fmt(t)}")


def elite_count(ctx: Context, year: int) -> Measured:
    """Elite defectors (the ministry's yearly briefing figure) in one calendar year."""
    e = ctx.frame("elite_defectors")
    rows = e[
        (e["population_definition"] == "mou_briefing_elite_class")
        & (e["period_start"].dt.year == year)
        & (e["period_end"].dt.year == year)
    ]
    if rows.empty:
        return _missing(f"no elite count published for {year}")
    row = rows.iloc[0]
    if pd.isna(row["count"]):
        return _missing(f"{year}: published only as '{row['count_text']}'")
    approx = bool(row["approximate"])
    return Measured(
        int(row["count"]),
        f"{year}: {int(row['count'])}" + (" (published as approximate)" if approx else ""),
        approximate=approx,
    )


_SEA_BASES = ("coast_guard_all_sea_arrivals", "mou_sea_defections")


def sea_arrivals(ctx: Context, year: int) -> Measured:
    """People arriving by sea in one year (Coast Guard or ministry counts; not other direct crossings)."""
    s = ctx.frame("sea_arrivals")
    rows = s[(s["year_start"] == year) & (s["year_end"] == year) & s["count_basis"].isin(_SEA_BASES)]
    if rows.empty or pd.isna(rows.iloc[0]["people"]):
        return _missing(f"no sea-only count for {year}")
    row = rows.iloc[0]
    partial = bool(row["partial"])
    return Measured(
        int(row["people"]),
        f"{year}: {int(row['people'])} by sea" + (" (part of the year)" if partial else ""),
        approximate=partial,
    )


def age_share(ctx: Context, snapshot: str, group: str) -> Measured:
    """An age group's percentage of a published age table (counts over the table's total)."""
    a = used(ctx.frame("age_at_arrival"))
    rows = a[(a["snapshot_id"] == snapshot) & (a["sex"] == "total")]
    g, t = rows[rows["age_group"] == group], rows[rows["age_group"] == "total"]
    if g.empty or t.empty or pd.isna(g.iloc[0]["count"]) or pd.isna(t.iloc[0]["count"]):
        return _missing(f"no count for age {group} and total in {snapshot}")
    n, d = int(g.iloc[0]["count"]), int(t.iloc[0]["count"])
    return Measured(100 * n / d, f"aged {group}: {_fmt(n)} of {_fmt(d)} = {100 * n / d:.1f}%")


def province_share(ctx: Context, provinces, snapshot: str | None = None, population: str | None = None) -> Measured:
    """Share (%) of arrivals from the listed provinces (rows of one published snapshot, added).

    ``snapshot`` names the snapshot; otherwise the latest snapshot of ``population`` that has a
    row for every listed province. Published shares are added; where a share is missing the
    counts over the snapshot's base are used.
    """
    provinces = [provinces] if isinstance(provinces, str) else list(provinces)
    o = ctx.frame("origin_province")
    if snapshot is None:
        cands = o[o["population"] == population]
        full = [sid for sid, g in cands.groupby("snapshot_id", sort=False) if set(provinces) <= set(g["province"])]
        if not full:
            return _missing(f"no {population} snapshot lists {', '.join(provinces)}")
        ends = cands[cands["snapshot_id"].isin(full)].groupby("snapshot_id")["ref_end"].max()
        snapshot = ends.sort_values(na_position="first").index[-1]
    rows = o[(o["snapshot_id"] == snapshot) & (o["province"].isin(provinces))]
    if set(rows["province"]) != set(provinces):
        return _missing(f"snapshot {snapshot} lacks {', '.join(sorted(set(provinces) - set(rows['province'])))}")
    label = rows.iloc[0]["ref_label"]
    approx = bool((rows["share_qualifier"].fillna("exact") != "exact").any())
    if rows["share_pct"].notna().all():
        v = float(rows["share_pct"].sum())
        parts = " + ".join(f"{s:g}" for s in rows["share_pct"])
        detail = f"{label}: published shares {parts} = {v:.1f}%"
        if rows["count"].notna().all() and rows["base_count"].notna().all() and len(rows) > 1:
            # the published shares and the published counts over the published base disagree
            # slightly; the value is then known only to lie between the two
            c = 100 * float(rows["count"].sum()) / float(rows["base_count"].iloc[0])
            if abs(c - v) >= 0.05:
                n, d = int(rows["count"].sum()), int(rows["base_count"].iloc[0])
                detail += f"; counts {_fmt(n)} of {_fmt(d)} = {c:.1f}%"
                return Measured(v, detail, approximate=approx, low=min(v, c), high=max(v, c))
        return Measured(v, detail, approximate=approx)
    if rows["count"].notna().all() and rows["base_count"].notna().all():
        v = 100 * float(rows["count"].sum()) / float(rows["base_count"].iloc[0])
        return Measured(
            v,
            f"{label}: {_fmt(int(rows['count'].sum()))} of {_fmt(int(rows['base_count'].iloc[0]))} = {v:.1f}%",
            approximate=approx,
        )
    return _missing(f"snapshot {snapshot} has neither shares nor counts for every province listed")


def province_share_bounds(ctx: Context, snapshot: str, provinces) -> Measured:
    """Bounds (%) on the share of a snapshot's arrivals from the listed provinces, over the source's own base.

    For a snapshot that itemises some provinces and lumps the rest (``Other``, or a group such as
    of unknown make-up, ``border_province`` = unknown), and whose counts do not add up to
    its total: the lower bound counts only the listed provinces itemised by name; the upper bound
    adds every such lumped row (it may hold them) and the arrivals the source leaves
    unallocated. The base is the snapshot's own total, read from ``age_at_arrival`` (the same
    article's age table) when the province rows give none.
    """
    provinces = [provinces] if isinstance(provinces, str) else list(provinces)
    o = ctx.frame("origin_province")
    rows = o[o["snapshot_id"] == snapshot]
    if rows.empty or rows["count"].isna().any():
        return _missing(f"snapshot {snapshot} has no counts for every row")
    base = rows["base_count"].dropna()
    if base.empty:
        a = used(ctx.frame("age_at_arrival"))
        t = a[(a["snapshot_id"] == snapshot) & (a["sex"] == "total") & (a["age_group"] == "total")]
        if t.empty or pd.isna(t.iloc[0]["count"]):
            return _missing(f"no total published for {snapshot}")
        b = int(t.iloc[0]["count"])
    else:
        b = int(base.iloc[0])
    named = rows[rows["province"].isin(provinces)]
    # a lumped row may hold a listed province when it is a group or 'Other' that is not known to exclude them
    lumped = rows[~rows["province"].isin(provinces) & (rows["border_province"] == "unknown")]
    unallocated = b - int(rows["count"].sum())
    lo = 100 * float(named["count"].sum()) / b
    hi = 100 * (float(named["count"].sum()) + float(lumped["count"].sum()) + max(unallocated, 0)) / b
    label = rows.iloc[0]["ref_label"]
    names = ", ".join(lumped["province"]) or "none"
    return Measured(
        lo,
        f"{label}: named {_fmt(int(named['count'].sum()))} of the source's total {_fmt(b)} = {lo:.1f}%; "
        f"with the lumped rows that may hold them ({names}) and {_fmt(max(unallocated, 0))} not itemised, "
        f"at most {hi:.1f}%",
        low=lo,
        high=hi,
    )


def _share_row(frame: pd.DataFrame, mask) -> pd.Series | None:
    """The first row matching ``mask`` that publishes a share, or None."""
    rows = frame[mask]
    if rows.empty or pd.isna(rows.iloc[0]["share_pct"]):
        return None
    return rows.iloc[0]


def motive_share(ctx: Context, survey: str, category: str) -> Measured:
    """The published share (%) of one motive category in one survey."""
    m = ctx.frame("motive_surveys")
    row = _share_row(m, (m["survey_id"] == survey) & (m["category"] == category))
    if row is None:
        return _missing(f"no share for {category!r} in {survey}")
    return Measured(
        float(row["share_pct"]), f"{row['survey_label']}: {row['share_pct']:g}%", approximate=bool(row["approximate"])
    )


def gdp_growth(ctx: Context, year: int) -> Measured:
    """Real GDP growth (%) of North Korea in one year, the row the book uses (Bank of Korea)."""
    g = used(ctx.frame("gdp_growth"))
    rows = g[g["year"] == year]
    if rows.empty:
        return _missing(f"no growth estimate for {year}")
    row = rows.iloc[0]
    return Measured(
        float(row["growth_pct"]),
        f"{row['agency']} ({row['variant'].replace('_', ' ')}, {int(row['release_year'])}): "
        f"{row['growth_pct']:+.1f}% in {year}",
    )


def food_insecure_share(ctx: Context, year: int, kind: str) -> Measured:
    """Share (%) of the population in one food-insecurity estimate (reference year and kind)."""
    f = ctx.frame("food_insecure")
    row = _share_row(f, (f["reference_year"] == year) & (f["measure"] == kind))
    if row is None:
        return _missing(f"no {kind} share for {year}")
    q = row["share_qualifier"] or "exact"
    period = f", period {row['reference_period']}" if str(row["reference_period"]) != str(year) else ""
    return Measured(
        float(row["share_pct"]),
        f"{row['agency']}{period}: {'' if q == 'exact' else q.replace('_', ' ') + ' '}{row['share_pct']:g}%",
        approximate=q != "exact",
    )


_NUMBER = re.compile(r"\d[\d,]*")


def event_number(ctx: Context, event: str) -> Measured:
    """The first number in an event's published count (``events.number_text``)."""
    e = ctx.frame("events")
    rows = e[e["event_id"] == event]
    if rows.empty or pd.isna(rows.iloc[0]["number_text"]):
        return _missing(f"no number for event {event}")
    text = str(rows.iloc[0]["number_text"])
    found = _NUMBER.findall(text)
    if not found:
        return _missing(f"no number in {text!r}")
    return Measured(int(found[0].replace(",", "")), f"{rows.iloc[0]['title']}: {text}")


def famine_deaths_lowest(ctx: Context, kind: str = "estimate", exclude=None) -> Measured:
    """The lowest published famine death toll (low end of a range, or a single figure).

    ``exclude`` leaves out estimates by id (e.g. the DPRK's own statement, which is not a scholarly estimate).
    """
    f = ctx.frame("famine_deaths")
    f = f[f["kind"] == kind]
    if exclude:
        f = f[~f["estimate_id"].isin([exclude] if isinstance(exclude, str) else list(exclude))]
    low = f["deaths_low"].astype("Float64").fillna(f["deaths_central"].astype("Float64")).dropna()
    if low.empty:
        return _missing("no famine death estimates")
    i = low.idxmin()
    others = f.loc[low.index].assign(low=low).sort_values("low")
    second = others.iloc[1] if len(others) > 1 else None
    more = f"; next lowest {_fmt(int(second['low']))} ({second['author_agency']})" if second is not None else ""
    return Measured(int(low[i]), f"lowest: {_fmt(int(low[i]))} ({f.at[i, 'author_agency']}){more}")


def hidden_in_china_highest(ctx: Context, first_year: int, last_year: int, kind: str = "hiding") -> Measured:
    """The highest published estimate of North Koreans in China (``kind``) dated ``first_year``–``last_year``."""
    h = ctx.frame("china_hidden_estimates")
    rows = h[(h["measure"] == kind) & (h["year"] >= first_year) & (h["year"] <= last_year)].dropna(subset=["high"])
    if rows.empty:
        return _missing(f"no {kind} estimate dated {first_year}-{last_year}")
    top = rows.loc[rows["high"].astype(int).idxmax()]
    return Measured(int(top["high"]), f"{top['publisher']} ({int(top['year'])}): up to {_fmt(int(top['high']))}")


def female_share_change(ctx: Context, year_from: int, year_to: int) -> Measured:
    """Change in women's share of one year's arrivals from ``year_from`` to ``year_to``, in percentage points."""
    y = ctx.yearly().set_index("year")
    a = _women_share(y, year_from, f"no split by sex for {year_from}", f"in {year_from}")
    b = _women_share(y, year_to, f"no split by sex for {year_to}", f"in {year_to}")
    if not (a.ok and b.ok):
        return _missing(a.detail if not a.ok else b.detail)
    v = float(b.value) - float(a.value)  # type: ignore[arg-type]
    return Measured(v, f"{a.detail} to {b.detail}: {v:+.1f} points")


def event_year(ctx: Context, event: str) -> Measured:
    """The year of an event in ``events`` (by id)."""
    e = ctx.frame("events")
    rows = e[e["event_id"] == event]
    if rows.empty or pd.isna(rows.iloc[0]["year"]):
        return _missing(f"no event {event} in the data")
    row = rows.iloc[0]
    return Measured(int(row["year"]), f"{row['title']}: {row['date']}")


def first_event_year(ctx: Context, prefix: str, contains: str) -> Measured:
    """The earliest year of an event whose id starts with ``prefix`` and contains ``contains``.

    The data record the events found, not every event: a "first" is first among those recorded
    (the value is flagged approximate).
    """
    e = ctx.frame("events")
    ids = e["event_id"].astype(str)
    rows = e[ids.str.startswith(prefix) & ids.str.contains(contains, regex=False)].sort_values("year")
    if rows.empty:
        return _missing(f"no {prefix}*{contains}* event in the data")
    row = rows.iloc[0]
    n = len(rows)
    return Measured(
        int(row["year"]),
        f"earliest of {n} recorded: {row['title']} ({row['date']})",
        approximate=True,
    )


def crop_change(ctx: Context, series: str, year: int, first: int, last: int) -> Measured:
    """Food-crop production in ``year`` against the mean of ``first``–``last`` (same series), in percent."""
    g = ctx.frame("grain_production")
    g = g[g["series"] == series].drop_duplicates("year").set_index("year")["value_mt"]
    base_years = list(range(first, last + 1))
    if year not in g.index or any(y not in g.index for y in base_years):
        return _missing(f"no {series} estimate for {year} and every year {first}-{last}")
    mean = float(g[base_years].mean())
    v = 100 * (float(g[year]) / mean - 1)
    what = f"{first}" if first == last else f"the {first}-{last} mean"
    return Measured(v, f"{float(g[year]):.2f} million tonnes in {year} against {mean:.2f} ({what}): {v:+.1f}%")


def transit_share(ctx: Context, year: int) -> Measured:
    """Published share (%) of one year's arrivals in South Korea that came through Thailand."""
    t = ctx.frame("thailand_transit")
    rows = t[(t["year"] == year) & t["share_pct"].notna()]
    if rows.empty:
        return _missing(f"no published share of {year} arrivals by route")
    row = rows.iloc[0]
    return Measured(
        float(row["share_pct"]),
        f"{row['measure']} in {year}: {row['share_pct']:g}% (reported, tertiary source)",
        approximate=True,
    )


def change_after_events(ctx: Context, dataset: str) -> Measured:
    """Direction only: mean yearly change in arrivals (%) from each event year to the next, minus that of the other years.

    ``dataset`` names a table of dated events (``nuclear_tests``: its used rows). Years whose
    following year is a border-closure year are left out. A negative value means arrivals fell
    more (or rose less) after the events than otherwise; with a handful of events this is a
    direction, not a test.
    """
    ev = used(ctx.frame(dataset))
    years = sorted({int(pd.Timestamp(d).year) for d in ev["date"]})
    tot = ctx.yearly().dropna(subset=["total"]).set_index("year")["total"]
    closed = set(range(CLOSURE_YEARS[0], CLOSURE_YEARS[1] + 1))
    change = {
        int(y): 100 * (float(tot[y + 1]) / float(tot[y]) - 1)
        for y in tot.index
        if y + 1 in tot.index and y + 1 not in closed and y not in closed
    }
    after = [change[y] for y in years if y in change]
    other = [v for y, v in change.items() if y not in years]
    if not after or not other:
        return _missing(f"no event year of {dataset} with a following open year in {ctx.start_year}-{ctx.end_year}")
    a, o = sum(after) / len(after), sum(other) / len(other)
    return Measured(
        a - o,
        f"after {len(after)} event years ({', '.join(str(y) for y in years if y in change)}): mean change "
        f"{a:+.1f}%; other {len(other)} open years {o:+.1f}%; difference {a - o:+.1f} points",
    )


def women_with_markets(ctx: Context, counter: str) -> Measured:
    """Direction only: +1 if women's arrivals moved the same way as one counter's market count between its first and last count, else -1."""
    m = used(ctx.frame("markets"))
    m = m[(m["area"] == "national") & (m["counter"] == counter)]
    m = m.dropna(subset=["count"]).sort_values("as_of")
    if len(m) < 2:
        return _missing(f"fewer than two national market counts by {counter}")
    y0, y1 = int(m.iloc[0]["as_of_year"]), int(m.iloc[-1]["as_of_year"])
    c0, c1 = int(m.iloc[0]["count"]), int(m.iloc[-1]["count"])
    yy = ctx.yearly().set_index("year")
    if y0 == y1 or any(y not in yy.index or pd.isna(yy.at[y, "female"]) for y in (y0, y1)):
        return _missing(f"no women's arrivals for both {y0} and {y1}")
    w0, w1 = int(yy.at[y0, "female"]), int(yy.at[y1, "female"])
    same = (c1 - c0) * (w1 - w0) > 0
    who = str(m.iloc[0]["counter_description"] or counter)
    return Measured(
        1 if same else -1,
        f"markets counted by {who}: {_fmt(c0)} ({y0}) to {_fmt(c1)} ({y1}); women arriving: "
        f"{_fmt(w0)} to {_fmt(w1)} ({'the same direction' if same else 'opposite directions'})",
    )


def no_data(ctx: Context) -> Measured:
    """No measure: the data do not have the figure (the register's ``needs`` says what would)."""
    return _missing("the data do not have this figure")


MEASURES: dict[str, Any] = {  # name -> measure function (signatures differ by measure)
    f.__name__: f
    for f in [
        arrivals_total,
        ratio,
        pct_change,
        pct_of,
        ratio_to_mean,
        max_after_ratio,
        yearly_change,
        peak_year,
        female_share,
        female_share_cumulative,
        cumulative_total,
        elite_count,
        sea_arrivals,
        age_share,
        province_share,
        motive_share,
        gdp_growth,
        food_insecure_share,
        event_number,
        famine_deaths_lowest,
        hidden_in_china_highest,
        province_share_bounds,
        female_share_change,
        event_year,
        first_event_year,
        crop_change,
        transit_share,
        change_after_events,
        women_with_markets,
        no_data,
    ]
}

# year-valued arguments: a year after end_year (or before start_year) is outside the book's range
_YEAR_ARGS = {"year", "year_a", "year_b", "year_from", "year_to", "base_year", "first", "last"}
