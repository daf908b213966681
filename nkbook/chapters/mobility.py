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
) -> pd.DataFrame:
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


def _women(r, sexed: pd.DataFrame, shares: pd.DataFrame, by_year: pd.DataFrame, data_dir, end_year: int) -> None:
    buckets = series.buckets(data_dir).set_index("period")
    b98, b01 = buckets.loc["≤1998"], buckets.loc["1999–2001"]
    r.put("bucket_1998_female_pct", b98["female_share_pct"], 1)
    r.put("bucket_1998_one_in", round(100 / b98["female_share_pct"]))
    r.put("bucket_1998_women", int(b98["female"]))
    r.put("bucket_1998_total", int(b98["total"]))
    r.put("bucket_2001_female_pct", b01["female_share_pct"], 1)

    c0, c1 = series.CLOSURE_YEARS
    majority = sexed[sexed["share_year"] > 50]
    first_majority = int(majority["year"].min())
    after = sexed[sexed["year"] >= first_majority]
    reversal = after[after["share_year"] <= 50]
    low = after.loc[after["share_year"].idxmin()]
    top = sexed.sort_values("share_year", ascending=False).head(2)
    r.extra.update(first_majority=first_majority, reversal_years=reversal["year"].tolist(), low=low, top=top)
    r.put("first_majority_year", first_majority)
    r.put("first_majority_pct", by_year.loc[first_majority, "share_year"], 1)
    r.put("n_reversal_years", len(reversal))
    r.put("reversal_years_text", list_years(reversal["year"].tolist()))
    in_closure = len(reversal) > 0 and all(c0 <= y <= c1 for y in reversal["year"])
    r.put(
        "reversal_context",
        "the years North Korea kept its border shut"
        if in_closure
        else ("no such year" if len(reversal) == 0 else "not all of them during the border closure"),
    )
    r.put("lowest_share_year", int(low["year"]))
    r.put("lowest_share_pct", low["share_year"], 1)
    r.put("lowest_share_men", int(low["male"]))
    r.put("lowest_share_women", int(low["female"]))
    r.put("top_share_year", int(top["year"].iloc[0]))
    r.put("top_share_pct", top["share_year"].iloc[0], 1)
    ty = int(top["year"].iloc[0])
    r.put(
        "top_share_when",
        "after the border closure"
        if ty > c1
        else ("during the border closure" if ty >= c0 else "before the border closure"),
    )
    r.put("second_share_year", int(top["year"].iloc[1]))
    r.put("second_share_pct", top["share_year"].iloc[1], 1)
    r.put("female_share_latest", sexed["share_year"].iloc[-1], 1)
    r.put("latest_year", int(sexed["year"].iloc[-1]))

    r.put("closure_first_year", c0)
    r.put("closure_last_year", c1)
    _majority_words(r, after, reversal["year"].tolist(), first_majority)
    _closure_words(r, sexed, shares, end_year)


def _majority_words(r, after: pd.DataFrame, reversal_years: list[int], first_majority: int) -> None:
    """'a majority every year from 2002 except 2021 and 2022, two of the three years of the closure
    (2020–2022; in 2020 women were still 68.6%)': computed, so no closure year is misdescribed."""
    from nkbook.present import words

    c0, c1 = series.CLOSURE_YEARS
    holds = {int(y): bool(s > 50) for y, s in zip(after["year"], after["share_year"])}
    text = f"a majority {words.every_year_except(holds, f'every year from {first_majority}')}"
    closure_in = [y for y in holds if c0 <= y <= c1]
    if reversal_years and all(c0 <= y <= c1 for y in reversal_years):
        kept = [y for y in closure_in if holds[y]]
        if kept:
            share = after.set_index("year")["share_year"]
            still = words.join([f"{share.loc[y]:.1f}% in {y}" for y in kept])
            text += (
                f", {words.plural(len(reversal_years), 'year', with_number=False)} of the border closure "
                f"({c0}–{c1}); women were still {still}"
            )
        else:
            text += f", the years the border was closed ({c0}–{c1})"
    elif reversal_years:
        text += f"; not all of the exceptions fall in the border closure ({c0}–{c1})"
    r.put("majority_sentence", text)


