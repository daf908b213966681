"""The mobility chapter's computations: who reaches the border (sex, province, age, occupation).

Two rules run through this module:

* A share is always computed **within one population** (one snapshot: a cohort of arrivals, or
  everyone who had arrived by a date). Functions that take snapshot rows refuse rows from more
  than one snapshot, so a cohort and a cumulative figure are never added or divided together.
* A province snapshot is often partial and mixes single provinces with published groups. The
  share from a set of provinces is therefore given as what is *known* (rows entirely inside the
  set), what a *mixed* group hides (rows with provinces inside and outside the set), what was
  *not itemised*, and what is known to be *outside* the set: a lower and an upper bound.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from nkbook.analysis import grades, series, stats
from nkbook.data import load, used
from nkbook.data.provinces import constituents, known_provinces
from nkbook.present import words

# The essay's "Yanggang or Hamgyong": Ryanggang (= Yanggang) and both Hamgyong provinces.
ESSAY_GROUP = ("Ryanggang", "North Hamgyong", "South Hamgyong")

# Segments of a province snapshot, in display order.
SEGMENTS = ("known_in", "mixed", "not_itemised", "known_out")
SEGMENT_LABELS = {
    "known_in": "From the chosen provinces",
    "mixed": "Published group mixing chosen and other provinces",
    "not_itemised": "Not itemised by the source",
    "known_out": "From other provinces",
}


# --------------------------------------------------------------------------------------------
# women and men


def share_table(data_dir=None, start_year: int | None = None, end_year: int | None = None) -> pd.DataFrame:
    """Yearly female share of arrivals and the share among everyone arrived by each year-end.

    Columns: year, male, female, total, share_year (that year's arrivals; NaN where no split by
    sex was published), cum_male, cum_female, cum_total, share_cum (everyone arrived by the end
    of that year; the ministry's buckets make the first points 1998 and 2001). Years outside
    [start_year, end_year] are dropped; the cumulative columns always count from the start of
    the records.
    """
    yearly = series.yearly(data_dir)
    cum = series.cumulative(data_dir).rename(columns={"male": "cum_male", "female": "cum_female", "total": "cum_total"})
    out = yearly[["year", "male", "female", "total"]].merge(cum, on="year", how="outer").sort_values("year")
    for c in ["male", "female", "total", "cum_male", "cum_female", "cum_total"]:
        out[c] = out[c].astype("Float64")
    out["share_year"] = (100 * out["female"] / out["total"]).astype("float64")
    out["share_cum"] = (100 * out["cum_female"] / out["cum_total"]).astype("float64")
    out = series.window(out.reset_index(drop=True), start_year, end_year)
    return out


def pooled_share(frame: pd.DataFrame, first: int, last: int) -> float:
    """Women as a percentage of all arrivals with a split by sex, years first..last pooled."""
    part = frame[(frame["year"] >= first) & (frame["year"] <= last)].dropna(subset=["female", "total"])
    if part.empty or float(part["total"].sum()) == 0:
        return float("nan")
    return float(100 * part["female"].sum() / part["total"].sum())


def seven_in_ten(shares: pd.Series, low: float = 65.0, high: float = 75.0) -> list[int]:
    """Years (the series' index) whose share reads as '7 of every 10': low <= share < high.

    With the default bounds a share is '7 in 10' when it rounds to 70% at the nearest ten.
    """
    s = shares.dropna()
    return [int(y) for y, v in s.items() if low <= v < high]


def first_year_from(shares: pd.Series, threshold: float) -> int | None:
    """First year from which the share stays at or above ``threshold`` to the last year shown."""
    s = shares.dropna().sort_index()
    if s.empty or s.iloc[-1] < threshold:
        return None
    below = s[s < threshold]
    after = s.index[s.index > below.index.max()] if len(below) else s.index
    return int(after.min()) if len(after) else None


def revision_share_changes(data_dir=None) -> pd.DataFrame:
    """How much the female share moves between a published variant and the series' used row.

    One row per variant row that has a split by sex: period, variant, female share of the variant,
    of the used row, and the absolute difference in percentage points. This is the uncertainty a
    census count carries: revisions, not sampling.
    """
    frame = load("arrivals_yearly", data_dir)
    sexed = frame.dropna(subset=["male", "female"])
    chosen = used(sexed).set_index("period")
    rows = []
    for _, r in sexed[~sexed["used"].fillna(False).astype(bool)].iterrows():
        if r["period"] not in chosen.index:
            continue
        u = chosen.loc[r["period"]]
        var_share = 100 * float(r["female"]) / float(r["male"] + r["female"])
        used_share = 100 * float(u["female"]) / float(u["total"])
        rows.append(
            {
                "period": r["period"],
                "variant": r["variant"],
                "variant_share": var_share,
                "used_share": used_share,
                "difference_points": abs(var_share - used_share),
            }
        )
    return pd.DataFrame(rows, columns=["period", "variant", "variant_share", "used_share", "difference_points"])


def join_words(items) -> str:
    """'a', 'a and b', 'a, b and c', or 'none'."""
    words = [str(x) for x in items]
    if not words:
        return "none"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def list_years(years: list[int]) -> str:
    """'2021 and 2022', '2004, 2005 and 2011', or 'none'."""
    return join_words(int(y) for y in years)


def year_ranges(years: list[int]) -> str:
    """Consecutive years folded into ranges: [2004, 2005, 2006, 2011] -> '2004–2006 and 2011'."""
    ys = sorted(int(y) for y in years)
    if not ys:
        return "none"
    runs, start, prev = [], ys[0], ys[0]
    for y in ys[1:]:
        if y == prev + 1:
            prev = y
            continue
        runs.append((start, prev))
        start = prev = y
    runs.append((start, prev))
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# --------------------------------------------------------------------------------------------
# province of origin


def check_provinces(provinces, frame: pd.DataFrame) -> list[str]:
    """The chosen provinces, checked against the labels the data use (clear error otherwise)."""
    chosen = [str(p) for p in provinces]
    names = known_provinces(frame)
    unknown = [p for p in chosen if p not in names]
    if unknown:
        raise ValueError(
            f"border_provinces: {unknown} not found in origin_province.csv; "
            f"the province labels there are: {', '.join(names)}"
        )
    return chosen


def classify(label: str, provinces) -> str:
    """'in' (all the row's provinces are chosen), 'out' (none), 'mixed' (some) or 'unknown'."""
    c = constituents(label)
    if c is None:
        return "unknown"
    chosen = set(provinces)
    inside = len(c & chosen)
    if inside == len(c):
        return "in"
    if inside == 0:
        return "out"
    return "mixed"


def snapshot_year(row) -> int | None:
    """The reference year of a snapshot: ref_end's year, else the first year in its label."""
    end = row.get("ref_end")
    if end is not None and not pd.isna(end):
        return int(pd.Timestamp(end).year)
    m = re.search(r"(19|20)\d{2}", str(row.get("ref_label", "")))
    return int(m.group(0)) if m else None


def _one_snapshot(rows: pd.DataFrame) -> str:
    ids = rows["snapshot_id"].dropna().unique()
    if len(ids) != 1:
        raise ValueError(f"province shares are computed within one population at a time; got snapshots {list(ids)}")
    return str(ids[0])


def snapshot_base(rows: pd.DataFrame, year_end_totals: dict | None = None) -> tuple[float | None, str]:
    """The population a snapshot's counts divide into, and where it comes from.

    1. the base the source published (base_count);
    2. for a cumulative snapshot dated 31 December, everyone arrived by that year-end
       (``year_end_totals``, from the yearly series);
    3. for a complete itemisation (an 'Other' row, no overlapping aggregates, every row counted),
       the sum of the counts;
    otherwise None (only published shares can be used).
    """
    _one_snapshot(rows)
    bases = rows["base_count"].dropna().unique()
    if len(bases):
        return float(bases[0]), "published"
    first = rows.iloc[0]
    end = first.get("ref_end")
    if (
        year_end_totals
        and first["population"] == "cumulative"
        and end is not None
        and not pd.isna(end)
        and pd.Timestamp(end).month == 12
        and pd.Timestamp(end).day == 31
        and pd.Timestamp(end).year in year_end_totals
    ):
        return float(year_end_totals[pd.Timestamp(end).year]), "all arrivals by that year-end (yearly series)"
    complete = any(constituents(p) is None for p in rows["province"])
    if complete and not (rows["level"] == "aggregate").any() and rows["count"].notna().all():
        return float(rows["count"].sum()), "sum of the itemised counts"
    return None, "not published"


def row_share(row, base: float | None) -> tuple[float | None, str]:
    """A row's share of its snapshot (percent) and how it was obtained."""
    count = row.get("count")
    if base and count is not None and not pd.isna(count):
        return 100 * float(count) / base, "count / base"
    share = row.get("share_pct")
    if share is not None and not pd.isna(share):
        q = row.get("share_qualifier")
        return float(share), f"published ({q})" if isinstance(q, str) and q else "published"
    return None, "no count or share"


def composition(rows: pd.DataFrame, provinces, base: float | None) -> dict:
    """Split ONE snapshot into the four segments (percent of the snapshot population).

    Rows that overlap (aggregates) are not added twice: rows are taken greedily, rows inside the
    chosen set first, then outside, then mixed, then not itemised; largest first within each
    class; a row is skipped if it shares a province with one already taken. Returns the segment
    shares (``known_in`` is the lower bound, ``100 - known_out`` the upper bound), the bounds, and
    the rows used.
    """
    sid = _one_snapshot(rows)
    cand = []
    for _, r in rows.iterrows():
        share, how = row_share(r, base)
        if share is None:
            continue
        cand.append(
            {
                "province": r["province"],
                "cls": classify(r["province"], provinces),
                "share": share,
                "how": how,
                "cons": constituents(r["province"]),
            }
        )
    order = {"in": 0, "out": 1, "mixed": 2, "unknown": 3}
    cand.sort(key=lambda c: (order[c["cls"]], -c["share"]))
    covered: set[str] = set()
    taken = []
    for c in cand:
        if c["cons"] is not None:
            if c["cons"] & covered:
                continue
            covered |= c["cons"]
        taken.append(c)
    seg = {"known_in": 0.0, "mixed": 0.0, "not_itemised": 0.0, "known_out": 0.0}
    for c in taken:
        key = {"in": "known_in", "out": "known_out", "mixed": "mixed", "unknown": "not_itemised"}[c["cls"]]
        seg[key] += c["share"]
    seg["not_itemised"] += max(0.0, 100.0 - sum(seg.values()))
    return {
        "snapshot_id": sid,
        **seg,
        "lower": seg["known_in"],
        "upper": 100.0 - seg["known_out"],
        "rows": [(c["province"], c["cls"], round(c["share"], 1), c["how"]) for c in taken],
        "any_known": bool(taken),
    }


def snapshot_table(
    data_dir=None,
    provinces=ESSAY_GROUP,
    start_year: int | None = None,
    end_year: int | None = None,
    populations=("cohort", "cumulative"),
    *,
    frame: pd.DataFrame | None = None,
    year_end_totals: dict | None = None,
    bases: dict | None = None,
) -> pd.DataFrame:
    """One row per snapshot of origin_province.csv: its population, year, base and segments.

    Each snapshot is computed from its own rows only. Snapshots without any usable share are
    kept with ``any_known`` False. Columns: snapshot_id, population, ref_label, year, base,
    base_how, known_in, mixed, not_itemised, known_out, lower, upper, any_known, rows.
    """
    if frame is None:
        frame = load("origin_province", data_dir)
    provinces = check_provinces(provinces, frame)
    if year_end_totals is None:
        cum = series.cumulative(data_dir)
        year_end_totals = dict(zip(cum["year"].astype(int), cum["total"].astype(float)))
    totals = year_end_totals
    out = []
    for sid, rows in frame.groupby("snapshot_id", sort=False):
        first = rows.iloc[0]
        if first["population"] not in populations:
            continue
        year = snapshot_year(first)
        if year is None or (start_year is not None and year < start_year) or (end_year is not None and year > end_year):
            continue
        base, how = bases[sid] if bases and sid in bases else snapshot_base(rows, totals)
        comp = composition(rows, provinces, base)
        out.append(
            {
                "snapshot_id": sid,
                "population": first["population"],
                "ref_label": first["ref_label"],
                "year": year,
                "base": base,
                "base_how": how,
                **{k: comp[k] for k in comp if k != "snapshot_id"},
            }
        )
    cols = [
        "snapshot_id",
        "population",
        "ref_label",
        "year",
        "base",
        "base_how",
        *SEGMENTS,
        "lower",
        "upper",
        "any_known",
        "rows",
    ]
    return pd.DataFrame(out, columns=cols).sort_values(["population", "year"], kind="stable").reset_index(drop=True)


def consistent_with(table: pd.DataFrame, value: float, tolerance: float = 2.5) -> pd.Series:
    """Which snapshots' bounds [lower, upper] allow a share of about ``value`` (± tolerance)."""
    return (table["lower"] <= value + tolerance) & (table["upper"] >= value - tolerance) & table["any_known"]


def exact_group_rows(data_dir=None, group=ESSAY_GROUP) -> pd.DataFrame:
    """Rows whose label covers exactly ``group`` (a published figure for that very group)."""
    frame = load("origin_province", data_dir)
    target = frozenset(group)
    hit = frame[[constituents(p) == target for p in frame["province"]]].copy()
    return hit


# --------------------------------------------------------------------------------------------
# age and occupation


def within_sex(frame: pd.DataFrame, category: str, exclude=()) -> pd.DataFrame:
    """Counts by category and sex for ONE snapshot, with each category's share within its sex.

    ``frame`` holds the long rows of one snapshot (columns: snapshot_id, ``category``, sex,
    count). The 'total' category and ``exclude`` categories are dropped before the shares are
    taken. Columns: category, sex, count, share_within_sex_pct, female_pct_of_category.
    """
    _one_snapshot(frame)
    f = frame[(frame[category] != "total") & (~frame[category].isin(exclude)) & frame["sex"].isin(["male", "female"])]
    f = f.dropna(subset=["count"]).copy()
    f["count"] = f["count"].astype(int)
    f["share_within_sex_pct"] = 100 * f["count"] / f.groupby("sex")["count"].transform("sum")
    by_cat = f.groupby(category)["count"].transform("sum")
    female = f[f["sex"] == "female"].set_index(category)["count"]
    f["female_pct_of_category"] = 100 * f[category].map(female) / by_cat
    return f[[category, "sex", "count", "share_within_sex_pct", "female_pct_of_category"]].reset_index(drop=True)


def latest_by_sex_snapshot(frame: pd.DataFrame, end_year: int | None = None) -> str | None:
    """The latest cumulative snapshot that has a split by sex (and is not after end_year)."""
    f = frame[(frame["population"] == "cumulative") & frame["sex"].isin(["male", "female"])].dropna(subset=["count"])
    category = "age_group" if "age_group" in frame.columns else "occupation"
    f = f[f[category] != "total"]
    # a split by sex counts only where every category listed by sex has both sexes
    both = f.groupby(["snapshot_id", category])["sex"].nunique()
    complete = both.groupby(level=0).min() == 2
    f = f[f["snapshot_id"].map(complete).fillna(False).astype(bool)]
    if end_year is not None:
        f = f[pd.to_datetime(f["as_of"]).dt.year <= end_year]
    if f.empty:
        return None
    return str(f.sort_values("as_of")["snapshot_id"].iloc[-1])


def age_share_20_39(frame: pd.DataFrame) -> pd.DataFrame:
    """Share of people aged 20–39 at arrival in each snapshot (totals only), from counts or shares.

    Uses the snapshot's own total: the 'total' age row, or the sum of the age groups when the
    snapshot lists all of them; for snapshots that publish only shares, the published shares.
    """
    rows = []
    t = used(frame)
    t = t[t["sex"] == "total"]
    for sid, g in t.groupby("snapshot_id", sort=False):
        g = g.set_index("age_group")
        first = g.iloc[0]
        share = None
        if "20-39" in g.index:
            r = g.loc["20-39"]
            share = float(r["share_pct"]) if not pd.isna(r["share_pct"]) else None
            if share is None and "total" in g.index and not pd.isna(r["count"]):
                share = 100 * float(r["count"]) / float(g.loc["total", "count"])
        elif {"20-29", "30-39"} <= set(g.index):
            a, b = g.loc["20-29"], g.loc["30-39"]
            if (
                not pd.isna(a["count"])
                and not pd.isna(b["count"])
                and "total" in g.index
                and not pd.isna(g.loc["total", "count"])
            ):
                share = 100 * float(a["count"] + b["count"]) / float(g.loc["total", "count"])
            elif not pd.isna(a["share_pct"]) and not pd.isna(b["share_pct"]):
                share = float(a["share_pct"] + b["share_pct"])
        if share is None:
            continue
        rows.append(
            {
                "snapshot_id": sid,
                "population": first["population"],
                "as_of": pd.Timestamp(first["as_of"]),
                "as_of_label": first["as_of_label"],
                "share_20_39_pct": share,
            }
        )
    return pd.DataFrame(rows, columns=["snapshot_id", "population", "as_of", "as_of_label", "share_20_39_pct"])


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval in percent (thin wrapper kept here so the notebook reads plainly)."""
    from nkbook.analysis.stats import proportion_ci

    return proportion_ci(int(successes), int(n))


def short_label(ref_label: str) -> str:
    """A snapshot's label cut before its first parenthesis or comma, for chart axes."""
    return re.split(r"\s*[(,]", str(ref_label), maxsplit=1)[0].strip()


# Short names of the market counters (markets.csv ``counter`` codes) for chart legends.
COUNTER_LABELS = {
    "melvin": "Melvin (satellite)",
    "rok_intelligence": "ROK intelligence",
    "rok_nis": "ROK NIS",
    "lim_kyungnam": "Lim (Kyungnam Univ.)",
    "kbs_unnamed": "Unnamed source (KBS)",
    "nkdi_moon": "Moon (NKDI)",
}


def bounds_text(lower: float, upper: float) -> str:
    """Words for a border-share interval: '73.9% to 83.8%', 'at least 71.9%', or 'not separable'."""
    if lower <= 0:
        return "not separable from the published groups" if upper >= 100 else f"at most {upper:.1f}%"
    if upper >= 100:
        return f"at least {lower:.1f}%"
    return f"{lower:.1f}% to {upper:.1f}%"


# --------------------------------------------------------------------------------------------
# the chapter: compute() and its figures and tables

DEFAULT_BORDER_PROVINCES = ("North Hamgyong", "Ryanggang", "Jagang", "North Pyongan")
OCCUPATION_NAMES = {
    "managerial": "Managerial",
    "military": "Military",
    "worker": "Worker (state enterprise or farm)",
    "unemployed_dependent": "No job or dependent (incl. housewives)",
    "service": "Service",
    "arts_sports": "Arts and sports",
    "professional": "Professional",
}
AGE_ORDER = ["0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60+"]
POPULATION_NAMES = {"cohort": "One cohort of arrivals", "cumulative": "Everyone arrived so far"}


# Province groupings, each stated once (issue 18): a reading of "the border provinces" that a source
# or the data use. A grouping's share in a snapshot is computed only where the snapshot's rows cover
# exactly its provinces (no estimate for an unitemised province).
STRICT_GROUP = ("Ryanggang", "North Hamgyong")
GROUPINGS = {
    "strict": ("Provinces touching China, strict (Ryanggang + North Hamgyong)", STRICT_GROUP),
    "data_border": (
        "Provinces on the Chinese border as the data define (+ Jagang, North Pyongan)",
        ("North Hamgyong", "Ryanggang", "Jagang", "North Pyongan"),
    ),
    "hamgyong": ("Hamgyong (North + South)", ("North Hamgyong", "South Hamgyong")),
    "ministry_border": ("The ministry's 'China border area' (Ryanggang + both Hamgyongs)", ESSAY_GROUP),
}

# Distance from the Chinese border on the 2008 map, the order of the representation chart: tier 0
# touches China (the data's border_province = yes), tier 1 borders a tier-0 province, tier 2 is
# further; within a tier, west to east.
BORDER_TIERS = {
    "North Pyongan": 0,
    "Jagang": 0,
    "Ryanggang": 0,
    "North Hamgyong": 0,
    "South Pyongan": 1,
    "South Hamgyong": 1,
    "Pyongyang": 2,
    "South Hwanghae": 2,
    "North Hwanghae": 2,
    "Kangwon": 2,
}
BORDER_ORDER = list(BORDER_TIERS)
TIER_NAMES = {0: "touches China", 1: "borders a province touching China", 2: "further from China"}

# Design effects for the intervals of arrival shares: people arrive in family groups that share an
# origin, so a share varies more than a simple random sample of individuals implies. The effect is
# not published; the grid runs from independent arrivals (1) to arrivals in groups of four from one
# province (4), and the robust call uses the largest.
DESIGN_EFFECTS = (1.0, 2.0, 4.0)
CENSUS_YEAR = 2008


def _load(name: str, data_dir) -> pd.DataFrame:
    """Load a dataset once for compute(); its line map (attrs) is dropped so pandas need not copy it."""
    frame = load(name, data_dir)
    frame.attrs = {}
    return frame


def snapshot_bases(origin: pd.DataFrame, year_end_totals: dict) -> dict:
    """Each snapshot's base and where it comes from (:func:`snapshot_base`), computed once."""
    return {sid: snapshot_base(rows, year_end_totals) for sid, rows in origin.groupby("snapshot_id", sort=False)}


def census_shares(census: pd.DataFrame, year: int = CENSUS_YEAR) -> pd.DataFrame:
    """Province shares of the census household population (used rows, level=province only).

    Parts (Rason, level=part) are inside their province and never added. Columns: province,
    population, male, female, share_pct; attrs['national'] = the national household total.
    """
    u = used(census)
    u = u[(u["census_year"] == year) & (u["basis"] == "household")]
    national = u[u["level"] == "national"]["population"]
    if national.empty or pd.isna(national.iloc[0]):
        raise ValueError(f"population_census.csv has no national household total for {year}")
    prov = u[u["level"] == "province"][["province", "population", "male", "female"]].copy()
    total = float(national.iloc[0])
    prov["share_pct"] = 100 * prov["population"].astype(float) / total
    prov = prov.reset_index(drop=True)
    prov.attrs = {"national": total}
    return prov


def exact_cover(units: list[dict], group) -> dict | None:
    """Rows (disjoint, each inside ``group``) that together cover exactly ``group``; None otherwise."""
    target = frozenset(group)
    inside = sorted((u for u in units if u["cons"] <= target), key=lambda u: -len(u["cons"]))
    covered: set[str] = set()
    taken = []
    for u in inside:
        if u["cons"] & covered:
            continue
        covered |= u["cons"]
        taken.append(u)
    if covered != target:
        return None
    return {
        "share": sum(u["share"] for u in taken),
        "count": sum(u["count"] for u in taken) if all(u["count"] is not None for u in taken) else None,
        "lower_bound": any(u["lower_bound"] for u in taken),
        "rows": [u["label"] for u in taken],
    }


def representation_table(
    origin: pd.DataFrame,
    census: pd.DataFrame,
    year_end_totals: dict,
    start_year: int | None = None,
    end_year: int | None = None,
    design_effects=DESIGN_EFFECTS,
    bases: dict | None = None,
) -> pd.DataFrame:
    """Representation ratios: a unit's share of a snapshot's arrivals ÷ its share of the 2008 census.

    One row per snapshot (cohorts and everyone-so-far counts in the window) and unit: each row the
    source published (a province or a published group) and each of :data:`GROUPINGS` the rows cover
    exactly. The interval is a Wilson interval on the arrival share with the snapshot's base divided
    by the design effect, divided by the census share (a full count, held fixed); none where no base
    was published or the share is 'about'. ``robust`` is whether the interval at the largest design
    effect excludes 1.
    """
    pop = census_shares(census).set_index("province")
    deff_max = max(design_effects)
    out = []
    for sid, rows in origin.groupby("snapshot_id", sort=False):
        first = rows.iloc[0]
        if first["population"] not in ("cohort", "cumulative"):
            continue
        year = snapshot_year(first)
        if year is None or (start_year is not None and year < start_year) or (end_year is not None and year > end_year):
            continue
        base, base_how = bases[sid] if bases and sid in bases else snapshot_base(rows, year_end_totals)
        units = []
        for _, row in rows.iterrows():
            cons = constituents(row["province"])
            share, how = row_share(row, base)
            if cons is None or share is None or not cons <= set(pop.index):
                continue
            q = row.get("share_qualifier")
            from_count = how == "count / base"
            units.append(
                {
                    "label": row["province"],
                    "cons": cons,
                    "share": share,
                    "count": float(row["count"]) if from_count else None,
                    "lower_bound": (not from_count) and q == "over",
                    "about": (not from_count) and q == "about",
                }
            )
        entries = [dict(u, grouping=None, kind="as published") for u in units]
        for key, (_name, group) in GROUPINGS.items():
            hit = next((e for e in entries if e["cons"] == frozenset(group)), None)
            if hit is not None:
                hit["grouping"] = hit["grouping"] or key
                continue
            cover = exact_cover(units, group)
            if cover is not None and len(cover["rows"]) > 1:
                entries.append(
                    {
                        "label": GROUPINGS[key][0],
                        "cons": frozenset(group),
                        "share": cover["share"],
                        "count": cover["count"],
                        "lower_bound": cover["lower_bound"],
                        "about": False,
                        "grouping": key,
                        "kind": "grouping: " + " + ".join(cover["rows"]),
                    }
                )
        for e in entries:
            # a set's order follows the hash seed: summed in it, the share moved in its last bits
            # from build to build (and with it the chart's data hash); fsum is exact in any order
            pop_share = math.fsum(float(pop.loc[c, "share_pct"]) for c in sorted(e["cons"]))
            ratio = e["share"] / pop_share
            rec = {
                "snapshot_id": sid,
                "population": first["population"],
                "ref_label": first["ref_label"],
                "year": year,
                "before_census": year < CENSUS_YEAR,
                "unit": e["label"],
                "provinces": " + ".join(sorted(e["cons"], key=BORDER_ORDER.index)),
                "n_provinces": len(e["cons"]),
                "tier": min(BORDER_TIERS[c] for c in e["cons"]),
                "order": min(BORDER_ORDER.index(c) for c in e["cons"]) + 0.1 * (len(e["cons"]) - 1),
                "grouping": e["grouping"],
                "kind": e["kind"],
                "arrival_share": e["share"],
                "census_share": pop_share,
                "ratio": ratio,
                "at_least": bool(e["lower_bound"]),
                "base": base,
                "base_how": base_how,
            }
            for d in design_effects:
                lo = hi = float("nan")
                if base and not e["about"]:
                    n = round(base / d)
                    lo, hi = (v / pop_share for v in stats.proportion_ci(round(e["share"] / 100 * n), n))
                rec[f"low_d{d:g}"], rec[f"high_d{d:g}"] = lo, hi
            rec["low"], rec["high"] = rec[f"low_d{deff_max:g}"], rec[f"high_d{deff_max:g}"]
            rec["has_interval"] = not np.isnan(rec["low"])
            rec["robust"] = bool(rec["has_interval"] and (rec["low"] > 1 or rec["high"] < 1))
            rec["word"] = representation_word(rec["low"], rec["high"], ratio, rec["has_interval"], rec["at_least"])
            out.append(rec)
    cols = [
        "snapshot_id", "population", "ref_label", "year", "before_census", "unit", "provinces", "n_provinces",
        "tier", "order", "grouping", "kind", "arrival_share", "census_share", "ratio", "at_least", "base",
        "base_how", *[f"{b}_d{d:g}" for d in design_effects for b in ("low", "high")], "low", "high",
        "has_interval", "robust", "word",
    ]  # fmt: skip
    frame = pd.DataFrame(out, columns=cols)
    # a total order (two builds must draw the same rows in the same order): distance from the
    # border, then year, then the snapshot and the row label
    keys = pd.DataFrame(
        {"o": frame["order"].round(6), "y": frame["year"].fillna(-1).astype(int), "s": frame["snapshot_id"].astype(str),
         "u": frame["unit"].astype(str)}
    )  # fmt: skip
    order = sorted(range(len(frame)), key=lambda i: tuple(keys.iloc[i]))
    return frame.iloc[order].reset_index(drop=True)


def representation_word(low: float, high: float, ratio: float, has_interval: bool = True, at_least=False) -> str:
    """'over-represented' (interval above 1), 'under-represented' (below 1), else 'not distinguishable
    from its population share'; without an interval, from the ratio alone, said as such."""
    if has_interval and low > 1:
        return "over-represented"
    if has_interval and high < 1 and not at_least:
        return "under-represented"
    if has_interval:
        return "not distinguishable from its population share"
    return "over-represented (no interval)" if ratio > 1 else "under-represented (no interval)"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _span(years) -> str:
    ys = [int(y) for y in years]
    return f"{min(ys)}–{max(ys)}" if min(ys) != max(ys) else str(min(ys))


# --------------------------------------------------------------------------------------------
# compute(): one function per section of the chapter, each safe for any window of the data


def _women(r, all_sexed: pd.DataFrame, sexed: pd.DataFrame, data_dir, start_year: int, end_year: int) -> None:
    buckets = series.buckets(data_dir).set_index("period")
    b98, b01 = buckets.loc["≤1998"], buckets.loc["1999–2001"]
    r.put("bucket_1998_female_pct", b98["female_share_pct"], 1)
    r.put("bucket_1998_one_in", round(100 / b98["female_share_pct"]))
    r.put("bucket_1998_women", int(b98["female"]))
    r.put("bucket_1998_total", int(b98["total"]))
    r.put("bucket_2001_female_pct", b01["female_share_pct"], 1)
    if start_year <= 2001:
        bucket = (
            f"The ministry's table opens with two buckets, not years: women were {b98['female_share_pct']:.1f}% of "
            f"everyone who had arrived by the end of 1998 ({int(b98['female']):,} of {int(b98['total']):,}), about "
            f"one in {round(100 / b98['female_share_pct'])}, and {b01['female_share_pct']:.1f}% of the arrivals of "
            "1999–2001 together. Only after that is each year split by sex."
        )
    else:
        bucket = (
            f"The years chosen start in {start_year}, after the ministry's first two buckets (everyone to 1998, "
            "and 1999–2001 together), which are not described here."
        )
    r.put("bucket_sentence", bucket)

    c0, c1 = series.CLOSURE_YEARS
    y0, y1 = int(sexed["year"].min()), int(sexed["year"].max())
    r.put("sexed_first_year", y0)
    r.put("sexed_last_year", y1)
    record_majority = all_sexed[all_sexed["share_year"] > 50]
    first_majority = int(record_majority["year"].min()) if len(record_majority) else None
    from_year = max(first_majority or y0, y0)
    after = sexed[sexed["year"] >= from_year]
    holds = {int(y): bool(s > 50) for y, s in zip(after["year"], after["share_year"])}
    reversal = [y for y, v in holds.items() if not v]
    low = sexed.loc[sexed["share_year"].idxmin()]
    top = sexed.sort_values("share_year", ascending=False).head(2)
    r.extra.update(first_majority=first_majority, reversal_years=reversal, low=low, top=top, holds=holds)
    if first_majority is not None and y0 <= first_majority <= y1:
        r.put("first_majority_year", first_majority)
        r.put("first_majority_pct", float(sexed.set_index("year").loc[first_majority, "share_year"]), 1)
        span = f"every year from {first_majority}"
        lead = (
            f"In {first_majority} women first became the majority of a year's arrivals "
            f"({sexed.set_index('year').loc[first_majority, 'share_year']:.1f}%), and they were a majority "
        )
    elif first_majority is not None and first_majority < y0:
        span = f"every year of {y0}–{y1}"
        lead = f"Women, first a majority of a year's arrivals in {first_majority}, were a majority "
    else:
        span = f"every year of {y0}–{y1}"
        lead = "Women were a majority "
    r.put("n_reversal_years", len(reversal))
    r.put("reversal_years_text", words.year_list(reversal) or "none")
    text = words.every_year_except(holds, span) if holds else "in no year"
    closure_in = [y for y in holds if c0 <= y <= c1]
    if reversal and all(c0 <= y <= c1 for y in reversal):
        kept = [y for y in closure_in if holds[y]]
        if kept:
            share = after.set_index("year")["share_year"]
            still = words.join([f"{share.loc[y]:.1f}% in {y}" for y in kept])
            text += (
                f", {words.plural(len(reversal), 'year', with_number=False)} of the border closure "
                f"({c0}–{c1}); women were still {still}"
            )
        else:
            text += f", the years the border was closed ({c0}–{c1})"
    elif reversal and any(c0 <= y <= c1 for y in reversal):
        text += f"; not all of the exceptions fall in the border closure ({c0}–{c1})"
    r.put("majority_sentence", f"{lead}{text}.")
    r.put("majority_words", f"a majority {text}")

    r.put("lowest_share_year", int(low["year"]))
    r.put("lowest_share_pct", low["share_year"], 1)
    r.put("lowest_share_men", int(low["male"]))
    r.put("lowest_share_women", int(low["female"]))
    r.put("top_share_year", int(top["year"].iloc[0]))
    r.put("top_share_pct", top["share_year"].iloc[0], 1)
    ty = int(top["year"].iloc[0])
    when = (
        "after the border closure"
        if ty > c1
        else ("during the border closure" if ty >= c0 else "before the border closure")
    )
    r.put("top_share_when", when)
    r.put(
        "extremes_sentence",
        f"In {int(low['year'])}, {int(low['male']):,} men and {int(low['female']):,} women arrived "
        f"({low['share_year']:.1f}% women), the lowest share of the years {y0}–{y1}; the highest, "
        f"{top['share_year'].iloc[0]:.1f}%, came in {ty}, {when}.",
    )
    if len(top) > 1:
        r.put("second_share_year", int(top["year"].iloc[1]))
        r.put("second_share_pct", top["share_year"].iloc[1], 1)
    r.put("female_share_latest", sexed["share_year"].iloc[-1], 1)
    r.put("latest_year", int(sexed["year"].iloc[-1]))
    r.put("closure_first_year", c0)
    r.put("closure_last_year", c1)
    closed = [y for y in range(c0, c1 + 1) if y in holds]
    if reversal and closed and all(c0 <= y <= c1 for y in reversal):
        r.put(
            "reversal_reading",
            "Only in closure years did men outnumber women. An association, with rival readings the series "
            "cannot separate: the China route, on which women may stay hidden longer than men, "
            "was shut; the few who still arrived may have come by sea or from posts abroad; "
            "and with so few arrivals a handful of family groups moves the share.",
        )
    else:
        r.put(
            "reversal_reading",
            f"Men outnumbered women in {words.year_list(reversal) or 'no year'} of the years shown; "
            "the series does not record routes, so what lies behind the share cannot be tested here.",
        )
    _closure_words(r, sexed, end_year)


def _closure_words(r, sexed: pd.DataFrame, end_year: int) -> None:
    """Pooled shares before, during and after the closure, and a sentence for the parts the window has."""
    c0, c1 = series.CLOSURE_YEARS
    years = {int(y) for y in sexed["year"]}
    parts = []
    if set(range(c0 - 3, c0)) <= years:
        pre = pooled_share(sexed, c0 - 3, c0 - 1)
        r.put("share_pre_closure", pre, 1)
        parts.append(f"pooled over the three years before the closure, women were {pre:.1f}% of arrivals")
    if set(range(c0, c1 + 1)) <= years:
        during = pooled_share(sexed, c0, c1)
        women = int(sexed[sexed["year"].between(c0, c1)]["female"].sum())
        total = int(sexed[sexed["year"].between(c0, c1)]["total"].sum())
        r.put("share_closure", during, 1)
        r.put("closure_women", women)
        r.put("closure_total", total)
        parts.append(f"over the closure years {c0}–{c1}, {during:.1f}% ({women:,} of {total:,})")
    if c1 < end_year and any(y > c1 for y in years):
        post = pooled_share(sexed, c1 + 1, end_year)
        r.put("share_post_closure", post, 1)
        parts.append(f"in the years since, {post:.1f}%")
    first = int(r["start_year"]) if "start_year" in r else int(min(years))
    if len(parts) == 3:
        text = f"{parts[0]}; {parts[1]}; and {parts[2]}."
    elif end_year < c0:
        text = (f"{parts[0]}. " if parts else "") + (
            f"The years chosen ({first}–{end_year}) end before the border closure of {c0}–{c1}, "
            "so no comparison with it can be made here."
        )
    elif parts:
        text = "; ".join(parts) + (
            f". The years chosen ({first}–{end_year}) do not cover the whole "
            f"closure of {c0}–{c1} and the years around it."
        )
    else:
        text = f"The years chosen ({first}–{end_year}) do not cover the closure of {c0}–{c1} and the years around it."
    r.put("closure_sentence", _cap(text))


def first_year_in_band(shares: pd.Series, low: float, high: float) -> int | None:
    """First year from which the share stays in [low, high) to the last year shown."""
    s = shares.dropna().sort_index()
    inside = (s >= low) & (s < high)
    if s.empty or not inside.iloc[-1]:
        return None
    outside = s.index[~inside]
    after = s.index[s.index > outside.max()] if len(outside) else s.index
    return int(after.min())


def _seven(r, sexed: pd.DataFrame, shares: pd.DataFrame, data_dir) -> None:
    c0, c1 = series.CLOSURE_YEARS
    cum = shares.set_index("year")["share_cum"].dropna()
    cum_last = shares.dropna(subset=["share_cum"]).iloc[-1]
    yearly_share = sexed.set_index("year")["share_year"]
    year_7 = seven_in_ten(yearly_share)
    r.put("female_share_cumulative", cum_last["share_cum"], 1)
    r.put("cumulative_year", int(cum_last["year"]))
    r.put("cumulative_women", int(cum_last["cum_female"]))
    r.put("cumulative_total", int(cum_last["cum_total"]))
    cum_holds = bool(65 <= cum_last["share_cum"] < 75)
    r.put("seven_in_ten_cumulative_holds", cum_holds)
    r.put("seven_cum_verdict", "yes" if cum_holds else "no")
    text = (
        f"By the end of {int(cum_last['year'])}, {int(cum_last['cum_female']):,} of the "
        f"{int(cum_last['cum_total']):,} people who had ever arrived were women, {cum_last['share_cum']:.1f}%."
    )
    band_from = first_year_in_band(cum, 65, 75)
    if band_from is not None:
        r.put("seven_in_ten_cumulative_from", band_from)
        r.put("cumulative_share_at_from", cum.loc[band_from], 1)
        first_shown = int(cum.index.min())
        text += f" The cumulative share has been in the 65–75% band in every year shown since {band_from}" + (
            f" ({cum.loc[band_from]:.1f}% then)" if band_from > first_shown else " (the first year shown)"
        )
        c70 = first_year_in_band(cum, 70, 75)
        if c70 is not None:
            r.put("cumulative_70_from", c70)
            text += f", and at 70% or more since {c70}"
        text += '. As a description of everyone who has arrived, "seven in ten" holds from then on.'
    else:
        text += ' As a description of everyone who had arrived by then, "seven in ten" does not hold.'
    r.put("seven_cum_sentence", text)
    r.put("seven_in_ten_yearly_n", len(year_7))
    r.put("seven_in_ten_yearly_text", year_ranges(year_7))
    r.put("n_sexed_years", len(yearly_share))
    r.put("yearly_above_75_n", int((yearly_share >= 75).sum()))
    now = (
        f"A single year's arrivals were in the seven-in-ten band in {len(year_7)} of {len(yearly_share)} years"
        + (f" ({year_ranges(year_7)})" if year_7 else "")
        + f"; in {words.plural(int((yearly_share >= 75).sum()), 'year')} the share was 75% or more."
    )
    recent = yearly_share[yearly_share.index > c1]
    if len(recent):
        r.put("post_closure_min_pct", recent.min(), 1)
        r.put("post_closure_first_year", int(recent.index.min()))
        r.put("post_closure_in_ten", round(recent.min() / 10))
        now_in_band = [y for y in year_7 if y > c1]
        verdict = "no" if not now_in_band else f"only in {words.year_list(now_in_band)}"
        now += (
            f" In every year since the closure ({_span(recent.index)}) the share was {recent.min():.1f}% or more, "
            f"about {round(recent.min() / 10)} in ten or more."
        )
        box = f"{verdict} ({recent.min():.1f}% or more every year since {int(recent.index.min())})"
    else:
        verdict = "not covered by the years chosen"
        now += f" The years chosen end before {c1 + 1}, so the years after the closure are not described."
        box = verdict
    r.put("seven_now_verdict", verdict)
    r.put("seven_now_sentence", now)
    r.put("seven_now_box", box)
    revisions = revision_share_changes(data_dir)
    r.put("revision_max_points", revisions["difference_points"].max(), 1)
    r.put("revision_n", len(revisions))
    low = r.extra["low"]
    ly = int(low["year"])
    if c0 <= ly <= c1 and (c0 - 1) in yearly_share.index:
        lo, hi = wilson(low["female"], low["total"])
        pre = float(yearly_share.loc[c0 - 1])
        r.put("lowest_share_process_low", lo, 1)
        r.put("lowest_share_process_high", hi, 1)
        r.put("pre_closure_year", c0 - 1)
        r.put("pre_closure_share", pre, 1)
        where = (
            f"wholly {words.extent(hi, pre)} the {pre:.1f}% of {c0 - 1}"
            if hi < pre
            else f"which reaches the {pre:.1f}% of {c0 - 1}"
        )
        text = (
            f"With only {int(low['male'])} men and {int(low['female'])} women in {ly}, a 95% Wilson interval for "
            f"that year's share runs from {lo:.1f}% to {hi:.1f}%, {where}. That interval covers counting noise "
            "only and carries no conclusion: it treats arrivals as independent, and people arrive in family groups."
        )
    else:
        text = (
            "The lowest share of the years chosen does not fall in the border closure, so the closure's share "
            "is not compared here."
        )
    r.put("process_sentence", text)


def _border(r, origin: pd.DataFrame, totals: dict, provinces, start_year: int, end_year: int) -> None:
    table = snapshot_table(
        None, provinces, start_year, end_year, frame=origin, year_end_totals=totals, bases=r.extra["bases"]
    )
    r.frames["origin_table"] = table
    shown = table[table["any_known"]]
    for _, row in shown.iterrows():
        r.put(f"border_low_{row['snapshot_id']}", row["lower"], 1)
        r.put(f"border_high_{row['snapshot_id']}", row["upper"], 1)
    r.put("origin_snapshots_n", len(shown))
    all_years = sorted({y for y in (snapshot_year(g.iloc[0]) for _, g in origin.groupby("snapshot_id")) if y})
    if shown.empty:
        r.put(
            "border_sentence",
            f"No province-of-origin snapshot falls in the years chosen ({start_year}–{end_year}); the snapshots "
            f"in the data are dated {words.year_list(all_years)}.",
        )
        return
    itemised = shown[shown["lower"] > 0]
    parts = []
    for pop, name in (("cohort", "single cohorts"), ("cumulative", "counts of everyone arrived so far")):
        t = itemised[itemised["population"] == pop]
        if t.empty:
            continue
        r.put(f"border_low_{pop}_min", t["lower"].min(), 1)
        r.put(f"border_low_{pop}_max", t["lower"].max(), 1)
        each = "; ".join(
            f"{short_label(x['ref_label'])} ({x['year']}): {bounds_text(x['lower'], x['upper'])}"
            for _, x in t.iterrows()
        )
        parts.append(f"among the {words.plural(len(t), 'snapshot')} of {name}, {each}")
    if len(itemised):
        majority_all = bool((itemised["lower"] > 50).all())
        n_major = int((itemised["lower"] > 50).sum())
        lead = (
            f"In every one of the {words.plural(len(itemised), 'snapshot')} of the years chosen that itemise them, "
            "the chosen provinces are known to account for a majority of the snapshot's population"
            if majority_all
            else f"In {n_major} of the {words.plural(len(itemised), 'snapshot')} that itemise them, the chosen "
            "provinces are known to account for a majority of the snapshot's population"
        )
        text = lead + ": " + "; ".join(parts) + "."
    else:
        text = "No snapshot of the years chosen itemises the chosen provinces apart from others."
    blind = shown[shown["lower"] <= 0]
    if len(blind):
        text += (
            f" For {words.join([f'{short_label(x)}' for x in blind['ref_label']])} the share from the chosen "
            "provinces cannot be separated from the published groups."
        )
    r.put("border_sentence", text)

    # the ministry's own 'border area' figure, which counts South Hamgyong
    in_window = origin[origin["snapshot_id"].isin(table["snapshot_id"])]
    ministry = in_window[
        (in_window["level"] == "aggregate")
        & in_window["in_published_border_group"].fillna(False).astype(bool)
        & in_window["count"].notna()
        & in_window["base_count"].notna()
    ]
    if len(ministry):
        m = ministry.iloc[-1]
        sh = in_window[(in_window["snapshot_id"] == m["snapshot_id"]) & (in_window["province"] == "South Hamgyong")]
        r.put("border_area_published_pct", m["share_pct"], 1)
        r.put("border_area_computed_pct", 100 * m["count"] / m["base_count"], 1)
        text = (
            f'The ministry\'s own "border area" figure for {short_label(m["ref_label"])}, {m["share_pct"]:.1f}% as '
            f"published ({100 * m['count'] / m['base_count']:.1f}% when its counts are divided by its stated base), "
            "counts South Hamgyong"
        )
        if len(sh) and pd.notna(sh["count"].iloc[0]):
            shp = 100 * float(sh["count"].iloc[0]) / float(m["base_count"])
            r.put("south_hamgyong_border_area_pct", shp, 1)
            text += f" ({shp:.1f}%)"
        text += ", which does not border China."
    else:
        text = 'No snapshot of the years chosen publishes the ministry\'s own "border area" count.'
    r.put("border_area_sentence", text)

    pyong = in_window[(in_window["province"] == "Pyongyang") & (in_window["population"] == "cohort")]
    pyong = pyong[pyong["count"].notna() & pyong["base_count"].notna()]
    pyong_cum = in_window[
        (in_window["province"] == "Pyongyang")
        & (in_window["population"] == "cumulative")
        & in_window["share_pct"].notna()
    ]
    if len(pyong) and len(pyong_cum):
        p, pc = pyong.iloc[-1], pyong_cum.iloc[-1]
        pct = 100 * float(p["count"]) / float(p["base_count"])
        r.put("pyongyang_cohort_n", int(p["count"]))
        r.put("pyongyang_cohort_pct", pct, 1)
        r.put("pyongyang_cumulative_pct", pc["share_pct"], 1)
        r.put(
            "pyongyang_sentence",
            f"Pyongyang, which does not border China, supplied {int(p['count'])} of the {short_label(p['ref_label'])} "
            f"({pct:.1f}%), {words.compare(pct, pc['share_pct'], 'more than', 'less than', 'the same as')} its "
            f"{pc['share_pct']:.1f}% of everyone who had arrived to that date.",
        )
    else:
        r.put("pyongyang_sentence", "")


def _essay(r, origin: pd.DataFrame, totals: dict, start_year: int, end_year: int) -> None:
    essay = snapshot_table(
        None, ESSAY_GROUP, start_year, end_year, frame=origin, year_end_totals=totals, bases=r.extra["bases"]
    )
    essay["about_70"] = consistent_with(essay, 70)
    r.frames["essay"] = essay
    essay_cum = essay[(essay["population"] == "cumulative") & essay["any_known"] & (essay["lower"] > 0)]
    n_ok, n_cum = int(essay_cum["about_70"].sum()), len(essay_cum)
    r.put("essay_group_cumulative_n", n_cum)
    r.put("essay_group_cumulative_consistent_n", n_ok)
    r.put("essay_70_holds_for_all_defectors", bool(n_ok > 0))
    es = essay.set_index("snapshot_id")
    exact = origin[[constituents(p) == frozenset(ESSAY_GROUP) for p in origin["province"]]]
    exact = exact[exact["snapshot_id"].isin(essay["snapshot_id"])].copy()
    exact["share"] = [row_share(row, es.loc[row["snapshot_id"], "base"])[0] for _, row in exact.iterrows()]
    about = exact[(exact["share"] - 70).abs() <= 2.5]
    r.put("essay_70_matches_n", len(about))
    if len(about):
        m = about.iloc[0]
        r.put("essay_70_population", f"{m['ref_label']}")
        r.put("essay_70_population_kind", m["population"])
        r.put("essay_70_share", m["share"], 1)
        match = (
            f"The one published figure of about 70% for that group is the ministry's for a single cohort, the "
            f"{short_label(m['ref_label'])} ({m['share']:.1f}%)"
            if m["population"] == "cohort"
            else f"A published figure of about 70% for that group describes {m['ref_label']} ({m['share']:.1f}%)"
        )
    else:
        match = "No published figure for that group in the years chosen is about 70%"
    if n_cum:
        r.put("essay_group_cumulative_min_low", essay_cum["lower"].min(), 1)
        r.put("essay_group_cumulative_min_year", essay_cum.loc[essay_cum["lower"].idxmin(), "year"])
        if n_cum == 1:
            clause = (
                "The one count of everyone arrived so far "
                + ("does not allow" if n_ok == 0 else "allows")
                + " a share of about 70% "
            )
        elif n_ok == 0:
            clause = f"Not one of the {n_cum} counts of everyone arrived so far allows a share of about 70% "
        else:
            clause = (
                f"{n_ok} of the {n_cum} counts of everyone arrived so far "
                f"{'allows' if n_ok == 1 else 'allow'} a share of about 70% "
            )
        clause += (
            f"(within 2.5 points): {'its lower bound' if n_cum == 1 else 'the lowest bound among them'} is "
            f"{essay_cum['lower'].min():.1f}% "
            f"({essay_cum.loc[essay_cum['lower'].idxmin(), 'year']})"
        )
    else:
        clause = "No count of everyone arrived so far in the years chosen itemises that group"
    cum_exact = exact[exact["population"] == "cumulative"]
    if len(cum_exact):
        r.put("essay_group_published_cumulative_min", cum_exact["share"].min(), 1)
        r.put("essay_group_published_cumulative_max", cum_exact["share"].max(), 1)
        lo_p, hi_p = float(cum_exact["share"].min()), float(cum_exact["share"].max())
        clause += "; where the ministry published the group's share for all arrivals it was " + (
            f"{lo_p:.1f}% to {hi_p:.1f}%" if round(hi_p, 1) > round(lo_p, 1) else f"{lo_p:.1f}%"
        )
    r.put("essay_sentence", f"{clause}. {match}.")
    r.put(
        "essay_box_text",
        "no count in the years chosen itemises the group for all defectors"
        if n_cum == 0
        else (
            f"every count of all defectors puts the group at {essay_cum['lower'].min():.1f}% or more"
            if n_ok == 0
            else "at least one count of all defectors also allows about 70%"
        ),
    )

    # the strict reading (provinces touching China), for the population the essay's source describes
    strict = snapshot_table(
        None, STRICT_GROUP, start_year, end_year, frame=origin, year_end_totals=totals, bases=r.extra["bases"]
    )
    sc = strict[(strict["population"] == "cumulative") & (strict["lower"] > 0)]
    r.frames["strict"] = strict
    if len(sc):
        lo, hi = float(sc["lower"].min()), float(sc["lower"].max())
        r.put("strict_cumulative_min", lo, 1)
        r.put("strict_cumulative_max", hi, 1)
        r.put("strict_cumulative_n", len(sc))
        ok = bool(((sc["lower"] - 70).abs() <= 2.5).any())
        text = (
            "The essay cites the ministry's 2017 Unification White Paper, a description of everyone who had "
            "arrived. Read as the provinces that touch China (Ryanggang and North Hamgyong), the "
            f"{words.plural(len(sc), 'count')} of everyone arrived so far that itemise both "
            f"({words.join([short_label(x) for x in sc['ref_label']])}) give "
            + (f"{lo:.1f}% to {hi:.1f}%" if hi > lo else f"{lo:.1f}%")
            + f" from those two provinces alone, {'within' if ok else 'more than'} 2.5 points of 70%"
            + ("" if ok else " in every one")
            + "."
        )
    else:
        text = (
            "No count of everyone arrived so far in the years chosen itemises Ryanggang and North Hamgyong "
            "together, so the strict reading of the essay's figure cannot be checked here."
        )
    r.put("strict_sentence", text)

    h1 = es.loc["cohort_h1_2003"] if "cohort_h1_2003" in es.index else None
    early = es.loc["arrivals_1998_aug2003"] if "arrivals_1998_aug2003" in es.index else None
    bits = []
    if early is not None and early["lower"] > 0:
        r.put("essay_group_1998_2003_low", early["lower"], 1)
        r.put("early_base", early["base"])
        bits.append(
            f"for the arrivals of 1998 to August 2003 the group is at least {early['lower']:.1f}% of the "
            f"source's own base of {int(early['base']):,}"
        )
    if h1 is not None and h1["lower"] > 0:
        r.put("essay_group_h1_2003_low", h1["lower"], 1)
        bits.append(f"for the first half of 2003, at least {h1['lower']:.1f}%")
    r.put("early_sentence", _cap(words.join(bits)) + "." if bits else "")


def _representation(r, origin: pd.DataFrame, census: pd.DataFrame, totals: dict, start_year: int, end_year: int):
    rep = representation_table(origin, census, totals, start_year, end_year, bases=r.extra["bases"])
    r.frames["representation"] = rep
    pop = census_shares(census)
    r.put("census_national_household", int(pop.attrs["national"]))
    r.put("census_provinces_n", len(pop))
    r.put("design_effect_max", max(DESIGN_EFFECTS), 0)
    r.put("design_effects_text", words.join([f"{d:g}" for d in DESIGN_EFFECTS]))
    for _, p in pop.iterrows():
        r.put(f"census_share_{_slug(p['province'])}", p["share_pct"], 2)
    if rep.empty:
        r.put("representation_n", 0)
        r.put(
            "representation_sentence",
            f"No snapshot of arrivals by province falls in the years chosen ({start_year}–{end_year}), so no "
            "representation ratio can be computed.",
        )
        r.put("representation_conclusion", "no ratio can be computed for the years chosen")
        r.put("before_census_sentence", "")
        r.put_all(grades.result_keys("border_origin", grades.ungraded("no snapshot in the years chosen")))
        return
    r.put("representation_n", len(rep))
    r.put("representation_snapshots_n", rep["snapshot_id"].nunique())
    snaps = rep.drop_duplicates("snapshot_id")
    before = snaps[snaps["before_census"]]
    r.put("representation_before_census_n", len(before))
    r.put(
        "before_census_sentence",
        (
            f"{words.plural(len(before), 'snapshot', with_number=True)} of the {len(snaps)} predate the 2008 census "
            f"({words.join([short_label(x) for x in before['ref_label']])}), and every count of everyone arrived so "
            "far includes people who left before it: their ratios compare arrivals with a population counted later."
        )
        if len(before)
        else f"None of the {len(snaps)} snapshots predates the 2008 census, but every count of everyone arrived so "
        "far includes people who left before it.",
    )
    # single provinces touching China, each over the snapshots that itemise it alone
    lines = []
    over_names: list[str] = []
    under_names: list[str] = []
    for prov in [p for p in BORDER_ORDER if BORDER_TIERS[p] == 0]:
        t = rep[(rep["provinces"] == prov)]
        if t.empty:
            continue
        slug = _slug(prov)
        counts = t["word"].value_counts()
        main = counts.index[0]
        k = int(counts.iloc[0])
        rng = f"{t['ratio'].min():.2f}" if len(t) == 1 else f"{t['ratio'].min():.2f} to {t['ratio'].max():.2f}"
        r.put(f"ratio_{slug}_min", t["ratio"].min(), 2)
        r.put(f"ratio_{slug}_max", t["ratio"].max(), 2)
        r.put(f"ratio_{slug}_word", main)
        every = (
            "in every snapshot that itemises it" if k == len(t) else f"in {k} of the {len(t)} snapshots that itemise it"
        )
        lines.append(f"{prov} is {main} {every} (ratio {rng})")
        (over_names if main.startswith("over") else under_names if main.startswith("under") else []).append(prov)
    r.put("border_over_text", words.join(over_names) or "none")
    r.put("border_under_text", words.join(under_names) or "none")
    r.put(
        "representation_sentence",
        (_cap("; ".join(lines)) + ".")
        if lines
        else "No snapshot of the years chosen itemises a province touching China alone.",
    )
    # the groupings, graded once over snapshots × groupings
    grid = rep[rep["grouping"].notna() & rep["has_interval"]]
    strict = rep[rep["grouping"] == "strict"]
    if len(strict):
        s_int = strict[strict["has_interval"]]
        k_over = int((s_int["low"] > 1).sum())
        word = (
            "over-represented"
            if len(s_int) and k_over == len(s_int)
            else ("under-represented" if len(s_int) and int((s_int["high"] < 1).sum()) == len(s_int) else "mixed")
        )
        r.put("strict_ratio_min", strict["ratio"].min(), 2)
        r.put("strict_ratio_max", strict["ratio"].max(), 2)
        r.put("strict_word", word)
        times = f"{strict['ratio'].min():.1f}" + ("" if len(strict) == 1 else f" to {strict['ratio'].max():.1f}")
        if word == "mixed":
            head = (
                f"taken together, Ryanggang and North Hamgyong are over-represented among arrivals in {k_over} of "
                f"the {words.plural(len(s_int), 'snapshot')} with an interval"
            )
        else:
            head = (
                f"taken together, Ryanggang and North Hamgyong are {word} among arrivals in every one of the "
                f"{words.plural(len(s_int), 'snapshot')} with an interval"
            )
        conclusion = f"{head}: their share of arrivals is {times} times their share of the 2008 household population"
    else:
        conclusion = "no snapshot of the years chosen itemises Ryanggang and North Hamgyong together"
    r.put("representation_conclusion", conclusion)
    if len(grid):
        g = grades.grade(np.log(grid["ratio"]).tolist(), grid["robust"].tolist(), log_scale=True)
        r.put("grade_border_origin", g["grade"])
        r.put(
            "grade_border_origin_why",
            f"{g['why'].replace('specifications', 'snapshot-by-grouping ratios')} at a design effect of "
            f"{max(DESIGN_EFFECTS):g}",
        )
        r.put("grade_border_origin_n_specs", g["n_specs"])
        r.put("grade_border_origin_n_robust", g["n_robust"])
    else:
        r.put_all(
            grades.result_keys("border_origin", grades.ungraded("no grouping with an interval in the years chosen"))
        )
    by_sex = [c for c in ("male", "female", "sex") if c in origin.columns]
    r.put(
        "representation_sex_sentence",
        "No province-of-origin snapshot is split by sex, so the ratios cannot be computed for women "
        "and men apart; the census split by sex is there for the day such a snapshot is published."
        if not by_sex
        else "The snapshots split by sex are shown by sex.",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _markets(r, markets_all: pd.DataFrame, provinces, sexed: pd.DataFrame, start_year: int, end_year: int) -> None:
    markets = used(markets_all)
    national = markets[markets["area"] == "national"].copy()
    all_years = sorted(int(y) for y in national["as_of_year"].unique())
    national = national[(national["as_of_year"] >= start_year) & (national["as_of_year"] <= end_year)]
    # a count dated by year only is placed at mid-year; one dated by month at that month
    month = national["as_of"].str.slice(5, 7).replace("", "07").astype(int)
    national["decimal_year"] = national["as_of_year"].astype(int) + (month - 0.5) / 12
    national["counter_label"] = national["counter"].map(COUNTER_LABELS).fillna(national["counter"])
    national["count"] = national["count"].astype(int)
    r.frames["markets_national"] = national[
        ["as_of", "as_of_year", "decimal_year", "counter", "counter_label", "counter_description", "method", "scope",
         "count", "count_qualifier"]
    ]  # fmt: skip
    r.put("market_counts_n", len(national))
    by_year = sexed.set_index("year")
    if national.empty:
        r.put(
            "markets_sentence",
            f"No national market count falls in the years chosen ({start_year}–{end_year}); the counts in the data "
            f"are dated {words.year_list(all_years)}.",
        )
        r.frames["arrivals_window"] = sexed.iloc[0:0][["year", "female", "total", "share_year"]]
        r.extra["market_years"] = None
    else:
        melvin = national[national["counter"] == "melvin"].sort_values("decimal_year")
        r.put("market_counters_n", national["counter"].nunique())
        r.put("market_years_n", national["as_of_year"].nunique())
        r.put("market_first_year", national["as_of_year"].min())
        r.put("market_last_year", national["as_of_year"].max())
        text = (
            f"There are {words.plural(len(national), 'national market count')}, from "
            f"{words.plural(national['counter'].nunique(), 'counter')}, covering "
            f"{words.plural(national['as_of_year'].nunique(), 'distinct year')} "
            f"({_span(national['as_of_year'])}), and they depend on who counts and what counts as a market"
        )
        busiest = national["as_of_year"].value_counts()
        by = int(busiest.index[0])
        same_year = national[national["as_of_year"] == by]
        if len(same_year) > 1:
            r.put("markets_busiest_year", by)
            r.put("markets_busiest_min", same_year["count"].min())
            r.put("markets_busiest_max", same_year["count"].max())
            r.put("markets_busiest_n", len(same_year))
            text += (
                f": the {len(same_year)} counts for {by} alone run from {same_year['count'].min():,} to "
                f"{same_year['count'].max():,}"
            )
        text += "."
        m_years = sorted(int(y) for y in melvin["as_of_year"].unique())
        if len(m_years) >= 2 and all(y in by_year.index for y in (m_years[0], m_years[-1])):
            m0, m1 = melvin.iloc[0], melvin.iloc[-1]
            w0, w1 = int(by_year.loc[m_years[0], "female"]), int(by_year.loc[m_years[-1], "female"])
            r.extra.update(melvin_first=m0, melvin_last=m1)
            r.put("melvin_first_year", m0["as_of_year"])
            r.put("melvin_first_count", m0["count"])
            r.put("melvin_last_year", m1["as_of_year"])
            r.put("melvin_last_count", m1["count"])
            r.put("melvin_years_n", len(m_years))
            r.put("women_at_melvin_first", w0)
            r.put("women_at_melvin_last", w1)
            r.put("women_trend", words.direction(w0, w1, "rose", "fell", "stayed level"))
            r.put("markets_trend", words.direction(m0["count"], m1["count"], "rose", "fell", "stayed level"))
            text += (
                f" The only consistent series, Curtis Melvin's satellite count, has {len(m_years)} years: the count "
                f"{words.direction(m0['count'], m1['count'])} from about {int(m0['count'])} official markets in "
                f"{int(m0['as_of_year'])} to {int(m1['count'])} in {int(m1['as_of_year'])}, while the number of "
                f"women arriving {words.direction(w0, w1, 'rose', 'fell', 'stayed level')}, from {w0:,} to {w1:,}. "
                f"With {len(m_years)} points no correlation is worth reporting, either way."
            )
        else:
            text += " The years chosen hold fewer than two years of the one consistent (satellite) series."
        r.put("markets_sentence", text)
        lo_y, hi_y = int(national["as_of_year"].min()) - 2, int(national["as_of_year"].max()) + 2
        arr_window = sexed[(sexed["year"] >= lo_y) & (sexed["year"] <= hi_y)][
            ["year", "female", "total", "share_year"]
        ].copy()
        arr_window = arr_window.astype({"female": int, "total": int})
        arr_window["share_year"] = arr_window["share_year"].round(1)
        r.frames["arrivals_window"] = arr_window
        r.extra["market_years"] = (lo_y, hi_y)

    nk = markets[(markets["counter"] == "nkdi_moon")]
    nk_nat = nk[nk["area"] == "national"]["count"].iloc[0]
    nk_prov = nk[nk["area"] != "national"]
    nk_border = nk_prov[nk_prov["area"].isin(provinces)]
    r.put("nkdi_year", nk["as_of_year"].iloc[0])
    r.put("nkdi_national", nk_nat)
    r.put("nkdi_top_n", len(nk_prov))
    r.put("nkdi_top_border_n", len(nk_border))
    r.put("nkdi_border_markets", nk_border["count"].sum())
    r.put("nkdi_border_markets_pct", 100 * nk_border["count"].sum() / nk_nat, 1)


def _age(r, ages_all: pd.DataFrame, start_year: int, end_year: int) -> None:
    ages = used(ages_all)
    age_sid = latest_by_sex_snapshot(ages, end_year)
    r.extra["age_label"] = None
    if age_sid is None:
        r.put("age_sentence", f"No complete table of age on arrival by sex is dated {end_year} or earlier.")
        r.frames["age"] = pd.DataFrame()
    else:
        age_rows = ages[ages["snapshot_id"] == age_sid]
        age = within_sex(age_rows, "age_group")
        age["sex_label"] = age["sex"].map({"female": "Women", "male": "Men"})
        r.frames["age"] = age
        r.extra["age_label"] = age_rows["as_of_label"].iloc[0]
        a = age.set_index(["age_group", "sex"])
        total = age_rows[(age_rows["age_group"] == "total") & (age_rows["sex"] == "total")]["count"].iloc[0]
        r.put("age_snapshot_label", short_label(age_rows["as_of_label"].iloc[0]))
        r.put("age_snapshot_total", total)
        w = a.loc[("20-29", "female"), "share_within_sex_pct"] + a.loc[("30-39", "female"), "share_within_sex_pct"]
        m = a.loc[("20-29", "male"), "share_within_sex_pct"] + a.loc[("30-39", "male"), "share_within_sex_pct"]
        g09 = float(a.loc[("0-9", "female"), "female_pct_of_category"])
        f20, f30 = (float(a.loc[(g, "female"), "female_pct_of_category"]) for g in ("20-29", "30-39"))
        r.extra.update(women_20_39=w, men_20_39=m)
        r.put("women_20_39_pct", w, 1)
        r.put("men_20_39_pct", m, 1)
        r.put("female_pct_age_0_9", g09, 1)
        r.put("female_pct_age_20_29", f20, 1)
        r.put("female_pct_age_30_39", f30, 1)
        r.put("girls_half_word", f"{words.extent(g09, 50)} half")
        adult = f20 > g09 and f30 > g09
        r.put(
            "age_sentence",
            f"Of the {int(total):,} people in the table ({short_label(age_rows['as_of_label'].iloc[0])}), {w:.1f}% "
            f"of the women {'but' if w > m else 'and'} {m:.1f}% of the men arrived in their twenties or thirties. "
            f"Within age groups: among children under ten, who travel with their families, girls are {g09:.1f}%, "
            f"{words.extent(g09, 50)} half; among people in their twenties and thirties, women are {f20:.1f}% and "
            f"{f30:.1f}%, "
            + (
                "more than among children: the excess of women is an adult excess."
                if adult
                else "not more than among children in both groups."
            ),
        )
    trend = age_share_20_39(ages)
    trend = trend[(trend["as_of"].dt.year >= start_year) & (trend["as_of"].dt.year <= end_year)]
    tc = trend[trend["population"] == "cumulative"]
    text = ""
    if len(tc):
        r.put("age_20_39_cumulative_min", tc["share_20_39_pct"].min(), 1)
        r.put("age_20_39_cumulative_max", tc["share_20_39_pct"].max(), 1)
        r.put("age_20_39_cumulative_n", len(tc))
        text = (
            f"Across the {words.plural(len(tc), 'cumulative snapshot')} of the years chosen, people aged 20–39 "
            f"were {tc['share_20_39_pct'].min():.1f}%"
            + (f" to {tc['share_20_39_pct'].max():.1f}%" if len(tc) > 1 else "")
            + " of all arrivals"
        )
    c23 = trend[trend["population"] == "cohort"].sort_values("as_of")
    if len(c23):
        last = c23.iloc[-1]
        r.put("age_20_39_cohort_latest", last["share_20_39_pct"], 1)
        text += (
            "; in " if text else "In "
        ) + f"the {short_label(last['as_of_label'])} alone, a different population, {last['share_20_39_pct']:.1f}%"
    r.put("age_trend_sentence", (text + ".") if text else "")


def _occupation(r, occ_all: pd.DataFrame, end_year: int) -> None:
    occ_sid = latest_by_sex_snapshot(occ_all, end_year)
    r.extra["occ_label"] = None
    if occ_sid is None:
        r.put("occupation_sentence", f"No complete table of occupation by sex is dated {end_year} or earlier.")
        r.frames["occupation"] = pd.DataFrame()
        return
    occ_rows = occ_all[occ_all["snapshot_id"] == occ_sid]
    occ = within_sex(occ_rows, "occupation", exclude=["not_applicable_children"])
    occ["occupation_label"] = occ["occupation"].map(OCCUPATION_NAMES).fillna(occ["occupation"])
    occ["sex_label"] = occ["sex"].map({"female": "Women", "male": "Men"})
    r.frames["occupation"] = occ
    r.extra["occ_label"] = occ_rows["as_of_label"].iloc[0]
    o = occ.set_index(["occupation", "sex"])

    def share(k, s):
        return float(o.loc[(k, s), "share_within_sex_pct"])

    r.put("occ_snapshot_label", short_label(occ_rows["as_of_label"].iloc[0]))
    r.put("women_no_job_pct", share("unemployed_dependent", "female"), 1)
    r.put("men_no_job_pct", share("unemployed_dependent", "male"), 1)
    r.put("female_pct_of_no_job", o.loc[("unemployed_dependent", "female"), "female_pct_of_category"], 1)
    r.put("women_worker_pct", share("worker", "female"), 1)
    r.put("men_worker_pct", share("worker", "male"), 1)
    r.put("female_pct_of_service", o.loc[("service", "female"), "female_pct_of_category"], 1)
    r.put("men_military_pct", share("military", "male"), 1)
    r.put("women_military_pct", share("military", "female"), 1)
    nw = int(o.loc[("unemployed_dependent", "female"), "count"])
    nt = nw + int(o.loc[("unemployed_dependent", "male"), "count"])
    r.put("no_job_women_n", nw)
    r.put("no_job_total_n", nt)
    wn, mn = share("unemployed_dependent", "female"), share("unemployed_dependent", "male")
    ww, mw = share("worker", "female"), share("worker", "male")
    wm, mm = share("military", "female"), share("military", "male")

    def often(a, b):
        return words.compare(a, b, "more often", "less often", "as often")

    r.put(
        "occupation_sentence",
        f"Before leaving, {wn:.1f}% of the women in the table ({short_label(occ_rows['as_of_label'].iloc[0])}; "
        f"children aside) had no job or were dependants, the ministry's category that includes housewives, against "
        f"{mn:.1f}% of the men; women make up "
        f"{o.loc[('unemployed_dependent', 'female'), 'female_pct_of_category']:.1f}% of that group ({nw:,} of {nt:,}) "
        f"and {o.loc[('service', 'female'), 'female_pct_of_category']:.1f}% of former service workers. Men were "
        f"{often(mw, ww)} state workers ({mw:.1f}% against {ww:.1f}%) and {often(mm, wm)} soldiers ({mm:.1f}% "
        f"against {wm:.1f}%).",
    )


def compute(
    data_dir=None,
    *,
    start_year: int | None = 1998,
    end_year: int | None = None,
    border_provinces=DEFAULT_BORDER_PROVINCES,
):
    """Every value the mobility chapter glues, with the frames its charts and tables draw.

    Any window of the data works: a part that needs years outside it glues a sentence saying so.
    """
    from nkbook.present.results import Results

    r = Results()
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    r.put("start_year", start_year)
    r.put("end_year", end_year)
    origin = _load("origin_province", data_dir)
    provinces = check_provinces(list(border_provinces), origin)
    r.extra["provinces"] = provinces
    r.put("border_provinces_text", join_words(provinces))
    cum = series.cumulative(data_dir)
    totals = dict(zip(cum["year"].astype(int), cum["total"].astype(float)))
    r.extra["bases"] = snapshot_bases(origin, totals)
    all_shares = share_table(data_dir)
    shares = series.window(all_shares, start_year, end_year)
    sexed = shares.dropna(subset=["share_year"])
    r.frames.update(shares=shares, sexed=sexed)
    _women(r, all_shares.dropna(subset=["share_year"]), sexed, data_dir, start_year, end_year)
    _seven(r, sexed, shares, data_dir)
    _border(r, origin, totals, provinces, start_year, end_year)
    _essay(r, origin, totals, start_year, end_year)
    _representation(r, origin, _load("population_census", data_dir), totals, start_year, end_year)
    r.frames["studies"] = _load("market_studies", data_dir)
    _markets(r, _load("markets", data_dir), provinces, sexed, start_year, end_year)
    _age(r, _load("age_at_arrival", data_dir), start_year, end_year)
    _occupation(r, _load("occupation", data_dir), end_year)
    _findings(r)
    return r


def _findings(r) -> None:
    """The key-findings box: 3-5 sentences from the computed words and numbers above."""
    women = (
        f"Women were {r['majority_words']}. Their lowest share of the years shown was {r['lowest_share_pct']:.1f}% "
        f"in {r['lowest_share_year']}, their highest {r['top_share_pct']:.1f}% in {r['top_share_year']}."
    )
    seven = (
        f'"Seven in ten" women: for everyone arrived by {r["cumulative_year"]}, {r["seven_cum_verdict"]} '
        f"({r['female_share_cumulative']:.1f}%); for each year's arrivals since the closure, {r['seven_now_box']}."
    )
    border = (
        f"{_cap(r['representation_conclusion'])}. Graded {r['grade_border_origin']}: {r['grade_border_origin_why']}."
    )
    essay = f'The essay\'s "about 70% from Yanggang or Hamgyong": {r["essay_box_text"]}; ' + (
        f"the provinces touching China alone give {r['strict_cumulative_min']:.1f}%"
        + (f" to {r['strict_cumulative_max']:.1f}%" if r["strict_cumulative_max"] > r["strict_cumulative_min"] else "")
        + " of everyone arrived."
        if "strict_cumulative_min" in r
        else "the strict reading cannot be checked in the years chosen."
    )
    limits = (
        "These are associations in counts of people who arrived: they do not separate the mobility argument "
        "from proximity, family networks or who is counted, and the data observe neither attempts nor captures."
    )
    r.findings(women, seven, border, essay, limits)


def _sex_scale():
    from nkbook.present import charts

    return charts.series_scale(["Women", "Men"])


def men_women_chart(r):
    """Women and men arriving per year, log scale, closure band; the title states the majority finding."""
    import altair as alt

    from nkbook.present import charts

    sexed = r.frames["sexed"]
    low = r.extra["low"]
    long = sexed.melt(
        id_vars=["year", "total", "share_year"], value_vars=["female", "male"], var_name="sex", value_name="people"
    )
    long["sex"] = long["sex"].map({"female": "Women", "male": "Men"})
    long = long.astype({"people": int, "total": int})
    long["share_year"] = long["share_year"].round(1)
    y0, y1 = int(sexed["year"].min()), int(sexed["year"].max())
    c0, c1 = series.CLOSURE_YEARS
    layers = []
    if y0 <= c1 and y1 >= c0:
        layers.append(charts.closure_band().encode(x=alt.X("start:Q", title="Year of arrival in South Korea")))
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=charts.year_axis(),
            y=alt.Y("people:Q", title="People arriving per year (log scale)", scale=alt.Scale(type="log")),
            color=alt.Color("sex:N", title=None, scale=_sex_scale()),
            tooltip=[
                alt.Tooltip("year:Q", title="Year", format="d"),
                alt.Tooltip("sex:N", title="Group"),
                alt.Tooltip("people:Q", title="People", format=","),
                alt.Tooltip("total:Q", title="Year total", format=","),
                alt.Tooltip("share_year:Q", title="Women (%)"),
            ],
        )
    )
    holds = {int(y): bool(v > 50) for y, v in zip(sexed["year"], sexed["share_year"])}
    finding = f"Women outnumbered men {words.every_year_except(holds, f'every year of {y0}–{y1}')}"
    fig = alt.layer(*layers, lines).properties(
        title=alt.TitleParams(
            finding,
            subtitle="Women and men arriving in South Korea per year; log scale, so that small years stay visible"
            + ("; grey band: border closed" if layers else ""),
        )
    )
    return charts.show(
        fig,
        name="mobility-men-women",
        description=(
            f"Two lines, women and men arriving per year on a log scale, {y0} to {y1}. {finding}. In "
            f"{int(low['year'])}, the lowest share of women, {int(low['male'])} men and {int(low['female'])} "
            "women arrived."
        ),
        source="Ministry of Unification, yearly arrivals by sex (final series).",
        data=sexed[["year", "male", "female", "total"]].astype(int),
    )


def female_share_chart(r):
    """Share of women: each year's arrivals and everyone arrived so far (one colour, two dash styles)."""
    import altair as alt

    from nkbook.present import charts

    sexed, shares = r.frames["sexed"], r.frames["shares"]
    low, top = r.extra["low"], r.extra["top"]
    share_long = pd.concat(
        [
            sexed[["year", "share_year", "female", "total"]]
            .rename(columns={"share_year": "share"})
            .assign(measure="That year's arrivals"),
            shares.dropna(subset=["share_cum"])[["year", "share_cum", "cum_female", "cum_total"]]
            .rename(columns={"share_cum": "share", "cum_female": "female", "cum_total": "total"})
            .assign(measure="Everyone arrived so far (at year-end)"),
        ],
        ignore_index=True,
    )
    share_long = share_long.astype({"female": int, "total": int})
    share_long["share"] = share_long["share"].round(1)
    y0, y1 = int(share_long["year"].min()), int(share_long["year"].max())
    c0, c1 = series.CLOSURE_YEARS
    layers = []
    if y0 <= c1 and y1 >= c0:
        layers.append(charts.closure_band().encode(x=alt.X("start:Q", title="Year of arrival in South Korea")))
    ref = pd.DataFrame({"y": [50, 70], "label": ["Half", "Essay: 7 of every 10"]})
    ref_rules = (
        alt.Chart(ref)
        .mark_rule(strokeDash=[3, 3], color=charts.MUTED)
        .encode(y="y:Q", tooltip=[alt.Tooltip("label:N", title="Line"), alt.Tooltip("y:Q", title="Share (%)")])
    )
    ref_text = (
        alt.Chart(ref)
        .mark_text(align="left", dx=4, dy=-6, fontSize=11, color="#333")
        .encode(x=alt.value(4), y="y:Q", text="label:N")
    )
    measures = ["That year's arrivals", "Everyone arrived so far (at year-end)"]
    share_lines = (
        alt.Chart(share_long)
        .mark_line(point=True, color=charts.SERIES_COLOURS["Women"])
        .encode(
            x=charts.year_axis(),
            y=alt.Y("share:Q", title="Women among arrivals (%)", scale=alt.Scale(domain=[0, 100])),
            strokeDash=alt.StrokeDash(
                "measure:N", title=None, scale=alt.Scale(domain=measures, range=[[1, 0], [5, 3]])
            ),
            tooltip=[
                alt.Tooltip("year:Q", title="Year", format="d"),
                alt.Tooltip("measure:N", title="Population"),
                alt.Tooltip("share:Q", title="Women (%)"),
                alt.Tooltip("female:Q", title="Women", format=","),
                alt.Tooltip("total:Q", title="All", format=","),
            ],
        )
    )
    cum = shares.dropna(subset=["share_cum"])
    c_first, c_last = cum.iloc[0], cum.iloc[-1]
    yearly = f"{low['share_year']:.1f}% in {int(low['year'])} to {top['share_year'].iloc[0]:.1f}% in {int(top['year'].iloc[0])}"
    title = (
        f"Women are {c_last['share_cum']:.1f}% of everyone arrived by {int(c_last['year'])}; "
        f"a year's share ranged from {yearly}"
    )
    return charts.show(
        alt.layer(*layers, ref_rules, ref_text, share_lines).properties(
            title=alt.TitleParams(
                title,
                subtitle="Solid: each year's arrivals; dashed: everyone arrived so far. Dotted lines at one half and "
                "at the essay's seven in ten" + ("; grey band: border closed" if layers else ""),
            )
        ),
        name="mobility-female-share",
        description=(
            f"Two lines of the share of women, {y0} to {y1}. For each year's arrivals the share ranges from {yearly}. "
            f"Among everyone arrived so far it {words.direction(c_first['share_cum'], c_last['share_cum'], 'rises', 'falls', 'stays')} "
            f"from {c_first['share_cum']:.1f}% at the end of {int(c_first['year'])} to {c_last['share_cum']:.1f}% at "
            f"the end of {int(c_last['year'])}."
        ),
        source="Ministry of Unification, yearly arrivals by sex; cumulative share computed from the same series.",
        data=share_long[["year", "measure", "female", "total", "share"]],
    )


def origin_chart(r):
    """Province of origin: one stacked bar per snapshot, cohorts and everyone-so-far apart."""
    import altair as alt

    from nkbook.present import charts

    table, provinces = r.frames["origin_table"], r.extra["provinces"]
    shown = table[table["any_known"]].copy()
    if shown.empty:
        return None
    itemised = shown[shown["lower"] > 0]
    finding = (
        f"At least {itemised['lower'].min():.1f}% of each snapshot that itemises them came from the chosen provinces"
        if len(itemised)
        else "No snapshot of the years chosen itemises the chosen provinces"
    )
    shown["population_label"] = shown["population"].map(POPULATION_NAMES)
    shown["snapshot"] = [f"{y}: {short_label(l)}" for y, l in zip(shown["year"], shown["ref_label"])]
    seg_long = shown.melt(
        id_vars=["snapshot_id", "snapshot", "ref_label", "population_label", "year", "lower", "upper"],
        value_vars=list(SEGMENTS),
        var_name="segment",
        value_name="share",
    )
    seg_long["segment_label"] = seg_long["segment"].map(SEGMENT_LABELS)
    seg_long["order"] = seg_long["segment"].map({s: i for i, s in enumerate(SEGMENTS)})
    seg_long[["share", "lower", "upper"]] = seg_long[["share", "lower", "upper"]].round(1)
    seg_colors = [charts.PALETTE[0], charts.PALETTE[4], "#dddddd", charts.PALETTE[1]]
    chart = (
        alt.Chart(seg_long)
        .mark_bar()
        .encode(
            y=alt.Y("snapshot:N", title=None, sort=alt.EncodingSortField("year"), axis=alt.Axis(labelLimit=260)),
            x=alt.X(
                "share:Q",
                title="Share of the snapshot's population (%)",
                stack="zero",
                scale=alt.Scale(domain=[0, 100]),
            ),
            color=alt.Color(
                "segment_label:N",
                title=None,
                scale=alt.Scale(domain=[SEGMENT_LABELS[s] for s in SEGMENTS], range=seg_colors),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=420),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("ref_label:N", title="Snapshot"),
                alt.Tooltip("population_label:N", title="Population"),
                alt.Tooltip("segment_label:N", title="Part"),
                alt.Tooltip("share:Q", title="Share (%)"),
                alt.Tooltip("lower:Q", title="Border share at least (%)"),
                alt.Tooltip("upper:Q", title="Border share at most (%)"),
            ],
        )
        .properties(width=300, height=alt.Step(24))
        .facet(
            row=alt.Row(
                "population_label:N",
                title=None,
                sort=list(POPULATION_NAMES.values()),
                header=alt.Header(
                    labelFontSize=13,
                    labelFontWeight="bold",
                    labelAngle=0,
                    labelAlign="left",
                    labelAnchor="start",
                    labelOrient="top",
                ),
            ),
        )
        .resolve_scale(y="independent")
        .properties(
            title=alt.TitleParams(
                finding,
                subtitle=[
                    "Province of origin: share from the provinces on the Chinese border.",
                    f"Chosen provinces: {', '.join(provinces)}.",
                    "One bar per snapshot; cohorts and everyone-so-far counts kept apart",
                ],
            )
        )
    )
    origin_data = shown[
        [
            "population",
            "ref_label",
            "year",
            "base",
            "base_how",
            "known_in",
            "mixed",
            "not_itemised",
            "known_out",
            "lower",
            "upper",
        ]
    ].round(1)
    return charts.show(
        chart,
        name="mobility-origin-border-share",
        description=(
            "Horizontal stacked bars, one per province-of-origin snapshot, in two panels: single cohorts of "
            "arrivals and everyone arrived so far. Each bar splits the snapshot into people known to come "
            "from the chosen border provinces, a published group mixing them with other provinces, people "
            f"not itemised, and people from elsewhere. {finding}: "
            + "; ".join(
                f"{row['year']} {short_label(row['ref_label'])} ({row['population']}): border share "
                f"{bounds_text(row['lower'], row['upper'])}"
                for _, row in shown.iterrows()
            )
            + "."
        ),
        source="Ministry of Unification figures as reported in the sources of origin_province.csv; shares computed "
        "within each snapshot.",
        data=origin_data,
    )


def essay_table(r):
    """The essay's group (Ryanggang + both Hamgyongs) in every snapshot that itemises it."""
    from nkbook.present import charts

    essay = r.frames["essay"]
    view = essay[essay["any_known"] & (essay["lower"] > 0)][
        ["population", "ref_label", "year", "lower", "upper", "about_70"]
    ]
    if view.empty:
        return None
    view = view.assign(about_70=view["about_70"].map({True: "yes", False: "no"})).rename(
        columns={
            "population": "Population",
            "ref_label": "Snapshot",
            "year": "Year",
            "lower": "Ryanggang + Hamgyong, at least (%)",
            "upper": "at most (%)",
            "about_70": "Allows about 70%?",
        }
    )
    return charts.table(view, digits=1)


def studies_table(r):
    """The two studies of markets and women's mobility."""
    from nkbook.present import charts

    studies = r.frames["studies"][["authors", "year", "data", "finding"]].rename(
        columns={"authors": "Authors", "year": "Year", "data": "Data", "finding": "Finding (paraphrased)"}
    )
    return charts.table(studies)


def markets_chart(r):
    """Published national market counts above, women arriving per year below."""
    import altair as alt

    from nkbook.present import charts

    national, arr_window = r.frames["markets_national"], r.frames["arrivals_window"]
    if national.empty or r.extra.get("market_years") is None:
        return None
    lo_y, hi_y = r.extra["market_years"]
    xscale = alt.Scale(domain=[lo_y - 0.5, hi_y + 0.5])
    pts = (
        alt.Chart(national)
        .mark_point(filled=True, size=80)
        .encode(
            x=alt.X("decimal_year:Q", title="Year", scale=xscale, axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("count:Q", title="Official markets counted (national)", scale=alt.Scale(zero=True)),
            color=alt.Color("counter_label:N", title="Who counted", legend=alt.Legend(columns=3, labelLimit=200)),
            shape=alt.Shape("counter_label:N", title="Who counted"),
            tooltip=[
                alt.Tooltip("as_of:N", title="As of"),
                alt.Tooltip("counter_description:N", title="Counter"),
                alt.Tooltip("method:N", title="Method"),
                alt.Tooltip("scope:N", title="What was counted"),
                alt.Tooltip("count:Q", title="Markets"),
                alt.Tooltip("count_qualifier:N", title="Exact or about"),
            ],
        )
    )
    melvin_line = (
        alt.Chart(national[national["counter"] == "melvin"])
        .mark_line(color=charts.MUTED, strokeDash=[4, 2])
        .encode(x="decimal_year:Q", y="count:Q")
    )
    women_bars = (
        alt.Chart(arr_window)
        .mark_bar(color=charts.SERIES_COLOURS["Women"])
        .encode(
            x=alt.X(
                "year:Q", title="Year of arrival in South Korea", scale=xscale, axis=alt.Axis(format="d", tickMinStep=1)
            ),
            y=alt.Y("female:Q", title="Women arriving (per year)"),
            tooltip=[
                alt.Tooltip("year:Q", title="Year", format="d"),
                alt.Tooltip("female:Q", title="Women", format=","),
                alt.Tooltip("total:Q", title="All arrivals", format=","),
                alt.Tooltip("share_year:Q", title="Women (%)"),
            ],
        )
    )
    fig = alt.vconcat(
        (melvin_line + pts).properties(width=540, height=200, title="Official market counts, by who counted"),
        women_bars.properties(width=540, height=160, title="Women arriving in South Korea"),
    ).properties(
        title=alt.TitleParams(
            f"Only {words.plural(len(national), 'national market count')} from "
            f"{words.plural(national['counter'].nunique(), 'counter')}: too few points to test the market argument",
            subtitle="Top: each published national count (dashed: the one satellite series). Bottom: women arriving per year",
        )
    )
    return charts.show(
        fig,
        name="mobility-markets-women",
        description=(
            f"Top panel: {len(national)} published national counts of official markets from "
            f"{national['counter'].nunique()} counters, {int(national['as_of_year'].min())} to "
            f"{int(national['as_of_year'].max())}. Bottom panel: women arriving in South Korea per year over the "
            f"same span. {r['markets_sentence']}"
        ),
        source="Market counts: Melvin (satellite imagery, via RFA), South Korean intelligence, Kyungnam University, "
        "KBS, NIS and NKDI as reported; arrivals: Ministry of Unification.",
        data=national[["as_of", "counter_label", "scope", "count", "count_qualifier"]],
    )


def age_chart(r):
    """Age on arrival as a share of all women and of all men."""
    import altair as alt

    from nkbook.present import charts

    age = r.frames["age"]
    if age.empty:
        return None
    a = age.set_index(["age_group", "sex"])
    w2039, m2039 = r.extra["women_20_39"], r.extra["men_20_39"]
    age_plot = age.copy()
    cols = ["share_within_sex_pct", "female_pct_of_category"]
    age_plot[cols] = age_plot[cols].round(1)
    chart = (
        alt.Chart(age_plot)
        .mark_bar()
        .encode(
            x=alt.X("age_group:N", title="Age on arrival (years)", sort=AGE_ORDER),
            xOffset=alt.XOffset("sex_label:N", sort=["Women", "Men"]),
            y=alt.Y("share_within_sex_pct:Q", title="Share of all women / all men (%)"),
            color=alt.Color("sex_label:N", title=None, scale=_sex_scale()),
            tooltip=[
                alt.Tooltip("age_group:N", title="Age"),
                alt.Tooltip("sex_label:N", title="Group"),
                alt.Tooltip("count:Q", title="People", format=","),
                alt.Tooltip("share_within_sex_pct:Q", title="Share of own sex (%)"),
                alt.Tooltip("female_pct_of_category:Q", title="Women in this age group (%)"),
            ],
        )
        .properties(
            title=alt.TitleParams(
                f"{w2039:.1f}% of women {'but' if w2039 > m2039 else 'and'} {m2039:.1f}% of men arrived aged 20 to 39",
                subtitle=f"Age on arrival, as a share of all women and of all men; everyone arrived so far, "
                f"{r.extra['age_label']}",
            )
        )
    )
    return charts.show(
        chart,
        name="mobility-age-by-sex",
        description=(
            f"Grouped bars of age on arrival as a share of all women and of all men. {w2039:.1f}% of "
            f"women {'but' if w2039 > m2039 else 'and'} {m2039:.1f}% of men arrived aged 20 to 39; among children "
            f"under ten girls are {a.loc[('0-9', 'female'), 'female_pct_of_category']:.1f}%, {r['girls_half_word']}, "
            f"while women are {a.loc[('30-39', 'female'), 'female_pct_of_category']:.1f}% of those aged 30 to 39."
        ),
        source="Ministry of Unification, cumulative arrivals by age on arrival and sex.",
        data=age[["age_group", "sex", "count", "share_within_sex_pct", "female_pct_of_category"]].round(1),
    )


def occupation_chart(r):
    """Occupation in North Korea before leaving, as a share of all adult women and men."""
    import altair as alt

    from nkbook.present import charts

    occ = r.frames["occupation"]
    if occ.empty:
        return None
    o = occ.set_index(["occupation", "sex"])
    occ_plot = occ.copy()
    cols = ["share_within_sex_pct", "female_pct_of_category"]
    occ_plot[cols] = occ_plot[cols].round(1)
    occ_order = occ.groupby("occupation_label")["count"].sum().sort_values(ascending=False).index.tolist()
    chart = (
        alt.Chart(occ_plot)
        .mark_bar()
        .encode(
            y=alt.Y("occupation_label:N", title=None, sort=occ_order, axis=alt.Axis(labelLimit=300)),
            yOffset=alt.YOffset("sex_label:N", sort=["Women", "Men"]),
            x=alt.X("share_within_sex_pct:Q", title="Share of all women / all men, children excluded (%)"),
            color=alt.Color("sex_label:N", title=None, scale=_sex_scale()),
            tooltip=[
                alt.Tooltip("occupation_label:N", title="Occupation in North Korea"),
                alt.Tooltip("sex_label:N", title="Group"),
                alt.Tooltip("count:Q", title="People", format=","),
                alt.Tooltip("share_within_sex_pct:Q", title="Share of own sex (%)"),
                alt.Tooltip("female_pct_of_category:Q", title="Women in this occupation (%)"),
            ],
        )
        .properties(
            height=alt.Step(14),
            title=alt.TitleParams(
                f"{r['women_no_job_pct']:.1f}% of women had no job or were dependants before leaving, against "
                f"{r['men_no_job_pct']:.1f}% of men",
                subtitle=f"Occupation in North Korea; everyone arrived so far, {r.extra['occ_label']}; children "
                "(not applicable) excluded",
            ),
        )
    )
    return charts.show(
        chart,
        name="mobility-occupation-by-sex",
        description=(
            f"Grouped horizontal bars of occupation before leaving, as a share of all adult women and men. "
            f"{o.loc[('unemployed_dependent', 'female'), 'share_within_sex_pct']:.1f}% of women and "
            f"{o.loc[('unemployed_dependent', 'male'), 'share_within_sex_pct']:.1f}% of men had no job or were "
            f"dependants; {o.loc[('worker', 'male'), 'share_within_sex_pct']:.1f}% of men and "
            f"{o.loc[('worker', 'female'), 'share_within_sex_pct']:.1f}% of women were workers."
        ),
        source="Ministry of Unification, cumulative arrivals by occupation in North Korea and sex.",
        data=occ[["occupation", "sex", "count", "share_within_sex_pct", "female_pct_of_category"]].round(1),
    )


def representation_chart(r):
    """Representation ratios on a log scale, provinces ordered by distance from the Chinese border."""
    import altair as alt

    from nkbook.present import charts

    rep = r.frames["representation"]
    if rep.empty:
        return None
    d = rep.copy()
    d["snapshot"] = [f"{y}: {short_label(l)}" for y, l in zip(d["year"], d["ref_label"])]
    d["population_label"] = d["population"].map(POPULATION_NAMES)
    d["tier_label"] = d["tier"].map(TIER_NAMES)
    d["row"] = d["provinces"]
    order = d.sort_values("order").drop_duplicates("row")["row"].tolist()
    for c in ("ratio", "low", "high", "arrival_share", "census_share"):
        d[c] = d[c].round(3 if c in ("ratio", "low", "high") else 2)
    ratio_min, ratio_max = float(d["ratio"].min()), float(d["ratio"].max())
    domain = [round(min(0.05, ratio_min * 0.8), 3), round(max(10.0, ratio_max * 1.25), 1)]
    y = alt.Y("row:N", title=None, sort=order, axis=alt.Axis(labelLimit=240))
    x = alt.X("ratio:Q", title="Share of arrivals ÷ share of the 2008 population (log scale)",
              scale=alt.Scale(type="log", domain=domain))  # fmt: skip
    colour = charts.SERIES_COLOURS["All arrivals"]
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=charts.MUTED, strokeDash=[4, 3]).encode(x="x:Q")
    bars = (
        alt.Chart(d[d["has_interval"]])
        .mark_rule(color=colour, opacity=0.6)
        .encode(
            y=y,
            yOffset=alt.YOffset("population_label:N", sort=list(POPULATION_NAMES.values())),
            x=alt.X("low:Q", scale=alt.Scale(type="log", domain=domain)),
            x2="high:Q",
        )
    )
    pts = (
        alt.Chart(d)
        .mark_point(filled=True, size=60, color=colour)
        .encode(
            y=y,
            yOffset=alt.YOffset("population_label:N", sort=list(POPULATION_NAMES.values())),
            x=x,
            shape=alt.Shape("population_label:N", title=None, sort=list(POPULATION_NAMES.values())),
            tooltip=[
                alt.Tooltip("unit:N", title="As published"),
                alt.Tooltip("snapshot:N", title="Snapshot"),
                alt.Tooltip("population_label:N", title="Population"),
                alt.Tooltip("tier_label:N", title="Distance from China"),
                alt.Tooltip("arrival_share:Q", title="Share of arrivals (%)"),
                alt.Tooltip("census_share:Q", title="Share of 2008 population (%)"),
                alt.Tooltip("ratio:Q", title="Ratio"),
                alt.Tooltip("low:Q", title="Interval from"),
                alt.Tooltip("high:Q", title="Interval to"),
                alt.Tooltip("word:N", title="Reading"),
            ],
        )
    )
    over = d[d["word"].str.startswith("over")]
    under = d[d["word"].str.startswith("under")]
    title = (
        f"{_cap(words.plural(len(over), 'ratio'))} of {len(d)} show a group over-represented among arrivals, "
        f"{len(under)} under-represented"
    )
    if "strict_ratio_min" in r:
        title = (
            f"Ryanggang and North Hamgyong supply {r['strict_ratio_min']:.1f}"
            + ("" if r["strict_ratio_max"] == r["strict_ratio_min"] else f"–{r['strict_ratio_max']:.1f}")
            + " times their share of the population"
        )
    fig = (
        alt.layer(one, bars, pts)
        .properties(height=alt.Step(14))
        .properties(
            title=alt.TitleParams(
                title,
                subtitle=[
                    "Province (or published group) share of arrivals ÷ its share of the 2008 household population.",
                    "Rows: touching China first, then bordering those, then further; within a tier west to east.",
                    f"Lines: 95% interval at a design effect of {max(DESIGN_EFFECTS):g}; dashed line: ratio 1.",
                ],
            )
        )
    )
    return charts.show(
        fig,
        name="mobility-representation-ratios",
        description=(
            f"Dot plot of {len(d)} representation ratios from {d['snapshot_id'].nunique()} snapshots on a log scale, "
            f"rows ordered from the provinces touching China to those furthest from it. {title}. "
            f"{r['representation_sentence']}"
        ),
        source="Arrivals: Ministry of Unification figures as reported in the sources of origin_province.csv; "
        "population: DPRK Central Bureau of Statistics, 2008 census (household population), population_census.csv.",
        data=d[
            [
                "snapshot",
                "population",
                "unit",
                "provinces",
                "tier",
                "arrival_share",
                "census_share",
                "ratio",
                "low",
                "high",
                "word",
            ]
        ],  # fmt: skip
    )


def representation_frame_table(r):
    """Every representation ratio, with its population and interval."""
    from nkbook.present import charts

    rep = r.frames["representation"]
    if rep.empty:
        return None
    view = rep.assign(
        snapshot=[f"{short_label(l)} ({y})" for y, l in zip(rep["year"], rep["ref_label"])],
        population=rep["population"].map(POPULATION_NAMES),
        before=rep["before_census"].map({True: "yes", False: "no"}),
    )[["snapshot", "population", "before", "unit", "arrival_share", "census_share", "ratio", "low", "high", "word"]]
    view = view.rename(
        columns={
            "snapshot": "Snapshot",
            "population": "Population",
            "before": "Before 2008?",
            "unit": "Province or group",
            "arrival_share": "Share of arrivals (%)",
            "census_share": "Share of 2008 population (%)",
            "ratio": "Ratio",
            "low": "Interval from",
            "high": "Interval to",
            "word": "Reading",
        }
    )
    return charts.table(view, digits={"Share of arrivals (%)": 1, "Share of 2008 population (%)": 1, "Ratio": 2,
                                      "Interval from": 2, "Interval to": 2})  # fmt: skip


CHARTS = (
    men_women_chart,
    female_share_chart,
    origin_chart,
    representation_chart,
    markets_chart,
    age_chart,
    occupation_chart,
)
TABLES = (essay_table, representation_frame_table, studies_table)
