"""Checking the source texts' claims against the data: measures, rules and verdicts.

The claims register (``data/claims.csv``) has one row per quantitative claim of the two source
texts. A row names a **measure** from :data:`MEASURES` with its arguments (``args``, written
``key=value;key=value``, lists as ``a|b``), a **rule** from :data:`RULES` with its tolerances, and
optionally the columns that let a failing claim be recognised as *outdated* (``time_arg``: the
argument that is a year, moved back in time) or *mis-scoped* (``alt_args``: the same measure for
another population or period). A new claim that uses the existing measures and rules is a new CSV
row only.

How a verdict follows (:func:`judge`):

1. The measure is computed from the data. If it cannot be (the data do not have the figure), the
   claim is *not checkable*, unless the alternative scope holds (then *mis-scoped*).
2. The rule compares the value with the claim: ``pass`` (within the claim's own precision),
   ``approx`` (within the wider band of ``approx_tolerance``), ``fail``, or ``unknown``.
3. ``pass`` gives *supported*, or *approximately supported* when the data value is itself
   approximate ("around 10"); ``approx`` gives *approximately supported*.
4. A failing claim is *outdated* if the rule held at an earlier date (the measure re-evaluated
   with ``time_arg`` = each year from the text's date ``as_of`` back), *mis-scoped* if it holds
   for the alternative scope, and otherwise *not supported*.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from nkbook.data import DataError, Problem, load, used

SUPPORTED = "supported"
APPROX = "approximately supported"
OUTDATED = "outdated"
MISSCOPED = "mis-scoped"
NOT_SUPPORTED = "not supported"
NOT_CHECKABLE = "not checkable"
VERDICTS = [SUPPORTED, APPROX, OUTDATED, MISSCOPED, NOT_SUPPORTED, NOT_CHECKABLE]

TEXT_LABELS = {"seed_news2023": "News report", "seed_essay2024": "Essay"}


# --------------------------------------------------------------------------------------------
# the data a measure reads


class Context:
    """The data the measures read, loaded once, limited to ``start_year``–``end_year``.

    ``frames`` injects ready-made frames by dataset name (and ``yearly`` / ``cumulative`` for the
    arrival series), which is how the unit tests feed tiny hand-made data.
    """

    def __init__(self, data_dir=None, start_year: int | None = None, end_year: int | None = None,
                 frames: dict[str, pd.DataFrame] | None = None):
        self.data_dir = data_dir
        self._frames = dict(frames or {})
        if start_year is None or end_year is None:
            from nkbook.analysis.series import resolve_years

            start_year, end_year = resolve_years(start_year if start_year is not None else 1998, end_year, data_dir)
        self.start_year, self.end_year = int(start_year), int(end_year)

    def frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = load(name, self.data_dir)
        return self._frames[name]

    def yearly(self) -> pd.DataFrame:
        """Single-year arrivals (nkbook.series.yearly) within the year range."""
        if "yearly" not in self._frames:
            from nkbook.analysis.series import yearly

            self._frames["yearly"] = yearly(self.data_dir)
        y = self._frames["yearly"]
        return y[(y["year"] >= self.start_year) & (y["year"] <= self.end_year)]

    def cumulative(self) -> pd.DataFrame:
        """Everyone arrived by the end of each year (nkbook.series.cumulative), up to end_year."""
        if "cumulative" not in self._frames:
            from nkbook.analysis.series import cumulative

            self._frames["cumulative"] = cumulative(self.data_dir)
        c = self._frames["cumulative"]
        return c[c["year"] <= self.end_year]


@dataclass
class Measured:
    """A measure's value, whether the data value is itself approximate, and how it was found."""

    value: float | None
    detail: str = ""
    approximate: bool = False

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
    y = ctx.yearly().set_index("year")["total"]
    if year not in y.index or pd.isna(y[year]):
        return None
    return int(y[year])


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
    return Measured(v, f"largest later year {int(top['year'])}: {_fmt(int(top['total']))} / {_fmt(t)} ({year}) = {v:.2f}")


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
    return Measured(int(top["year"]), f"highest of {int(y['year'].min())}-{int(y['year'].max())}: "
                                      f"{_fmt(int(top['total']))} in {int(top['year'])}")


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
    return _women_share(ctx.cumulative().set_index("year"), year, f"no running total by sex at the end of {year}",
                        f"arrived by end-{year}")


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
    rows = e[(e["population_definition"] == "mou_briefing_elite_class")
             & (e["period_start"].dt.year == year) & (e["period_end"].dt.year == year)]
    if rows.empty:
        return _missing(f"no elite count published for {year}")
    row = rows.iloc[0]
    if pd.isna(row["count"]):
        return _missing(f"{year}: published only as '{row['count_text']}'")
    approx = bool(row["approximate"])
    return Measured(int(row["count"]), f"{year}: {int(row['count'])}" + (" (published as approximate)" if approx else ""),
                    approximate=approx)