def _closure_words(r, sexed: pd.DataFrame, shares: pd.DataFrame, end_year: int) -> None:
    """Pooled shares before, during and after the closure, and a sentence for the parts the window has."""
    c0, c1 = series.CLOSURE_YEARS
    years = {int(y) for y in sexed["year"]}
    parts = []
    if set(range(c0 - 3, c0)) <= years:
        pre = pooled_share(shares, c0 - 3, c0 - 1)
        r.put("share_pre_closure", pre, 1)
        parts.append(f"Pooled over the three years before the closure, women were {pre:.1f}% of arrivals")
    if set(range(c0, c1 + 1)) <= years:
        during = pooled_share(shares, c0, c1)
        women = int(sexed[sexed["year"].between(c0, c1)]["female"].sum())
        total = int(sexed[sexed["year"].between(c0, c1)]["total"].sum())
        r.put("share_closure", during, 1)
        r.put("closure_women", women)
        r.put("closure_total", total)
        parts.append(f"over the closure years {c0}–{c1}, {during:.1f}% ({women:,} of {total:,})")
    if c1 < end_year and any(y > c1 for y in years):
        post = pooled_share(shares, c1 + 1, end_year)
        r.put("share_post_closure", post, 1)
        parts.append(f"in the years since, {post:.1f}%")
    if len(parts) == 3:
        text = f"{parts[0]}; {parts[1]}; and {parts[2]}."
    elif parts:
        text = "; ".join(parts) + (
            f". The years chosen ({int(min(years))}–{end_year}) do not cover the whole "
            f"closure of {c0}–{c1} and the years around it."
        )
    else:
        text = (
            f"The years chosen ({int(min(years))}–{end_year}) end before the border closure of {c0}–{c1}, "
            "so no comparison with it can be made here."
        )
    r.put("closure_sentence", text[0].upper() + text[1:])


def _seven(r, sexed: pd.DataFrame, shares: pd.DataFrame, by_year: pd.DataFrame, data_dir, end_year: int) -> None:
    c0, c1 = series.CLOSURE_YEARS
    low = r.extra["low"]
    cum_last = shares.dropna(subset=["share_cum"]).iloc[-1]
    cum = by_year["share_cum"].dropna()
    yearly_share = by_year["share_year"].dropna()
    year_7 = seven_in_ten(yearly_share)
    r.put("female_share_cumulative", cum_last["share_cum"], 1)
    r.put("cumulative_year", int(cum_last["year"]))
    r.put("cumulative_women", int(cum_last["cum_female"]))
    r.put("cumulative_total", int(cum_last["cum_total"]))
    cum_from = first_year_from(cum, 65)
    cum_70 = first_year_from(cum, 70)
    cum_holds = bool(65 <= cum_last["share_cum"] < 75)
    r.put("seven_in_ten_cumulative_holds", cum_holds)
    r.put("seven_cum_verdict", "yes" if cum_holds else "no")
    r.put(
        "seven_cum_sentence",
        'As a description of everyone who has arrived, "seven in ten" holds from then on.'
        if cum_holds
        else 'As a description of everyone who has arrived, "seven in ten" no longer holds.',
    )
    if cum_from is not None:
        r.put("seven_in_ten_cumulative_from", cum_from)
        r.put("cumulative_share_at_from", cum.loc[cum_from], 1)
    if cum_70 is not None:
        r.put("cumulative_70_from", cum_70)
    r.put("seven_in_ten_yearly_n", len(year_7))
    r.put("seven_in_ten_yearly_text", year_ranges(year_7))
    r.put("n_sexed_years", len(yearly_share))
    r.put("yearly_above_75_n", int((yearly_share >= 75).sum()))
    recent = yearly_share[yearly_share.index > c1]
    if len(recent):
        r.put("post_closure_min_pct", recent.min(), 1)
        r.put("post_closure_first_year", int(recent.index.min()))
        r.put("post_closure_in_ten", round(recent.min() / 10))
        now_in_band = [y for y in year_7 if y > c1]
        r.put("seven_now_verdict", "no" if not now_in_band else f"only in {list_years(now_in_band)}")
    revisions = revision_share_changes(data_dir)
    r.put("revision_max_points", revisions["difference_points"].max(), 1)
    r.put("revision_n", len(revisions))
    if c1 <= end_year and (c0 - 1) in yearly_share.index:
        w = sexed.set_index("year").loc[int(low["year"])]
        lo, hi = wilson(w["female"], w["total"])
        r.put("lowest_share_process_low", lo, 1)
        r.put("lowest_share_process_high", hi, 1)
        r.put("pre_closure_year", c0 - 1)
        r.put("pre_closure_share", yearly_share.loc[c0 - 1], 1)


