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

import re

import numpy as np
import pandas as pd

from nkbook.analysis import series
from nkbook.data import load, used

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
        rows.append({"period": r["period"], "variant": r["variant"], "variant_share": var_share,
                     "used_share": used_share, "difference_points": abs(var_share - used_share)})
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


def _split_top(text: str, sep: str = "+") -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def constituents(label: str) -> frozenset | None:
    """The single provinces a row label of origin_province.csv covers; None if not itemised.

    'North Hamgyong' -> {North Hamgyong}; 'Ryanggang + Jagang' -> both; 'Hamgyong (North + South)'
    and 'Pyongan (North + South, as published)' -> the North and South provinces; 'Border area as
    published (A + B + C)' -> A, B, C; 'Other' -> None.
    """
    label = label.strip()
    if label.lower() in {"other", "unknown", ""}:
        return None
    out: set[str] = set()
    for part in _split_top(label):
        m = re.match(r"^(.*?)\s*\((.*)\)$", part)
        if not m:
            out.add(part)
            continue
        head, inner = m.group(1).strip(), m.group(2).split(",")[0]
        items = [x.strip() for x in inner.split("+") if x.strip()]
        if items and all(x in ("North", "South") for x in items):
            out |= {f"{x} {head}" for x in items}
        else:
            out |= set(items)
    return frozenset(out)


def known_provinces(frame: pd.DataFrame) -> list[str]:
    """Every single-province name that appears in the data's labels (alone or in a group)."""
    names: set[str] = set()
    for label in frame["province"].dropna():
        c = constituents(label)
        if c:
            names |= c
    return sorted(names)


def check_provinces(provinces, frame: pd.DataFrame) -> list[str]:
    """The chosen provinces, checked against the labels the data use (clear error otherwise)."""
    chosen = [str(p) for p in provinces]
    names = known_provinces(frame)
    unknown = [p for p in chosen if p not in names]
    if unknown:
        raise ValueError(f"border_provinces: {unknown} not found in origin_province.csv; "
                         f"the province labels there are: {', '.join(names)}")
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
    if (year_end_totals and first["population"] == "cumulative" and end is not None and not pd.isna(end)
            and pd.Timestamp(end).month == 12 and pd.Timestamp(end).day == 31
            and pd.Timestamp(end).year in year_end_totals):
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
        cand.append({"province": r["province"], "cls": classify(r["province"], provinces),
                     "share": share, "how": how, "cons": constituents(r["province"])})
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
    return {"snapshot_id": sid, **seg, "lower": seg["known_in"], "upper": 100.0 - seg["known_out"],
            "rows": [(c["province"], c["cls"], round(c["share"], 1), c["how"]) for c in taken],
            "any_known": bool(taken)}


def snapshot_table(data_dir=None, provinces=ESSAY_GROUP, start_year: int | None = None,
                   end_year: int | None = None, populations=("cohort", "cumulative")) -> pd.DataFrame:
    """One row per snapshot of origin_province.csv: its population, year, base and segments.

    Each snapshot is computed from its own rows only. Snapshots without any usable share are
    kept with ``any_known`` False. Columns: snapshot_id, population, ref_label, year, base,
    base_how, known_in, mixed, not_itemised, known_out, lower, upper, any_known, rows.
    """
    frame = load("origin_province", data_dir)
    provinces = check_provinces(provinces, frame)
    cum = series.cumulative(data_dir)
    totals = dict(zip(cum["year"].astype(int), cum["total"].astype(float)))
    out = []
    for sid, rows in frame.groupby("snapshot_id", sort=False):
        first = rows.iloc[0]
        if first["population"] not in populations:
            continue
        year = snapshot_year(first)
        if year is None or (start_year is not None and year < start_year) or (end_year is not None and year > end_year):
            continue
        base, how = snapshot_base(rows, totals)
        comp = composition(rows, provinces, base)
        out.append({"snapshot_id": sid, "population": first["population"], "ref_label": first["ref_label"],
                    "year": year, "base": base, "base_how": how, **{k: comp[k] for k in comp if k != "snapshot_id"}})
    cols = ["snapshot_id", "population", "ref_label", "year", "base", "base_how", *SEGMENTS,
            "lower", "upper", "any_known", "rows"]
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
            if not pd.isna(a["count"]) and not pd.isna(b["count"]) and "total" in g.index and not pd.isna(g.loc["total", "count"]):
                share = 100 * float(a["count"] + b["count"]) / float(g.loc["total", "count"])
            elif not pd.isna(a["share_pct"]) and not pd.isna(b["share_pct"]):
                share = float(a["share_pct"] + b["share_pct"])
        if share is None:
            continue
        rows.append({"snapshot_id": sid, "population": first["population"], "as_of": pd.Timestamp(first["as_of"]),
                     "as_of_label": first["as_of_label"], "share_20_39_pct": share})
    return pd.DataFrame(rows, columns=["snapshot_id", "population", "as_of", "as_of_label", "share_20_39_pct"])


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval in percent (thin wrapper kept here so the notebook reads plainly)."""
    from nkbook.analysis.stats import proportion_ci

    return proportion_ci(int(successes), int(n))


def nan_to_none(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else x


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