_SEA_BASES = ("coast_guard_all_sea_arrivals", "mou_sea_defections")


def sea_arrivals(ctx: Context, year: int) -> Measured:
    """People arriving by sea in one year (Coast Guard or ministry counts; not other direct crossings)."""
    s = ctx.frame("sea_arrivals")
    rows = s[(s["year_start"] == year) & (s["year_end"] == year) & s["count_basis"].isin(_SEA_BASES)]
    if rows.empty or pd.isna(rows.iloc[0]["people"]):
        return _missing(f"no sea-only count for {year}")
    row = rows.iloc[0]
    partial = bool(row["partial"])
    return Measured(int(row["people"]), f"{year}: {int(row['people'])} by sea" + (" (part of the year)" if partial else ""),
                    approximate=partial)


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
        return Measured(v, f"{label}: {parts} = {v:.1f}%", approximate=approx)
    if rows["count"].notna().all() and rows["base_count"].notna().all():
        v = 100 * float(rows["count"].sum()) / float(rows["base_count"].iloc[0])
        return Measured(v, f"{label}: {_fmt(int(rows['count'].sum()))} of {_fmt(int(rows['base_count'].iloc[0]))} = {v:.1f}%",
                        approximate=approx)
    return _missing(f"snapshot {snapshot} has neither shares nor counts for every province listed")


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
    return Measured(float(row["share_pct"]), f"{row['survey_label']}: {row['share_pct']:g}%",
                    approximate=bool(row["approximate"]))


def gdp_growth(ctx: Context, year: int) -> Measured:
    """Real GDP growth (%) of North Korea in one year, the row the book uses (Bank of Korea)."""
    g = used(ctx.frame("gdp_growth"))
    rows = g[g["year"] == year]
    if rows.empty:
        return _missing(f"no growth estimate for {year}")
    row = rows.iloc[0]
    return Measured(float(row["growth_pct"]), f"{row['agency']} ({row['variant'].replace('_', ' ')}, {int(row['release_year'])}): "
                                              f"{row['growth_pct']:+.1f}% in {year}")


def food_insecure_share(ctx: Context, year: int, kind: str) -> Measured:
    """Share (%) of the population in one food-insecurity estimate (reference year and kind)."""
    f = ctx.frame("food_insecure")
    row = _share_row(f, (f["reference_year"] == year) & (f["measure"] == kind))
    if row is None:
        return _missing(f"no {kind} share for {year}")
    q = row["share_qualifier"] or "exact"
    period = f", period {row['reference_period']}" if str(row["reference_period"]) != str(year) else ""
    return Measured(float(row["share_pct"]), f"{row['agency']}{period}: {'' if q == 'exact' else q.replace('_', ' ') + ' '}"
                                             f"{row['share_pct']:g}%", approximate=q != "exact")


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


def famine_deaths_lowest(ctx: Context, kind: str = "estimate") -> Measured:
    """The lowest published famine death toll (low end of a range, or a single figure)."""
    f = ctx.frame("famine_deaths")
    f = f[f["kind"] == kind]
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