def _border(r, data_dir, provinces, start_year: int, end_year: int) -> None:
    table = snapshot_table(data_dir, provinces, start_year, end_year)
    r.frames["origin_table"] = table
    by_sid = table.set_index("snapshot_id")
    for sid in table["snapshot_id"]:
        row = by_sid.loc[sid]
        if row["any_known"]:
            r.put(f"border_low_{sid}", row["lower"], 1)
            r.put(f"border_high_{sid}", row["upper"], 1)
    origin = load("origin_province", data_dir)
    cum_tab = table[(table["population"] == "cumulative") & (table["lower"] > 0)]
    r.put("border_low_cumulative_min", cum_tab["lower"].min(), 1)
    r.put("border_low_cumulative_max", cum_tab["lower"].max(), 1)
    coh_tab = table[(table["population"] == "cohort") & (table["lower"] > 0)]
    r.put("border_low_cohort_min", coh_tab["lower"].min(), 1)
    r.put("border_low_cohort_max", coh_tab["lower"].max(), 1)
    published_area = origin[(origin["snapshot_id"] == "cumulative_2018_08") & (origin["level"] == "aggregate")].iloc[0]
    r.put("border_area_2018_published_pct", published_area["share_pct"], 1)
    r.put("border_area_2018_computed_pct", 100 * published_area["count"] / published_area["base_count"], 1)
    sh = origin[(origin["snapshot_id"] == "cumulative_2018_08") & (origin["province"] == "South Hamgyong")].iloc[0]
    r.put("south_hamgyong_2018_pct", 100 * sh["count"] / sh["base_count"], 1)

    pyong_coh = origin[(origin["snapshot_id"] == "cohort_2023") & (origin["province"] == "Pyongyang")].iloc[0]
    pyong_cum = origin[
        (origin["snapshot_id"] == "cumulative_2023_pyongyang") & (origin["province"] == "Pyongyang")
    ].iloc[0]
    r.put("pyongyang_2023_cohort_n", pyong_coh["count"])
    r.put("pyongyang_2023_cohort_pct", 100 * pyong_coh["count"] / pyong_coh["base_count"], 1)
    r.put("pyongyang_cumulative_pct", pyong_cum["share_pct"], 1)


def _essay(r, data_dir, start_year: int, end_year: int) -> None:
    essay = snapshot_table(data_dir, ESSAY_GROUP, start_year, end_year)
    essay["about_70"] = consistent_with(essay, 70)
    r.frames["essay"] = essay
    essay_cum = essay[(essay["population"] == "cumulative") & essay["any_known"] & (essay["lower"] > 0)]
    r.put("essay_group_cumulative_n", len(essay_cum))
    r.put("essay_group_cumulative_consistent_n", int(essay_cum["about_70"].sum()))
    r.put("essay_group_cumulative_min_low", essay_cum["lower"].min(), 1)
    r.put("essay_group_cumulative_min_year", essay_cum.loc[essay_cum["lower"].idxmin(), "year"])
    es = essay.set_index("snapshot_id")
    exact = exact_group_rows(data_dir)
    exact_used = exact[exact["snapshot_id"].isin(essay["snapshot_id"])].copy()
    exact_used["share"] = [row_share(row, es.loc[row["snapshot_id"], "base"])[0] for _, row in exact_used.iterrows()]
    about = exact_used[(exact_used["share"] - 70).abs() <= 2.5]
    r.put("essay_70_matches_n", len(about))
    if len(about):
        m = about.iloc[0]
        r.put("essay_70_population", f"{m['ref_label']}")
        r.put("essay_70_population_kind", m["population"])
        r.put("essay_70_share", m["share"], 1)
    cum_exact = exact_used[exact_used["population"] == "cumulative"]
    r.put("essay_group_published_cumulative_min", cum_exact["share"].min(), 1)
    r.put("essay_group_published_cumulative_max", cum_exact["share"].max(), 1)
    r.put("essay_group_h1_2003_low", es.loc["cohort_h1_2003", "lower"], 1)
    r.put("essay_70_holds_for_all_defectors", bool(essay_cum["about_70"].any()))
    n_ok, n_cum = int(essay_cum["about_70"].sum()), len(essay_cum)
    r.put(
        "essay_cumulative_clause",
        f"Not one of the {n_cum} snapshots of everyone arrived so far allows a share of about 70%"
        if n_ok == 0
        else f"{n_ok} of the {n_cum} snapshots of everyone arrived so far allow{'s' if n_ok == 1 else ''} "
        "a share of about 70%",
    )
    r.put(
        "essay_verdict",
        "For all defectors the essay understates the concentration; the population its figure "
        "describes is that one cohort."
        if n_ok == 0
        else "At least one count of everyone arrived so far also allows "
        "it, so the essay's wording cannot be ruled out on these data.",
    )
    r.put(
        "essay_box_text",
        f"every count of all defectors puts the group at {essay_cum['lower'].min():.1f}% or more"
        if n_ok == 0
        else "at least one count of all defectors also allows about 70%",
    )


def _markets(
    r, data_dir, provinces, sexed: pd.DataFrame, by_year: pd.DataFrame, start_year: int, end_year: int
) -> None:
    markets = used(load("markets", data_dir))
    national = markets[markets["area"] == "national"].copy()
    national = national[(national["as_of_year"] >= start_year) & (national["as_of_year"] <= end_year)]
    # a count dated by year only is placed at mid-year; one dated by month at that month
    month = national["as_of"].str.slice(5, 7).replace("", "07").astype(int)
    national["decimal_year"] = national["as_of_year"].astype(int) + (month - 0.5) / 12
    national["counter_label"] = national["counter"].map(COUNTER_LABELS).fillna(national["counter"])
    national["count"] = national["count"].astype(int)
    melvin = national[national["counter"] == "melvin"].sort_values("decimal_year")
    r.put("market_counts_n", len(national))
    r.put("market_counters_n", national["counter"].nunique())
    r.put("market_years_n", national["as_of_year"].nunique())
    r.put("market_first_year", national["as_of_year"].min())
    r.put("market_last_year", national["as_of_year"].max())
    same_year = national[national["as_of_year"] == 2015]
    if len(same_year) > 1:
        r.put("markets_2015_min", same_year["count"].min())
        r.put("markets_2015_max", same_year["count"].max())
        r.put("markets_2015_n", len(same_year))
    m0, m1 = melvin.iloc[0], melvin.iloc[-1]
    r.extra.update(melvin_first=m0, melvin_last=m1)
    r.put("melvin_first_year", m0["as_of_year"])
    r.put("melvin_first_count", m0["count"])
    r.put("melvin_last_year", m1["as_of_year"])
    r.put("melvin_last_count", m1["count"])
    r.put("melvin_years_n", melvin["as_of_year"].nunique())
    r.put("women_at_melvin_first", int(by_year.loc[int(m0["as_of_year"]), "female"]))
    r.put("women_at_melvin_last", int(by_year.loc[int(m1["as_of_year"]), "female"]))
    w0, w1 = by_year.loc[int(m0["as_of_year"]), "female"], by_year.loc[int(m1["as_of_year"]), "female"]
    r.put("women_trend", "fell" if w1 < w0 else ("rose" if w1 > w0 else "stayed level"))
    lo_y, hi_y = int(national["as_of_year"].min()) - 2, int(national["as_of_year"].max()) + 2
    arr_window = sexed[(sexed["year"] >= lo_y) & (sexed["year"] <= hi_y)][
        ["year", "female", "total", "share_year"]
    ].copy()
    arr_window = arr_window.astype({"female": int, "total": int})
    arr_window["share_year"] = arr_window["share_year"].round(1)
    r.frames["arrivals_window"] = arr_window
    r.extra["market_years"] = (lo_y, hi_y)
    r.frames["markets_national"] = national[
        [
            "as_of",
            "as_of_year",
            "decimal_year",
            "counter",
            "counter_label",
            "counter_description",
            "method",
            "scope",
            "count",
            "count_qualifier",
        ]
    ]

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