def no_data(ctx: Context) -> Measured:
    """No measure: the data do not have the figure (the register's ``needs`` says what would)."""
    return _missing("the data do not have this figure")


MEASURES: dict[str, Callable[..., Measured]] = {f.__name__: f for f in [
    arrivals_total, ratio, pct_change, pct_of, ratio_to_mean, max_after_ratio, yearly_change, peak_year,
    female_share, female_share_cumulative, cumulative_total, elite_count, sea_arrivals, age_share,
    province_share, motive_share, gdp_growth, food_insecure_share, event_number, famine_deaths_lowest,
    hidden_in_china_highest, no_data,
]}

# year-valued arguments: a year after end_year (or before start_year) is outside the book's range
_YEAR_ARGS = {"year", "year_a", "year_b", "year_from", "year_to", "base_year", "first", "last"}


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
        return Outcome("pass", f"{_fmt(value)} is within ±{_fmt(tol)}{unit_text} of {_fmt(claimed)}" if tol else
                       f"{_fmt(value)} equals {_fmt(claimed)}")
    if approx is not None and d <= approx + 1e-9:
        return Outcome("approx", f"{_fmt(value)} is {_fmt(d)}{unit_text} from {_fmt(claimed)}: outside ±{_fmt(tol)}"
                                 f"{unit_text}, within ±{_fmt(approx)}{unit_text}")
    return Outcome("fail", f"{_fmt(value)} is {_fmt(d)}{unit_text} from {_fmt(claimed)}, beyond ±{_fmt(approx if approx is not None else tol)}{unit_text}")


def rule_equals(value, claim, at, scale=1.0) -> Outcome:
    """Exactly the claimed value (approximately: within ``approx_tolerance``)."""
    approx = _num(claim, "approx_tolerance")
    if claim.get("unit") == "year":
        c = claim["claimed_value"]
        return Outcome("pass", f"{int(value)} is {int(c)}") if value == c else \
            Outcome("fail", f"{int(value)}, not {int(c)}")
    return _band(value, claim["claimed_value"], 0, None if approx is None else approx * scale)


def rule_within_abs(value, claim, at, scale=1.0) -> Outcome:
    """Within ``tolerance`` of the claim, in the claim's units (approximately: ``approx_tolerance``)."""
    approx = _num(claim, "approx_tolerance")
    unit = " points" if claim.get("unit") == "percent" else ""
    return _band(value, claim["claimed_value"], _num(claim, "tolerance", 0) * scale,
                 None if approx is None else approx * scale, unit)


def rule_within_rel(value, claim, at, scale=1.0) -> Outcome:
    """Within ``tolerance`` × |claim| of the claim (approximately: ``approx_tolerance`` × |claim|)."""
    c = claim["claimed_value"]
    tol = _num(claim, "tolerance", 0) * scale
    approx = _num(claim, "approx_tolerance")
    d = abs(value - c) / abs(c) if c else math.inf
    if d <= tol + 1e-12:
        return Outcome("pass", f"{_fmt(value)} equals {_fmt(c)}" if value == c else
                       f"{_fmt(value)} is within {100 * tol:g}% of {_fmt(c)}")
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
        return Outcome("approx", f"{_fmt(value)} is outside {_fmt(lo)}-{_fmt(hi)} but within "
                                 f"{_fmt(lo - approx * scale)}-{_fmt(hi + approx * scale)}")
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
    """At least as large as the measure in every year from ``claimed_value`` to the year before.

    Needs ``time_arg`` (the year argument the comparison moves); any year without a value makes
    the rule undecidable (the claim is then not checkable).
    """
    if at is None:
        return Outcome("unknown", "the rule needs time_arg")
    since, year = int(claim["claimed_value"]), int(claim["_time_value"])
    earlier = {y: at(y) for y in range(since, year)}
    missing = [y for y, m in earlier.items() if not m.ok]
    if missing:
        span = f"{missing[0]}" if len(missing) == 1 else f"{missing[0]}-{missing[-1]}"
        return Outcome("unknown", f"no value for {span}")
    top_year = max(earlier, key=lambda y: earlier[y].value)
    top = earlier[top_year].value
    if value >= top:
        return Outcome("pass", f"{_fmt(value)} is at least the largest of {since}-{year - 1} ({_fmt(top)} in {top_year})")
    return Outcome("fail", f"{_fmt(value)} is below {_fmt(top)} in {top_year}")