def _age(r, data_dir, start_year: int, end_year: int) -> None:
    ages = used(load("age_at_arrival", data_dir))
    age_sid = latest_by_sex_snapshot(ages, end_year)
    age_rows = ages[ages["snapshot_id"] == age_sid]
    age = within_sex(age_rows, "age_group")
    age["sex_label"] = age["sex"].map({"female": "Women", "male": "Men"})
    r.frames["age"] = age
    r.extra["age_label"] = age_rows["as_of_label"].iloc[0]
    a = age.set_index(["age_group", "sex"])
    r.put("age_snapshot_label", short_label(age_rows["as_of_label"].iloc[0]))
    r.put(
        "age_snapshot_total",
        age_rows[(age_rows["age_group"] == "total") & (age_rows["sex"] == "total")]["count"].iloc[0],
    )
    w2039 = a.loc[("20-29", "female"), "share_within_sex_pct"] + a.loc[("30-39", "female"), "share_within_sex_pct"]
    m2039 = a.loc[("20-29", "male"), "share_within_sex_pct"] + a.loc[("30-39", "male"), "share_within_sex_pct"]
    r.extra.update(women_20_39=w2039, men_20_39=m2039)
    r.put("women_20_39_pct", w2039, 1)
    r.put("men_20_39_pct", m2039, 1)
    r.put("female_pct_age_0_9", a.loc[("0-9", "female"), "female_pct_of_category"], 1)
    r.put("female_pct_age_20_29", a.loc[("20-29", "female"), "female_pct_of_category"], 1)
    r.put("female_pct_age_30_39", a.loc[("30-39", "female"), "female_pct_of_category"], 1)

    trend = age_share_20_39(ages)
    trend = trend[(trend["as_of"].dt.year >= start_year) & (trend["as_of"].dt.year <= end_year)]
    tc = trend[trend["population"] == "cumulative"]
    r.put("age_20_39_cumulative_min", tc["share_20_39_pct"].min(), 1)
    r.put("age_20_39_cumulative_max", tc["share_20_39_pct"].max(), 1)
    r.put("age_20_39_cumulative_n", len(tc))
    c23 = trend[trend["snapshot_id"] == "cohort_2023"]
    if len(c23):
        r.put("age_20_39_cohort_2023", c23["share_20_39_pct"].iloc[0], 1)


def _occupation(r, data_dir, end_year: int) -> None:
    occ_all = load("occupation", data_dir)
    occ_sid = latest_by_sex_snapshot(occ_all, end_year)
    occ_rows = occ_all[occ_all["snapshot_id"] == occ_sid]
    occ = within_sex(occ_rows, "occupation", exclude=["not_applicable_children"])
    occ["occupation_label"] = occ["occupation"].map(OCCUPATION_NAMES).fillna(occ["occupation"])
    occ["sex_label"] = occ["sex"].map({"female": "Women", "male": "Men"})
    r.frames["occupation"] = occ
    r.extra["occ_label"] = occ_rows["as_of_label"].iloc[0]
    o = occ.set_index(["occupation", "sex"])
    r.put("occ_snapshot_label", short_label(occ_rows["as_of_label"].iloc[0]))
    r.put("women_no_job_pct", o.loc[("unemployed_dependent", "female"), "share_within_sex_pct"], 1)
    r.put("men_no_job_pct", o.loc[("unemployed_dependent", "male"), "share_within_sex_pct"], 1)
    r.put("female_pct_of_no_job", o.loc[("unemployed_dependent", "female"), "female_pct_of_category"], 1)
    r.put("women_worker_pct", o.loc[("worker", "female"), "share_within_sex_pct"], 1)
    r.put("men_worker_pct", o.loc[("worker", "male"), "share_within_sex_pct"], 1)
    r.put("female_pct_of_service", o.loc[("service", "female"), "female_pct_of_category"], 1)
    r.put("men_military_pct", o.loc[("military", "male"), "share_within_sex_pct"], 1)
    r.put("women_military_pct", o.loc[("military", "female"), "share_within_sex_pct"], 1)
    r.put("no_job_women_n", o.loc[("unemployed_dependent", "female"), "count"])
    r.put(
        "no_job_total_n",
        int(o.loc[("unemployed_dependent", "female"), "count"] + o.loc[("unemployed_dependent", "male"), "count"]),
    )


def compute(
    data_dir=None,
    *,
    start_year: int | None = 1998,
    end_year: int | None = None,
    border_provinces=DEFAULT_BORDER_PROVINCES,
):
    """Every value the mobility chapter glues, with the frames its charts and tables draw."""
    from nkbook.present.results import Results

    r = Results()
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    r.put("start_year", start_year)
    r.put("end_year", end_year)
    provinces = check_provinces(list(border_provinces), load("origin_province", data_dir))
    r.extra["provinces"] = provinces
    r.put("border_provinces_text", join_words(provinces))
    shares = share_table(data_dir, start_year, end_year)
    by_year = shares.set_index("year")
    sexed = shares.dropna(subset=["share_year"])
    r.frames.update(shares=shares, sexed=sexed)
    _women(r, sexed, shares, by_year, data_dir, end_year)
    _seven(r, sexed, shares, by_year, data_dir, end_year)
    _border(r, data_dir, provinces, start_year, end_year)
    _essay(r, data_dir, start_year, end_year)
    r.frames["studies"] = load("market_studies", data_dir)
    _markets(r, data_dir, provinces, sexed, by_year, start_year, end_year)
    _age(r, data_dir, start_year, end_year)
    _occupation(r, data_dir, end_year)
    return r


def _sex_scale():
    import altair as alt

    from nkbook.present import charts

    return alt.Scale(domain=["Women", "Men"], range=[charts.FEMALE, charts.MALE])


def men_women_chart(r):
    """Women and men arriving per year, log scale, closure band."""
    import altair as alt

    from nkbook.present import charts

    sexed = r.frames["sexed"]
    low, reversal = r.extra["low"], r.extra["reversal_years"]
    long = sexed.melt(
        id_vars=["year", "total", "share_year"], value_vars=["female", "male"], var_name="sex", value_name="people"
    )
    long["sex"] = long["sex"].map({"female": "Women", "male": "Men"})
    long = long.astype({"people": int, "total": int})
    long["share_year"] = long["share_year"].round(1)
    band = charts.closure_band().encode(x=alt.X("start:Q", title="Year of arrival in South Korea"))
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
    y0, y1 = int(sexed["year"].min()), int(sexed["year"].max())
    fig = (band + lines).properties(
        title=alt.TitleParams(
            f"Women and men arriving in South Korea, {y0}–{y1}",
            subtitle="Log scale, so that the small closure years stay visible; grey band: border closed",
        )
    )
    return charts.show(
        fig,
        name="mobility-men-women",
        description=(
            f"Two lines, women and men arriving per year on a log scale, {y0} to "
            f"{y1}. Women outnumber men every year except "
            f"{list_years(reversal)}, during the border closure, when the lines cross; "
            f"in {int(low['year'])} {int(low['male'])} men and {int(low['female'])} women arrived."
        ),
        source="Ministry of Unification, yearly arrivals by sex (final series).",
        data=sexed[["year", "male", "female", "total"]].astype(int),
    )