RULES: dict[str, Callable[..., Outcome]] = {
    "equals": rule_equals, "within_abs": rule_within_abs, "within_rel": rule_within_rel,
    "between": rule_between, "greater_than": rule_greater_than, "less_than": rule_less_than,
    "is_max_since": rule_is_max_since,
}


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


def check_register(frame: pd.DataFrame) -> list[Problem]:
    """Each row's measure accepts its arguments and its rule has the columns it needs."""
    import inspect

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
                problems.append(Problem(file, f"measure {row['measure']} takes {', '.join(params) or 'no arguments'}; "
                                              f"not {', '.join(unknown)}", line, key, col))
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
        if row["measure"] == "no_data" and not _clean(row.get("needs")):
            problems.append(Problem(file, "a claim without a measure must say what data it needs", line, key, "needs"))
    return problems


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


# --------------------------------------------------------------------------------------------
# display


def format_value(value, unit: str) -> str:
    """A computed value as the table shows it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "year":
        return f"{int(value):d}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "ratio":
        return f"{value:.2f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


VERDICT_ORDER = {v: i for i, v in enumerate(VERDICTS)}
_E = html.escape


def chapter_link(chapter: str) -> str:
    """A relative link from a chapter page to another chapter page (notebooks/<name>.html)."""
    label = chapter.replace("_", " ").capitalize()
    return f'<a href="../notebooks/{_E(chapter, quote=True)}.html">{_E(label)}</a>'


def render_table(verdicts: pd.DataFrame, caption: str) -> str:
    """One sortable HTML table of every claim (book/_static/nkbook-sort.js sorts it). All cell text is escaped."""
    heads = ["Claim", "Source text", "Claimed", "From the data", "Verdict", "How it was checked", "Chapter"]
    th = "".join(f'<th scope="col"><button type="button">{_E(h)}</button></th>' for h in heads)
    body = []
    for r in verdicts.to_dict("records"):
        r = {k: _clean(v) for k, v in r.items()}
        value = r["value"] if r["value"] is not None else r.get("alt_value")
        shown = format_value(r["value"], r["unit"])
        if r["value"] is None and r.get("alt_value") is not None:
            shown = f"— (other scope: {format_value(r['alt_value'], r['unit'])})"
        sort_value = "" if value is None else f"{float(value):.6g}"
        verdict_class = "nk-verdict-" + re.sub(r"[^a-z]+", "-", r["verdict"]).strip("-")
        how = r["explanation"]
        if r.get("detail") and r["detail"] not in how:
            how = f"{r['detail']}. {how}"
        body.append(
            f'<tr id="claim-{_E(r["claim_id"], quote=True)}">'
            f'<td>{_E(r["paraphrase"])} <span class="nk-claim-where">({_E(r["quote_location"])})</span></td>'
            f'<td>{_E(TEXT_LABELS.get(r["text"], r["text"]))}</td>'
            f'<td data-sort-value="{_E(str(r["claimed_value"]), quote=True)}">{_E(str(r["claimed_text"]))}</td>'
            f'<td data-sort-value="{sort_value}">{_E(shown)}</td>'
            f'<td data-sort-value="{VERDICT_ORDER[r["verdict"]]}"><span class="nk-verdict {verdict_class}">{_E(r["verdict"])}</span></td>'
            f'<td>{_E(how)}</td>'
            f'<td>{chapter_link(r["chapter"])}</td></tr>'
        )
    widths = [26, 8, 10, 9, 10, 28, 9]
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    return (
        f'<table class="nk-sortable nk-claims">'
        f'<caption>{_E(caption)}</caption><colgroup>{cols}</colgroup>'
        f"<thead><tr>{th}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"
    )