def female_share_chart(r):
    """Share of women: each year's arrivals and everyone arrived so far."""
    import altair as alt

    from nkbook.present import charts

    sexed, shares = r.frames["sexed"], r.frames["shares"]
    by_year = shares.set_index("year")
    low, top, first_majority = r.extra["low"], r.extra["top"], r.extra["first_majority"]
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
    band = charts.closure_band().encode(x=alt.X("start:Q", title="Year of arrival in South Korea"))
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
        .mark_line(point=True)
        .encode(
            x=charts.year_axis(),
            y=alt.Y("share:Q", title="Women among arrivals (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "measure:N", title=None, scale=alt.Scale(domain=measures, range=[charts.FEMALE, charts.TOTAL])
            ),
            strokeDash=alt.StrokeDash(
                "measure:N", legend=None, scale=alt.Scale(domain=measures, range=[[1, 0], [5, 3]])
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
    cum_last = cum.iloc[-1]
    return charts.show(
        (band + ref_rules + ref_text + share_lines).properties(
            title=alt.TitleParams(
                "Share of women: each year's arrivals and everyone so far",
                subtitle="Grey band: border closed; dashed lines at one half and at the essay's seven in ten",
            )
        ),
        name="mobility-female-share",
        description=(
            f"Two lines of the share of women. For each year's arrivals it rises from "
            f"{by_year.loc[first_majority, 'share_year']:.1f}% in {first_majority} to above 80% in the late 2010s, "
            f"drops to {low['share_year']:.1f}% in {int(low['year'])} and reaches {top['share_year'].iloc[0]:.1f}% in "
            f"{int(top['year'].iloc[0])}. Among everyone arrived so far it climbs slowly from "
            f"{cum['share_cum'].iloc[0]:.1f}% and stands at "
            f"{cum_last['share_cum']:.1f}% at the end of {int(cum_last['year'])}."
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
                "Province of origin: share from the provinces on the Chinese border",
                subtitle=[
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
            "not itemised, and people from elsewhere. "
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
    lo_y, hi_y = r.extra["market_years"]
    m0, m1 = r.extra["melvin_first"], r.extra["melvin_last"]
    by_year = r.frames["shares"].set_index("year")
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
        .mark_bar(color=charts.FEMALE)
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
            "Markets and women arriving: the few points there are",
            subtitle="Top: each published national count (dashed: the one satellite series). Bottom: women arriving per year",
        )
    )
    return charts.show(
        fig,
        name="mobility-markets-women",
        description=(
            f"Top panel: {len(national)} published national counts of official markets from "
            f"{national['counter'].nunique()} counters, {int(national['as_of_year'].min())} to "
            f"{int(national['as_of_year'].max())}; the satellite count rises from about {int(m0['count'])} in "
            f"{int(m0['as_of_year'])} to {int(m1['count'])} in {int(m1['as_of_year'])}. Bottom panel: women "
            f"arriving in South Korea per year over the same span, falling from "
            f"{int(by_year.loc[int(m0['as_of_year']), 'female']):,} in {int(m0['as_of_year'])} to "
            f"{int(by_year.loc[int(m1['as_of_year']), 'female']):,} in {int(m1['as_of_year'])}."
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
                "Age on arrival, women and men", subtitle=f"Everyone arrived so far, {r.extra['age_label']}"
            )
        )
    )
    return charts.show(
        chart,
        name="mobility-age-by-sex",
        description=(
            f"Grouped bars of age on arrival as a share of all women and of all men. {w2039:.1f}% of "
            f"women but {m2039:.1f}% of men arrived aged 20 to 39; among children under ten the sexes are "
            f"almost even ({a.loc[('0-9', 'female'), 'female_pct_of_category']:.1f}% girls), while women are "
            f"{a.loc[('30-39', 'female'), 'female_pct_of_category']:.1f}% of those aged 30 to 39."
        ),
        source="Ministry of Unification, cumulative arrivals by age on arrival and sex.",
        data=age[["age_group", "sex", "count", "share_within_sex_pct", "female_pct_of_category"]].round(1),
    )


def occupation_chart(r):
    """Occupation in North Korea before leaving, as a share of all adult women and men."""
    import altair as alt

    from nkbook.present import charts

    occ = r.frames["occupation"]
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
                "Occupation in North Korea before leaving, women and men",
                subtitle=f"Everyone arrived so far, {r.extra['occ_label']}; children (not applicable) excluded",
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


CHARTS = (men_women_chart, female_share_chart, origin_chart, markets_chart, age_chart, occupation_chart)
TABLES = (essay_table, studies_table)
