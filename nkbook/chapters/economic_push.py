"""The economic push: output, famine, food, trade and what defectors say, set against arrivals.

Used by the chapter ``notebooks/economic_push.ipynb``. Every function takes data frames as loaded by
:func:`nkbook.data.load` (or tiny hand-made frames in the tests) and returns plain frames or dicts,
so the notebook stays a sequence of short calls. Nothing here fills a gap: a year or a period that
no source published stays missing.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from nkbook.analysis.series import CLOSURE_YEARS
from nkbook.present import words
from nkbook.present.results import Results

# The essay's figure for 2019 ("43% food insecure", seed_essay2024), read against the published shares.
ESSAY_FOOD_PCT = 43

# The one grain series the chapter plots: one agency, one definition (never mixed with another).
GRAIN_SERIES = "rda_food_crops"


# --------------------------------------------------------------------------------------------
# presentation helpers


def plot_frame(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """The columns a chart needs, with text and numbers typed so that a missing value becomes null.

    A float NaN in a text or mixed column is written into the chart's JSON as ``NaN``, which browsers
    refuse to parse, and the chart is not drawn. Text columns get None for missing values, numeric
    object columns become floats (Altair writes their NaN as null), and an all-missing column becomes
    empty text.
    """
    out = frame[columns].copy() if columns is not None else frame.copy()
    for col in out.columns:
        if out[col].dtype != object:
            continue
        present = out[col].dropna()
        if present.empty:
            out[col] = ""
        elif all(isinstance(v, str) for v in present):
            out[col] = out[col].where(out[col].notna(), None)
        else:
            numeric = pd.to_numeric(out[col], errors="coerce")
            if numeric.notna().sum() == len(present):
                out[col] = numeric.astype(float)
            else:
                out[col] = out[col].map(lambda v: None if pd.isna(v) else str(v))
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# output


def growth_series(gdp: pd.DataFrame) -> pd.DataFrame:
    """The growth series the analysis uses: one row per year (the ``used`` rows), sorted.

    Columns: year, growth_pct, measure, release_year, source. Raises if a year has two used rows.
    """
    rows = gdp[gdp["used"].fillna(False).astype(bool)].copy()
    if rows["year"].duplicated().any():
        dup = sorted(rows.loc[rows["year"].duplicated(), "year"].astype(int).unique())
        raise ValueError(f"gdp_growth has more than one used row for the years {dup}")
    rows["year"] = rows["year"].astype(int)
    rows["growth_pct"] = rows["growth_pct"].astype(float)
    cols = [c for c in ["year", "growth_pct", "measure", "release_year", "source"] if c in rows.columns]
    return rows.sort_values("year")[cols].reset_index(drop=True)


def longest_negative_run(growth: pd.DataFrame, col: str = "growth_pct") -> dict:
    """The longest run of consecutive calendar years with negative growth.

    A missing year breaks a run (years must be consecutive). Ties go to the earliest run. Returns
    start, end, length, the mean growth over the run and ``level_pct``: output at the end of the
    run as a percentage of the year before it began, compounding the yearly rates. Returns
    length 0 (and None elsewhere) if no year is negative.
    """
    g = growth.dropna(subset=[col]).sort_values("year")
    best: list = []
    current: list = []
    prev_year = None
    for year, value in zip(g["year"].astype(int), g[col].astype(float)):
        if value < 0 and (prev_year is not None and year == prev_year + 1 and current):
            current.append((year, value))
        elif value < 0:
            current = [(year, value)]
        else:
            current = []
        if len(current) > len(best):
            best = list(current)
        prev_year = year
    if not best:
        return {"start": None, "end": None, "length": 0, "mean_pct": None, "level_pct": None}
    values = [v for _, v in best]
    level = 100 * float(np.prod([1 + v / 100 for v in values]))
    return {
        "start": best[0][0],
        "end": best[-1][0],
        "length": len(best),
        "mean_pct": float(np.mean(values)),
        "level_pct": level,
    }


# --------------------------------------------------------------------------------------------
# output and arrivals


def lagged_pairs(
    arrivals: pd.DataFrame,
    growth: pd.DataFrame,
    lag: int,
    start_year: int,
    end_year: int,
    closure: tuple[int, int] = CLOSURE_YEARS,
) -> pd.DataFrame:
    """Arrivals in year t beside growth in year t - lag, for arrival years in [start_year, end_year].

    ``arrivals`` has single years only (year, total); multi-year buckets never enter. Years without a
    growth figure for t - lag are dropped. ``closure`` marks arrival years inside the border closure.
    Columns: year, arrivals, growth_year, growth_pct, log_arrivals, closure.
    """
    if lag < 0:
        raise ValueError("lag_years must be 0 or more")
    a = arrivals[(arrivals["year"] >= start_year) & (arrivals["year"] <= end_year)][["year", "total"]].copy()
    a = a.dropna(subset=["total"])
    a["year"] = a["year"].astype(int)
    a["arrivals"] = a["total"].astype(int)
    a["growth_year"] = a["year"] - int(lag)
    g = growth[["year", "growth_pct"]].rename(columns={"year": "growth_year"})
    out = a.merge(g, on="growth_year", how="inner").dropna(subset=["growth_pct"])
    out = out[out["arrivals"] > 0]
    out["log_arrivals"] = np.log(out["arrivals"].astype(float))
    out["closure"] = out["year"].between(closure[0], closure[1])
    return (
        out[["year", "arrivals", "growth_year", "growth_pct", "log_arrivals", "closure"]]
        .sort_values("year")
        .reset_index(drop=True)
    )


def twin_shock(pairs: pd.DataFrame, growth_year: int, before: int = CLOSURE_YEARS[0]) -> dict | None:
    """The year before the closure whose growth was closest to that of ``growth_year``: same push,
    open border.

    ``pairs`` comes from :func:`lagged_pairs`. Candidates are rows whose arrival year is before
    ``before`` (the first closure year) and whose growth year differs from ``growth_year``; ties go to
    the later year. Returns the shock row, its twin and the ratio twin arrivals / shock arrivals, or
    None when either is missing.
    """
    shock = pairs[pairs["growth_year"] == growth_year]
    if shock.empty:
        return None
    shock = shock.iloc[0]
    cand = pairs[(pairs["year"] < before) & (pairs["growth_year"] != growth_year)].copy()
    if cand.empty:
        return None
    cand["distance"] = (cand["growth_pct"] - shock["growth_pct"]).abs()
    twin = cand.sort_values(["distance", "growth_year"], ascending=[True, False]).iloc[0]
    return {
        "shock_growth_year": int(shock["growth_year"]),
        "shock_growth_pct": float(shock["growth_pct"]),
        "shock_year": int(shock["year"]),
        "shock_arrivals": int(shock["arrivals"]),
        "twin_growth_year": int(twin["growth_year"]),
        "twin_growth_pct": float(twin["growth_pct"]),
        "twin_year": int(twin["year"]),
        "twin_arrivals": int(twin["arrivals"]),
        "ratio": float(twin["arrivals"]) / float(shock["arrivals"]),
    }


def lowest_since(growth: pd.DataFrame, year: int) -> int | None:
    """The last year before ``year`` whose growth was as low or lower (None if none was)."""
    g = growth.set_index("year")["growth_pct"]
    if year not in g.index:
        return None
    earlier = g[(g.index < year) & (g <= g[year])]
    return int(earlier.index.max()) if len(earlier) else None


# --------------------------------------------------------------------------------------------
# famine


def _method_class(method: str, kind: str) -> str:
    m = (method or "").lower()
    if kind == "range_summary":
        return "Summary of others (tertiary)"
    if "demographic" in m or "census" in m or "excess deaths" in m:
        return "Demographic (census or excess deaths)"
    if "official" in m:
        return "Official DPRK statement"
    if "survey" in m:
        return "Refugee survey, extrapolated"
    if "defector" in m:
        return "Reported by defectors"
    return "Method not stated in the source excerpt"


def famine_estimates(famine: pd.DataFrame) -> pd.DataFrame:
    """One row per published estimate with a low and a high (equal for a single figure), sorted by low.

    Columns: label, author_agency, published_year, low, high, single, method, method_class,
    period_covered, kind.
    """
    f = famine.copy()
    low = f["deaths_low"].astype("Float64").fillna(f["deaths_central"].astype("Float64"))
    high = f["deaths_high"].astype("Float64").fillna(f["deaths_central"].astype("Float64"))
    out = pd.DataFrame(
        {
            "author_agency": f["author_agency"],
            "published_year": f["published_year"],
            "low": low.astype("int64"),
            "high": high.astype("int64"),
            "method": f["method"],
            "period_covered": f["period_covered"],
            "kind": f["kind"],
        }
    )
    out["single"] = out["low"] == out["high"]
    out["method_class"] = [_method_class(m, k) for m, k in zip(f["method"], f["kind"])]
    out["label"] = out["author_agency"].astype(str)
    out["_summary"] = out["kind"] == "range_summary"  # the tertiary summary goes last
    return out.sort_values(["_summary", "low", "high"]).drop(columns="_summary").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# food


def pou_by_edition(fao: pd.DataFrame) -> pd.DataFrame:
    """Undernourishment by period, one row per (period, edition); editions are never merged.

    Adds ``mid_year`` (the middle of the three-year period, for ordering only) and ``bound`` (True
    where the published figure is a lower bound such as 'more than 45').
    """
    f = fao.copy()
    f["mid_year"] = (f["period_start"].astype(int) + f["period_end"].astype(int)) / 2
    f["bound"] = f["pou_qualifier"].fillna("exact").ne("exact")
    f["used"] = f["used"].fillna(False).astype(bool)
    f = f.sort_values(["edition_year", "edition", "mid_year"]).reset_index(drop=True)
    # lines join only consecutive periods of the same edition
    f["segment"] = f.groupby("edition", sort=False)["period_start"].transform(lambda s: consecutive_segments(s).values)
    f["segment"] = f["edition"] + "#" + f["segment"].astype(str)
    return f


def used_edition(pou: pd.DataFrame) -> pd.DataFrame:
    """The rows of the one edition the analysis reads (used = true); fails if two editions are used."""
    u = pou[pou["used"]]
    if u["edition"].nunique() > 1:
        raise ValueError(f"more than one FAO edition marked used: {sorted(u['edition'].unique())}")
    return u.sort_values("mid_year").reset_index(drop=True)


def reconcile_food_2019(food: pd.DataFrame, year: int = 2019) -> pd.DataFrame:
    """The published assessments of one reference year side by side, with what each measures.

    ``implied_population_m`` = people / share, where both are published: if the estimates share a
    denominator it comes out alike, and the differences lie in what is counted.
    """
    f = food[food["reference_year"] == year].copy()
    f["implied_population_m"] = f["people_millions"] / (f["share_pct"] / 100)
    cols = [
        "estimate_id",
        "agency",
        "report",
        "reference_period",
        "measure",
        "measure_definition",
        "people_millions",
        "people_qualifier",
        "share_pct",
        "share_qualifier",
        "implied_population_m",
        "source",
    ]
    order = {
        "food_insecure_urgent_need": 0,
        "undernourished_need_assistance": 1,
        "undernourished_pou": 2,
        "humanitarian_need": 3,
        "food_insecure_2100kcal": 4,
    }
    f["_o"] = f["measure"].map(order).fillna(9)
    return f.sort_values(["_o", "estimate_id"])[cols].reset_index(drop=True)


def consecutive_segments(values: pd.Series, step: int = 1) -> pd.Series:
    """A run id that changes wherever consecutive sorted values are not ``step`` apart (a gap)."""
    v = pd.Series(values).astype(int).reset_index(drop=True)
    return (v.diff().fillna(step) != step).cumsum().astype(int)


def grain_runs(grain: pd.DataFrame, series: str = GRAIN_SERIES) -> pd.DataFrame:
    """One grain series (production rows only), with a ``segment`` id per run of consecutive years.

    Lines are drawn within a segment only, so a gap in the published years is never bridged.
    """
    g = grain[(grain["series"] == series) & (grain["measure"] == "production")].copy()
    if g.empty:
        raise ValueError(f"no production rows for grain series {series!r}")
    g = g.sort_values("year").reset_index(drop=True)
    g["year"] = g["year"].astype(int)
    g["segment"] = consecutive_segments(g["year"]).values
    return g


# --------------------------------------------------------------------------------------------
# trade


def trade_by_year(trade: pd.DataFrame) -> pd.DataFrame:
    """One row per year from the used rows; a year whose total was not found keeps a missing total."""
    t = trade[trade["used"].fillna(False).astype(bool)].copy()
    if t["year"].duplicated().any():
        raise ValueError("china_trade has more than one used row for a year")
    t["year"] = t["year"].astype(int)
    return t.sort_values("year")[["year", "agency", "total_usd_bn", "total_qualifier", "source", "note"]].reset_index(
        drop=True
    )


def relative_to(values: pd.Series, base_year: int, years) -> dict:
    """Each year's value as a percentage of the base year's value (missing where either is missing)."""
    out = {}
    base = values.get(base_year)
    for y in years:
        v = values.get(y)
        ok = base is not None and v is not None and not pd.isna(base) and not pd.isna(v) and base != 0
        out[y] = 100 * float(v) / float(base) if ok else None
    return out


# --------------------------------------------------------------------------------------------
# what defectors say


def _order_year(row) -> int | None:
    """A year used only to order surveys in time: the survey year, else the latest year named in the
    period (one earlier for 'before YYYY')."""
    if not pd.isna(row["survey_year"]):
        return int(row["survey_year"])
    text = str(row["period_covered"] or "")
    years = [int(y) for y in re.findall(r"(?:19|20)\d\d", text)]
    if not years:
        return None
    return max(years) - 1 if text.lower().startswith("before") else max(years)


def _group_share(rows: pd.DataFrame, counts_total: float | None) -> dict | None:
    """A category group's share in one survey: the published subtotal, else the one category's share,
    else the sum of its categories' shares, else computed from counts."""
    if rows.empty:
        return None
    sub = rows[rows["level"] == "subtotal"]
    cat = rows[rows["level"] == "category"]
    pick = sub if len(sub) else cat
    if pick["share_pct"].notna().any():
        shares = pick["share_pct"].dropna()
        return {
            "share": float(shares.sum()),
            "low": None,
            "high": None,
            "basis": (
                "published subtotal"
                if len(sub)
                else "published share"
                if len(shares) == 1
                else "sum of published category shares"
            ),
            "approximate": bool(pick["approximate"].fillna(False).any()),
            "categories": "; ".join(pick.loc[pick["share_pct"].notna(), "category"]),
        }
    bounds = pick[pick["share_low_pct"].notna() | pick["share_high_pct"].notna()]
    if len(bounds):
        r = bounds.iloc[0]
        low = None if pd.isna(r["share_low_pct"]) else float(r["share_low_pct"])
        high = None if pd.isna(r["share_high_pct"]) else float(r["share_high_pct"])
        return {
            "share": None,
            "low": low,
            "high": high,
            "basis": "published bound only",
            "approximate": True,
            "categories": r["category"],
        }
    if counts_total and pick["count"].notna().any():
        c = float(pick["count"].dropna().sum())
        return {
            "share": 100 * c / counts_total,
            "low": None,
            "high": None,
            "basis": "computed from published counts",
            "approximate": bool(pick["approximate"].fillna(False).any()),
            "categories": "; ".join(pick.loc[pick["count"].notna(), "category"]),
        }
    return None


def motive_shares(motives: pd.DataFrame, groups=("economic", "political")) -> pd.DataFrame:
    """One row per (survey, category group): the share citing that kind of reason, with its basis.

    Surveys differ in population, categories and question, so a row is comparable only with rows of
    the same survey; the frame keeps population, period and sample size beside every share. Where a
    survey published counts but no shares, the share is computed over the sum of its category counts.
    Where only a bound was published (e.g. 'close to 70%', 'low 10s'), ``share`` is empty and
    ``low``/``high`` hold the bound.
    """
    rows = []
    for sid, s in motives.groupby("survey_id", sort=False):
        cats = s[s["level"] == "category"]
        counts_total = float(cats["count"].sum()) if cats["count"].notna().all() and len(cats) else None
        first = s.iloc[0]
        for group in groups:
            share = _group_share(s[s["category_group"] == group], counts_total)
            if share is None:
                continue
            n = first["sample_size"]
            rows.append(
                {
                    "survey_id": sid,
                    "survey_label": first["survey_label"],
                    "publisher": first["publisher"],
                    "population": first["population"],
                    "period_covered": first["period_covered"],
                    "survey_year": None if pd.isna(first["survey_year"]) else int(first["survey_year"]),
                    "sample_size": None if pd.isna(n) else int(n),
                    "order_year": _order_year(first),
                    "group": group,
                    **share,
                }
            )
    out = pd.DataFrame(rows)
    return out.sort_values(["order_year", "survey_id", "group"], na_position="first").reset_index(drop=True)


def two_shares_diff_ci(p1_pct: float, p2_pct: float, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Difference of two shares from the SAME respondents (one multinomial sample of size n), in points.

    Var(p1 - p2) = (p1 + p2 - (p1 - p2)^2) / n. Returns (difference, low, high) in percentage points.
    """
    from nkbook.analysis.stats import _z

    p1, p2 = p1_pct / 100, p2_pct / 100
    d = p1 - p2
    se = math.sqrt(max(p1 + p2 - d * d, 0) / n)
    q = _z(level)
    return 100 * d, 100 * (d - q * se), 100 * (d + q * se)


# --------------------------------------------------------------------------------------------
# the chapter: compute() and its charts and tables


def compute(data_dir=None, *, start_year: int = 1998, end_year: int | None = None, lag_years: int = 1) -> Results:
    """Every value the chapter glues, with the frames its charts and tables draw."""
    from nkbook.analysis import series
    from nkbook.data import load
    from nkbook.present.results import Results

    r = Results()
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    lag_years = int(lag_years)
    lr = lag_range(data_dir)  # checked before anything else runs
    if lag_years not in lr["lags"]:
        raise ValueError(f"lag_years must be one of the grid's lags {lr['lags'][0]}-{lr['max_lag']}, got {lag_years}")
    r.extra["lag_range"] = lr
    all_years = series.yearly(data_dir)
    years = series.window(all_years, start_year, end_year)
    growth = growth_series(load("gdp_growth", data_dir))
    growth = growth[growth["year"] <= end_year].reset_index(drop=True)
    r.put("start_year", start_year)
    r.put("end_year", end_year)
    r.put("lag_years", lag_years)
    r.extra.update(
        start_year=start_year,
        end_year=end_year,
        lag_years=lag_years,
        arrivals_by_year=all_years.set_index("year")["total"].astype("Int64"),
    )
    r.frames.update(years=years, growth=growth)
    _arduous_march(r, growth)
    _famine(r, load("famine_deaths", data_dir))
    _few_reached(r, data_dir, growth)
    _output_and_arrivals(r, years, growth, data_dir)
    _closure(r, growth)
    _undernourishment(r, load("fao_undernourishment", data_dir))
    _food_2019(r, load("food_insecure", data_dir))
    _grain(r, load("grain_production", data_dir), end_year)
    _trade(r, load("china_trade", data_dir), years)
    _motives(r, load("motive_surveys", data_dir))
    _evidence_closure(r)
    _findings(r)
    return r


def _findings(r) -> None:
    """The key findings box: sentences built from the values the chapter puts."""
    run = r.extra["run"]
    first = (
        f"Output shrank in each of the {run['length']} years from {run['start']} to {run['end']}, the longest run of "
        f"contraction in the Bank of Korea series, leaving it at about {r['contraction_run_level_pct']:.0f}% of its "
        "level before the run" + (" (context before the window)." if run["end"] < r["start_year"] else ".")
        if run["length"]
        else "Output did not shrink in any year of the Bank of Korea series."
    )
    famine = (
        f"The {r['famine_n_estimates']} published estimates of famine deaths run from {r['famine_low_min']:,} to "
        f"{r['famine_high_max']:,}; in {r['china_hiding_year']}, at least {r['china_hiding_low']:,} North Koreans "
        f"were estimated to be hiding in China"
        + (
            f", {r['china_hiding_times']} everyone who had reached the South by then."
            if "china_hiding_times" in r
            else "."
        )
    )
    grid = (
        f"Year by year, the link between growth and arrivals is graded {r['grade_output']} ({r['grade_output_why']}): "
        f"across {r['lag_grid_n_fits']} pre-specified fits of lags 0 to {r['grid_max_lag']}, no association holds "
        f"{r['grid_where']} (AR(1) GLS, Holm-adjusted)."
        if r["lag_grid_n_fits"]
        else "The window is too short for the grid of fits of growth against arrivals."
    )
    if r.extra.get("has_closure"):
        closure = (
            f"In 2020 growth was {r['growth_2020']:+.1f}% and arrivals {words.direction(r['arrivals_2019'], r['arrivals_2020'])} "
            f"from {r['arrivals_2019']:,} to {r['arrivals_2020']:,}, then {r['arrivals_2021']:,} in 2021, with the "
            "border closed: the yearly counts cannot separate the closure from the economy, nor either from routes "
            "and guarding."
        )
    else:
        closure = f"The window ends in {r['end_year']}, before the border closure of 2020."
    food = (
        f"About {r['food_2019_fao_wfp_pct']:.0f}% of the population was food insecure in 2019 by the FAO/WFP measure; "
        f"the {r['food_2019_pou_pct']:.1f}% often quoted is an undernourishment rate for {r['food_2019_pou_period']}."
    )
    r.findings(first, famine, grid, closure, food)


def _arduous_march(r, growth: pd.DataFrame) -> None:
    run = longest_negative_run(growth)
    r.extra["run"] = run
    r.put("gdp_first_year", growth["year"].min())
    r.put("gdp_last_year", growth["year"].max())
    r.put("contraction_run_years", run["length"])
    r.put("contraction_run_start", run["start"])
    r.put("contraction_run_end", run["end"])
    r.put("contraction_run_mean_pct", run["mean_pct"], 1)
    r.put("contraction_run_mean_fall_pct", -run["mean_pct"], 1)
    r.put("contraction_run_level_pct", run["level_pct"], 1)
    r.put("contraction_run_loss_pct", 100 - run["level_pct"], 1)


def _famine(r, famine_raw: pd.DataFrame) -> None:
    famine = famine_estimates(famine_raw)
    est = famine[famine["kind"] == "estimate"]
    demo = est[est["method_class"].str.startswith("Demographic")]
    r.frames["famine"] = famine
    r.put("famine_n_estimates", len(est))
    r.put("famine_low_min", est["low"].min())
    r.put("famine_high_max", est["high"].max())
    r.put("famine_spread_ratio", est["high"].max() / est["low"].min(), 0)
    r.put("famine_demographic_n", len(demo))
    r.put("famine_demographic_low", demo["low"].min())
    r.put("famine_demographic_high", demo["high"].max())


def _few_reached(r, data_dir, growth: pd.DataFrame) -> None:
    from nkbook.analysis import series
    from nkbook.data import load

    arrivals_by_year = r.extra["arrivals_by_year"]
    buckets = series.buckets(data_dir).set_index("period")
    early = load("arrivals_early", data_dir).set_index("period")
    hidden = load("china_hidden_estimates", data_dir)
    hiding = hidden[(hidden["measure"] == "hiding") & hidden["low"].notna() & hidden["year"].notna()].sort_values(
        "year"
    )
    first_hiding = hiding.iloc[0]
    bucket_1998 = int(buckets.loc["≤1998", "total"])
    r.put("arrivals_bucket_1998", bucket_1998)
    r.put("arrivals_1990_1994", early.loc["1990–1994", "total"])
    r.put("arrivals_1998", arrivals_by_year.get(1998))
    r.put("china_hiding_year", first_hiding["year"])
    r.put("china_hiding_low", first_hiding["low"])
    r.put("china_hiding_high", first_hiding["high"])
    r.put("china_hiding_n_sources", int((hiding["year"] == first_hiding["year"]).sum()))
    # compare the stock in hiding with everyone who had arrived by the end of the same year
    cumulative = series.cumulative(data_dir).set_index("year")["total"]
    hiding_year = int(first_hiding["year"])
    if hiding_year in cumulative.index:
        arrived = int(cumulative.loc[hiding_year])
        r.put("arrivals_cumulative_hiding_year", arrived)
        r.put("china_hiding_low_to_cumulative", first_hiding["low"] / arrived, 1)
        r.put("china_hiding_times", words.times(first_hiding["low"] / arrived))
    rda = load("grain_production", data_dir)
    rda94 = rda[(rda["series"] == GRAIN_SERIES) & (rda["year"] == 1994)].set_index("measure")["value_mt"]
    demand94 = rda[(rda["series"] == "rda_food_demand") & (rda["year"] == 1994)]["value_mt"]
    if len(rda94) and len(demand94):
        r.put("grain_1994_production", rda94.get("production"), 2)
        r.put("grain_1994_demand", demand94.iloc[0], 2)
        r.put("grain_1994_cover_pct", 100 * rda94.get("production") / demand94.iloc[0], 1)
    growth_by_year = growth.set_index("year")["growth_pct"]
    for y in (1999, 2000, 2001):
        r.put(f"arrivals_{y}", arrivals_by_year.get(y))
    r.put("growth_1999", growth_by_year.get(1999), 1)
    r.put("arrivals_1999_2001_direction", words.direction(arrivals_by_year.get(1999), arrivals_by_year.get(2001)))
    r.put("rise_after_contraction_sentence", rise_after_contraction(r.frames["years"], growth, r.extra["lag_years"]))


def rise_after_contraction(years: pd.DataFrame, growth: pd.DataFrame, lag: int) -> str:
    """Which years' arrivals rose on the year before although output had shrunk ``lag`` years earlier."""
    a = years.set_index("year")["total"].astype(float)
    g = growth.set_index("year")["growth_pct"]
    rose = [y for y in a.index if y - 1 in a.index and a[y] > a[y - 1]]
    against = [y for y in rose if (y - lag) in g.index and g[y - lag] < 0]
    if not rose:
        return "In these years arrivals never rose on the year before."
    lead = f"Arrivals rose on the year before in {words.plural(len(rose), 'year')} of the window"
    if not against:
        return lead + f"; in every one of them output had grown {words.plural(lag, 'year')} earlier."
    return (
        lead + f"; in {words.join([str(y) for y in against])} they rose although output had shrunk "
        f"{words.plural(lag, 'year')} earlier, so a growing economy was not a condition for more arrivals."
    )


# The push grid (issue #15): arrivals against lagged growth over a pre-specified grid of lags, two
# specifications that respect the series' trend, and samples with and without the closure years.
# A trending level regressed on a trendless rate picks up the trend, so neither specification
# does that: the log-difference sets the change in log arrivals (a rate) against growth (a rate);
# the level specification adds a linear trend term. The conclusion rests on AR(1) GLS (calibrated:
# about 5% false positives on null series in tests/test_calibration.py), Holm-adjusted across the
# grid; HAC OLS (which over-rejects at this length) is shown beside it and never carries it.
BASE_LAGS = (0, 1, 2, 3)
MAX_EXTENDED_LAG = 5
SPECS = ("log-difference", "level with trend")
SAMPLES = ("with every year", "without the closure years")
ALPHA = 0.05
MIN_FIT_YEARS = 8
# Whitened residual lag-1 autocorrelation up to this size (in absolute value) counts as "little left".
AC_LEFT = 0.2


def lag_range(data_dir=None) -> dict:
    """The lags the grid examines, from the evidence on time spent abroad before arrival.

    The base grid is lags 0-3. It extends to :data:`MAX_EXTENDED_LAG` when the earliest complete
    distribution of time abroad has fewer than half of its arrivals within 3 years, or the latest
    ministry statement puts most arrivals beyond 3 years (``time_abroad.lag_range_support``).
    """
    from nkbook.analysis import time_abroad

    try:
        s = time_abroad.lag_range_support(data_dir)
    except (KeyError, FileNotFoundError, ValueError):
        s = {}
    within3 = s.get("first_full_within_3")
    threshold = s.get("latest_threshold_years")
    by_distribution = within3 is not None and within3 < 50
    by_statement = threshold is not None and threshold > max(BASE_LAGS)
    extended = by_distribution or by_statement
    max_lag = MAX_EXTENDED_LAG if extended else max(BASE_LAGS)
    return {
        "lags": tuple(range(0, max_lag + 1)),
        "max_lag": max_lag,
        "extended": extended,
        "by_distribution": by_distribution,
        "by_statement": by_statement,
        "within_3": within3,
        "cohort": s.get("first_full_cohort"),
        "n": s.get("first_full_n"),
        "median_bucket": s.get("first_full_median_bucket"),
        "threshold": threshold,
        "threshold_year": s.get("latest_statement_year"),
        "average_min": s.get("average_years_min"),
        "average_max": s.get("average_years_max"),
    }


def lag_range_sentence(lr: dict) -> str:
    """Why the grid has the lags it has, in words computed from the time-abroad numbers."""
    parts = []
    if lr["within_3"] is not None:
        parts.append(
            f"of the {lr['n']:,} arrivals of the earliest complete distribution ({lr['cohort']}), "
            f"{lr['within_3']:.1f}% had spent less than 3 years abroad ({words.majority(lr['within_3'])}), "
            f"and the middle of the distribution lies in the {lr['median_bucket']} years band"
        )
    if lr["average_min"] is not None:
        parts.append(f"the published averages run from {lr['average_min']:g} to {lr['average_max']:g} years")
    if lr["threshold"] is not None:
        parts.append(
            f"the ministry's {lr['threshold_year']} statement puts most arrivals at {lr['threshold']:g} years or more"
        )
    evidence = ("On time abroad, " + "; ".join(parts) + ". ") if parts else "No evidence on time abroad was found. "
    if lr["extended"]:
        return evidence + (
            f"Lags of up to 3 years would therefore miss much of the time abroad, so the grid extends to lag "
            f"{lr['max_lag']}."
        )
    return evidence + f"The grid stays at lags 0 to {lr['max_lag']}."


def push_pairs(years: pd.DataFrame, growth: pd.DataFrame, lag: int, start_year: int, end_year: int) -> pd.DataFrame:
    """One row per arrival year of the window with growth ``lag`` years earlier, for both specifications.

    Columns: year, arrivals, growth_year, growth_pct, log_arrivals, closure (the arrival year is a
    closure year), ``dlog`` (log arrivals minus the previous year's; missing where the previous year
    is not in the window), ``trend`` (years since the window's first pair) and ``touches_closure``
    (the year or the year before it is a closure year: the differences the closure itself makes).
    Built with plain arrays: the grid calls it once per lag.
    """
    if lag < 0:
        raise ValueError("lag_years must be 0 or more")
    w = years[(years["year"] >= start_year) & (years["year"] <= end_year)].dropna(subset=["total"])
    counts = {int(y): float(t) for y, t in zip(w["year"], w["total"]) if float(t) > 0}
    g = {int(y): float(v) for y, v in zip(growth["year"], growth["growth_pct"]) if not pd.isna(v)}
    ys = [y for y in sorted(counts) if y - lag in g]
    arr = np.array([counts[y] for y in ys], float)
    logs = np.log(arr)
    prev = np.array([math.log(counts[y - 1]) if y - 1 in counts else math.nan for y in ys], float)
    year = np.array(ys, int)
    lo, hi = CLOSURE_YEARS
    closure = (year >= lo) & (year <= hi)
    return pd.DataFrame(
        {
            "year": year,
            "arrivals": arr.astype(int),
            "growth_year": year - int(lag),
            "growth_pct": np.array([g[y - lag] for y in ys], float),
            "log_arrivals": logs,
            "closure": closure,
            "dlog": logs - prev,
            "trend": year - (year.min() if len(year) else 0),
            "touches_closure": closure | ((year - 1 >= lo) & (year - 1 <= hi)),
        }
    )


def spec_data(pairs: pd.DataFrame, spec: str, sample: str) -> tuple[pd.DataFrame, str, list[str]]:
    """The rows and the design (response, regressors) of one specification and sample."""
    if spec == "log-difference":
        keep = pairs["dlog"].notna().to_numpy().copy()
        if sample != SAMPLES[0]:
            keep &= ~pairs["touches_closure"].to_numpy()
        return pairs[keep], "dlog", ["growth_pct"]
    keep = np.ones(len(pairs), bool) if sample == SAMPLES[0] else ~pairs["closure"].to_numpy()
    return pairs[keep], "log_arrivals", ["growth_pct", "trend"]


def fit_spec(frame: pd.DataFrame, response: str, regressors: list[str], level: float = 0.95) -> dict:
    """AR(1) GLS and HAC OLS of one specification: the slope on growth, its intervals and the
    residual lag-1 autocorrelation of each.

    The same estimators as :func:`nkbook.analysis.stats.ar1_gls` (statsmodels GLSAR, iterated,
    at most 50 steps) and :func:`nkbook.analysis.stats.hac_ols` (Newey-West bandwidth, small-sample
    correction, t reference), called on arrays rather than formulas, which is several times faster
    (tests/test_economic_push.py checks that they agree).
    """
    from statsmodels.regression.linear_model import GLSAR, OLS

    from nkbook.analysis import stats

    y = frame[response].to_numpy(float)
    X = np.column_stack([np.ones(len(frame))] + [frame[c].to_numpy(float) for c in regressors])
    model = GLSAR(y, X, rho=1)
    gls = model.iterative_fit(maxiter=50)
    lags = stats.newey_west_lags(len(y))
    ols = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    g_lo, g_hi = gls.conf_int(alpha=1 - level)[1]
    h_lo, h_hi = ols.conf_int(alpha=1 - level)[1]
    return {
        "n": len(y),
        "first_year": int(frame["year"].min()),
        "last_year": int(frame["year"].max()),
        "slope": float(gls.params[1]),
        "low": float(g_lo),
        "high": float(g_hi),
        "p": float(gls.pvalues[1]),
        "intercept": float(gls.params[0]),
        "cov": np.asarray(gls.cov_params())[:2, :2],
        "df_resid": float(gls.df_resid),
        "rho": float(model.rho[0]),
        "wresid_ac1": stats.lag1_autocorrelation(gls.wresid),
        "hac_slope": float(ols.params[1]),
        "hac_low": float(h_lo),
        "hac_high": float(h_hi),
        "hac_p": float(ols.pvalues[1]),
        "resid_ac1": stats.lag1_autocorrelation(ols.resid),
        "hac_lags": lags,
    }


def push_grid(
    years: pd.DataFrame, growth: pd.DataFrame, start_year: int, end_year: int, lags=BASE_LAGS
) -> tuple[pd.DataFrame, list[str]]:
    """Every fit of the grid (lag x specification x sample), GLS p-values Holm-adjusted across it.

    A sample that equals the full sample (no closure year in the window) is not fitted twice; a
    fit with fewer than :data:`MIN_FIT_YEARS` years is left out and named in the second return value.
    """
    from nkbook.analysis import stats

    rows, skipped = [], []
    for lag in lags:
        pairs = push_pairs(years, growth, lag, start_year, end_year)
        for spec in SPECS:
            full = spec_data(pairs, spec, SAMPLES[0])[0]
            for sample in SAMPLES:
                frame, response, regressors = spec_data(pairs, spec, sample)
                if sample != SAMPLES[0] and len(frame) == len(full):
                    continue
                if len(frame) < MIN_FIT_YEARS:
                    skipped.append(f"lag {lag}, {spec}, {sample} ({words.plural(len(frame), 'year')})")
                    continue
                rows.append({"lag": lag, "spec": spec, "sample": sample, **fit_spec(frame, response, regressors)})
    grid = pd.DataFrame(rows)
    if len(grid):
        grid["p_holm"] = stats.holm(grid["p"])
        grid["robust"] = grid["p_holm"] < ALPHA
        for col in ("slope", "low", "high"):
            grid[f"pct_{col}"] = 100 * (np.exp(grid[col]) - 1)
    return grid, skipped


def _lags_words(lags: list[int]) -> str:
    return ("lag " if len(lags) == 1 else "lags ") + words.join([str(x) for x in lags])


def grid_where(grid: pd.DataFrame) -> str:
    """Where the reading 'no association' survives the grid: 'at every lag', 'at lag 0 only',
    'at every lag except 3', 'at no lag'."""
    lags = sorted(int(x) for x in grid["lag"].unique())
    holds = [x for x in lags if not grid.loc[grid["lag"] == x, "robust"].any()]
    fails = [x for x in lags if x not in holds]
    if not fails:
        return "at every lag"
    if not holds:
        return "at no lag"
    if len(holds) < len(fails):
        return f"at {_lags_words(holds)} only"
    return f"at every lag except {words.join([str(x) for x in fails])}"


def _fit_words(f) -> str:
    side = (
        "positive: arrivals higher after years of stronger growth"
        if f.slope > 0
        else "negative: arrivals higher after years of weaker growth, the sign a push predicts"
    )
    return (
        f"lag {int(f.lag)}, {f.spec}, {f.sample} ({f.slope:+.3f} log points per point of growth, 95% interval "
        f"{f.low:+.3f} to {f.high:+.3f}, Holm p = {f.p_holm:.3f}; {side})"
    )


def grid_conclusion(grid: pd.DataFrame, skipped: list[str] | None = None) -> str:
    """How 'arrivals do not move with output' survives the grid, in words computed from it."""
    if grid.empty:
        return (
            "The window is too short for any fit of the grid, so the link between growth and arrivals is not examined."
        )
    lags = sorted(int(x) for x in grid["lag"].unique())
    text = (
        f"Across the {words.plural(len(grid), 'fit')} of the grid ({_lags_words(lags)}; "
        f"{words.join(sorted(grid['spec'].unique()))}; with and without the closure years where the window holds "
        f"them), the reading that arrivals do not move with output (no AR(1) GLS slope distinguishable from zero "
        f"after Holm's adjustment at {ALPHA:g}) holds {grid_where(grid)}."
    )
    found = grid[grid["robust"]]
    if len(found):
        text += (
            " The slope is distinguishable from zero at "
            + words.join([_fit_words(f) for f in found.itertuples()])
            + "."
        )
    n_hac = int((grid["hac_p"] < ALPHA).sum())
    text += (
        f" HAC OLS, which over-rejects in series this short, would flag {words.plural(n_hac, 'fit')} at {ALPHA:g} "
        "without adjustment; it is shown for comparison and carries no conclusion."
    )
    if skipped:
        text += f" Left out as too short (fewer than {MIN_FIT_YEARS} years): {words.join(skipped)}."
    return text


def autocorrelation_sentence(grid: pd.DataFrame) -> str:
    """What the residual lag-1 autocorrelation of every fit does to the intervals, in computed words."""
    if grid.empty:
        return ""
    parts = []
    for spec in SPECS:
        g = grid[grid["spec"] == spec]
        if len(g):
            parts.append(f"{g['resid_ac1'].min():.2f} to {g['resid_ac1'].max():.2f} for the {spec} fits")
    ols_max = float(grid["resid_ac1"].max())
    effect = (
        "positive autocorrelation makes intervals that treat the years as independent too narrow"
        if ols_max > 0
        else "it is not positive, so intervals that treat the years as independent are not made too narrow by it"
    )
    w = grid["wresid_ac1"].abs().max()
    left = (
        f"at most {w:.2f} in absolute value, {'little' if w <= AC_LEFT else 'some'} dependence left "
        f"(the book calls up to {AC_LEFT:g} little)"
    )
    tail = (
        "so the GLS intervals account for most of it"
        if w <= AC_LEFT
        else "so even the GLS intervals may be somewhat too narrow where it is largest"
    )
    return (
        f"The least-squares residuals' lag-1 autocorrelation is {words.join(parts)}: {effect}. The AR(1) GLS "
        f"fits estimate the error autocorrelation at {grid['rho'].min():.2f} to {grid['rho'].max():.2f} and "
        f"model it; their whitened residuals keep {left}, {tail}."
    )


def _verdict(low: float, high: float) -> str:
    if low > 0:
        return "lies wholly above zero (arrivals higher after years of stronger growth)"
    if high < 0:
        return "lies wholly below zero (arrivals higher after years of weaker growth)"
    return "includes zero"


def _output_and_arrivals(r, years: pd.DataFrame, growth: pd.DataFrame, data_dir) -> None:
    from nkbook.analysis import grades

    lag_years, start_year, end_year = r.extra["lag_years"], r.extra["start_year"], r.extra["end_year"]
    lr = r.extra["lag_range"]
    r.put("grid_max_lag", lr["max_lag"])
    r.put("grid_lags_extended", lr["extended"])
    r.put("grid_lag_range_sentence", lag_range_sentence(lr))
    r.frames["pairs"] = lagged_pairs(years, growth, lag_years, start_year, end_year)
    grid, skipped = push_grid(years, growth, start_year, end_year, lr["lags"])
    r.frames["lag_grid"] = grid
    r.put("lag_years_words", words.plural(lag_years, "year"))
    peak = int(years.loc[years["total"].idxmax(), "year"])
    r.put("arrivals_peak_year", peak)
    first_y, last_y = int(years["year"].min()), int(years["year"].max())
    r.put(
        "arrivals_peak_sentence",
        f"arrivals fell from their highest, in {first_y}, the window's first year"
        if peak == first_y
        else f"arrivals rose to their highest in {last_y}, the window's last year"
        if peak == last_y
        else f"arrivals rose from {first_y} to a peak in {peak} and fell after it",
    )
    r.put("lag_grid_n_fits", len(grid))
    r.put("lag_grid_skipped_n", len(skipped))
    r.put("lag_grid_conclusion", grid_conclusion(grid, skipped))
    r.put("lag_grid_autocorrelation_sentence", autocorrelation_sentence(grid))
    if grid.empty:
        r.put("grid_where", "not examined")
        r.put_all(grades.result_keys("output", grades.ungraded("the window is too short for any fit of the grid")))
        r.put("gdp_push_sentence", "The window is too short to fit the headline specification.")
        return
    r.put("grid_where", grid_where(grid))
    g = grades.grade(grid["slope"], grid["robust"])
    r.put_all(grades.result_keys("output", g))
    r.put("grade_rule", grades.RULE)
    r.put("grid_resid_ac1_min", grid["resid_ac1"].min(), 2)
    r.put("grid_resid_ac1_max", grid["resid_ac1"].max(), 2)
    r.put("grid_rho_min", grid["rho"].min(), 2)
    r.put("grid_rho_max", grid["rho"].max(), 2)
    for f in grid.itertuples():
        key = f"lag{f.lag}_{'diff' if f.spec == SPECS[0] else 'trend'}" + (
            "" if f.sample == SAMPLES[0] else "_noclosure"
        )
        r.put(f"grid_slope_{key}", f.slope, 3)
        r.put(f"grid_p_holm_{key}", f.p_holm, 3)
        r.put(f"grid_resid_ac1_{key}", f.resid_ac1, 2)
    # the headline: the log-difference specification at the chapter's lag, from the grid
    head = grid[(grid["lag"] == lag_years) & (grid["spec"] == SPECS[0])].set_index("sample")
    r.extra["headline"] = head
    fits = [(suffix, head.loc[s]) for suffix, s in (("", SAMPLES[0]), ("_noclosure", SAMPLES[1])) if s in head.index]
    for suffix, f in fits:
        r.put(f"gdp_slope{suffix}", f["slope"], 3)
        r.put(f"gdp_slope_pct{suffix}", f["pct_slope"], 1)
        r.put(f"gdp_slope_pct{suffix}_low", f["pct_low"], 1)
        r.put(f"gdp_slope_pct{suffix}_high", f["pct_high"], 1)
        r.put(f"gdp_fit_n{suffix}", f["n"])
        r.put(f"gdp_fit_p{suffix}", f["p"], 3)
        r.put(f"gdp_fit_p_holm{suffix}", f["p_holm"], 3)
        r.put(f"gdp_fit_resid_ac1{suffix}", f["resid_ac1"], 2)
        r.put(f"gdp_fit_rho{suffix}", f["rho"], 2)
        r.put(f"gdp_fit_verdict{suffix}", _verdict(f["low"], f["high"]))
    if SAMPLES[0] in head.index:
        r.put("gdp_fit_first_year", head.loc[SAMPLES[0], "first_year"])
        r.put("gdp_fit_last_year", head.loc[SAMPLES[0], "last_year"])
    if SAMPLES[1] in head.index:
        r.put("gdp_fit_closure_n", head.loc[SAMPLES[0], "n"] - head.loc[SAMPLES[1], "n"])
        r.put(
            "gdp_noclosure_sentence",
            f"Leaving out the {words.plural(head.loc[SAMPLES[0], 'n'] - head.loc[SAMPLES[1], 'n'], 'change')} that "
            f"touch a closure year ({head.loc[SAMPLES[1], 'n']} changes left), the estimate is "
            f"{head.loc[SAMPLES[1], 'pct_slope']:+.1f}% (95% interval {head.loc[SAMPLES[1], 'pct_low']:+.1f}% to "
            f"{head.loc[SAMPLES[1], 'pct_high']:+.1f}%; the interval "
            f"{_verdict(head.loc[SAMPLES[1], 'low'], head.loc[SAMPLES[1], 'high'])}).",
        )
    else:
        r.put("gdp_noclosure_sentence", "The window holds no closure year, so there is no second fit without it.")
    push_found = [s for s, f in fits if f["high"] < 0]
    r.put(
        "gdp_push_sentence",
        "No headline interval lies wholly below zero, the sign a push predicts."
        if not push_found
        else f"The headline interval {words.join(push_found)} lies wholly below zero, the sign a push predicts.",
    )


def _closure(r, growth: pd.DataFrame) -> None:
    from nkbook.analysis import stats

    arrivals_by_year = r.extra["arrivals_by_year"]
    growth_by_year = growth.set_index("year")["growth_pct"]
    pairs = r.frames["pairs"]
    need = CLOSURE_YEARS[0] + 1
    r.extra["has_closure"] = r.extra["end_year"] >= need and 2020 in growth_by_year.index
    if not r.extra["has_closure"]:
        note = (
            f"This part needs the years to {need} at least; the window ends in {r.extra['end_year']}, "
            "before the border closure, so it is left out."
        )
        r.put("closure_intro_sentence", note)
        r.put("closure_paragraph", "")
        return
    r.put("growth_2020", growth_by_year.get(2020), 1)
    r.put("contraction_2020", -growth_by_year.get(2020), 1)
    r.put("growth_2020_lowest_since", lowest_since(growth, 2020))
    for y in (2019, 2020, 2021, 2022, 2023):
        r.put(f"arrivals_{y}", arrivals_by_year.get(y))
    a19, a20, a21 = (int(arrivals_by_year.get(y)) for y in (2019, 2020, 2021))
    r.put("fall_2019_2020_pct", 100 * (1 - a20 / a19), 1)
    r.put("fall_2019_2021_pct", 100 * (1 - a21 / a19), 1)
    ratio, lo, hi = stats.rate_ratio_ci(a19, a21)
    r.put("arrivals_2021_vs_2019_ratio", ratio, 3)
    r.put("arrivals_2021_vs_2019_low", lo, 3)
    r.put("arrivals_2021_vs_2019_high", hi, 3)
    twin = twin_shock(pairs, 2020)
    if twin:
        _, tlo, thi = stats.rate_ratio_ci(twin["shock_arrivals"], twin["twin_arrivals"])
        r.put("twin_growth_year", twin["twin_growth_year"])
        r.put("twin_growth_pct", twin["twin_growth_pct"], 1)
        r.put("twin_arrivals_year", twin["twin_year"])
        r.put("twin_arrivals", twin["twin_arrivals"])
        r.put("shock_arrivals_year", twin["shock_year"])
        r.put("shock_arrivals", twin["shock_arrivals"])
        r.put("twin_ratio", twin["ratio"], 1)
        r.put("twin_ratio_low", tlo, 1)
        r.put("twin_ratio_high", thi, 1)
        r.put(
            "twin_sentence",
            f"After a similar fall in output, {words.times(twin['ratio'])} as many people reached the "
            "South with the border open as with it closed (one pair of years: an illustration, not a test).",
        )
    g20 = float(growth_by_year.get(2020))
    r.put(
        "closure_intro_sentence",
        f"In 2020 output {words.direction(0, g20, 'grew', 'shrank', 'did not change')} "
        f"({g20:+.1f}%), and North Korea sealed its border with China in January 2020.",
    )
    r.put("closure_paragraph", _closure_paragraph(r, g20, a19, a20, a21, twin))


def _closure_paragraph(r, g20, a19, a20, a21, twin) -> str:
    lowest = r.get("growth_2020_lowest_since")
    worst = f", the lowest since {lowest}" if lowest is not None else ""
    text = (
        f"In 2020 growth was {g20:.1f}%{worst}. Arrivals {words.direction(a19, a20)} from {a19:,} in 2019 to "
        f"{a20:,} in 2020 and {words.direction(a20, a21)} to {a21:,} in 2021 "
        f"({100 * (a21 / a19 - 1):+.1f}% on 2019). "
    )
    if twin:
        text += (
            f"The year before the closure whose growth came closest to 2020's was {twin['twin_growth_year']} "
            f"({twin['twin_growth_pct']:.1f}%); with the same lag of {words.plural(r['lag_years'], 'year')} it was "
            f"followed by {twin['twin_arrivals']:,} arrivals in {twin['twin_year']}, against "
            f"{twin['shock_arrivals']:,} in {twin['shock_year']}: a ratio of {r['twin_ratio']:.1f} to one (95% "
            f"interval for counting noise only {r['twin_ratio_low']:.1f} to {r['twin_ratio_high']:.1f}). "
            + r["twin_sentence"]
        )
    return text


def _evidence_closure(r) -> None:
    end = r.extra["end_year"]
    if not r.extra.get("has_closure"):
        r.put(
            "evidence_closure_sentence",
            f"The window ends in {end}, before the border closure, so the closure years are not part of this reading.",
        )
        return
    text = (
        f"In 2020 output changed by {r['growth_2020']:+.1f}% and arrivals "
        f"{words.direction(r['arrivals_2019'], r['arrivals_2020'])} from {r['arrivals_2019']:,} in 2019 to "
        f"{r['arrivals_2020']:,}, then {words.direction(r['arrivals_2020'], r['arrivals_2021'])} to "
        f"{r['arrivals_2021']:,} in 2021"
    )
    if r.extra.get("has_trade_closure"):
        t21, t23, a23 = r["trade_2021_pct_of_2019"], r["trade_2023_pct_of_2019"], r["arrivals_2023_pct_of_2019"]
        text += (
            f"; trade with China stood at {t21:.1f}% of its 2019 level in 2021 and {t23:.1f}% in 2023, arrivals at "
            f"{a23:.1f}% of theirs in 2023 (trade "
            f"{words.compare(t23, a23, 'further back than', 'less far back than', 'as far back as')} arrivals)."
        )
    else:
        text += f". The window ends in {end}, before the trade comparison for 2023."
    r.put("evidence_closure_sentence", text)


def _undernourishment(r, fao: pd.DataFrame) -> None:
    pou = pou_by_edition(fao)
    used_pou = used_edition(pou)
    r.frames.update(pou=pou, used_pou=used_pou)
    r.put("pou_edition_title", used_pou["edition_title"].iloc[0])
    r.put("pou_first_period", used_pou["period"].iloc[0])
    r.put("pou_first_pct", used_pou["pou_pct"].iloc[0], 1)
    r.put("pou_last_period", used_pou["period"].iloc[-1])
    r.put("pou_last_pct", used_pou["pou_pct"].iloc[-1], 1)
    change = used_pou["pou_pct"].iloc[-1] - used_pou["pou_pct"].iloc[0]
    r.put("pou_change_points", change, 1)
    r.put("pou_change_abs_points", abs(change), 1)
    r.put("pou_direction", words.direction(used_pou["pou_pct"].iloc[0], used_pou["pou_pct"].iloc[-1]))
    r.put("pou_change_word", words.sign_word(change, "up", "down", "unchanged"))
    r.put("pou_n_editions", pou["edition"].nunique())
    same = pou[~pou["bound"]].groupby("period")["pou_pct"].agg(["min", "max", "count"])
    spread = same[same["count"] > 1]
    widest = (spread["max"] - spread["min"]).idxmax()
    r.put("pou_revision_period", widest)
    r.put("pou_revision_low", spread.loc[widest, "min"], 1)
    r.put("pou_revision_high", spread.loc[widest, "max"], 1)
    top_row = pou.loc[pou["pou_pct"].idxmax()]
    r.put("pou_max_pct", top_row["pou_pct"], 1)
    r.put("pou_max_period", top_row["period"])
    r.put("pou_max_edition", top_row["edition_title"])


def _food_2019(r, food_raw: pd.DataFrame) -> None:
    food = reconcile_food_2019(food_raw)
    fi = food.set_index("estimate_id")
    r.frames["food"] = food
    r.put("food_2019_fao_wfp_pct", fi.loc["fao_wfp_rfsa_2019", "share_pct"], 1)
    r.put("food_2019_fao_wfp_m", fi.loc["fao_wfp_rfsa_2019", "people_millions"], 1)
    r.put("food_2019_pou_pct", fi.loc["un_rc_2019_undernourished", "share_pct"], 1)
    r.put("food_2019_pou_period", fi.loc["un_rc_2019_undernourished", "reference_period"])
    r.put("food_2019_usda_pct", fi.loc["usda_ifsa_2019", "share_pct"], 1)
    r.put("food_2019_usda_m", fi.loc["usda_ifsa_2019", "people_millions"], 1)
    implied = food["implied_population_m"].dropna()
    r.put("food_2019_implied_pop_low", implied.min(), 1)
    r.put("food_2019_implied_pop_high", implied.max(), 1)
    same = words.is_close(implied.min(), implied.max())
    r.put(
        "food_2019_denominator_sentence",
        f"so they are {'close to one another' if same else 'not close to one another'} (the book calls two "
        f"values close when they differ by at most {100 * words.CLOSE:.0f}%): "
        + (
            "the assessments share a denominator and differ in what they count."
            if same
            else "the assessments do not share one denominator, so they differ in more than what they count."
        ),
    )
    # the essay's figure (seed_essay2024: "43% food insecure"), read against the published shares
    match = food[food["share_pct"].round(0) == ESSAY_FOOD_PCT]
    kinds = {
        "undernourished_pou": "the undernourishment rate",
        "undernourished_need_assistance": "the undernourishment rate",
    }
    read = sorted({kinds.get(m, "a food-insecurity share") for m in match["measure"]})
    r.put(
        "food_2019_essay_sentence",
        f"The essay's {ESSAY_FOOD_PCT}% matches {words.join(read, 'or')} when rounded"
        if read
        else f"No published 2019 share rounds to the essay's {ESSAY_FOOD_PCT}%",
    )


def _grain(r, grain_raw: pd.DataFrame, end_year: int) -> None:
    grain = grain_runs(grain_raw)
    grain = grain[grain["year"] <= end_year]
    gi = grain.set_index("year")["value_mt"]
    recent = grain[grain["year"] >= 2015]
    if recent.empty:  # a window ending before 2015: the last five estimates instead
        recent = grain.tail(5)
    r.frames.update(grain=grain, grain_recent=recent)
    r.put("grain_series_first_year", grain["year"].min())
    r.put("grain_series_last_year", grain["year"].max())
    r.put("grain_n_years", len(grain))
    if 2019 in gi.index and 2020 in gi.index:
        r.put("grain_2019", gi.get(2019), 2)
        r.put("grain_2020", gi.get(2020), 2)
        r.put(
            "grain_closure_sentence",
            f"The harvest was {gi[2019]:.2f} million tonnes in 2019 and {gi[2020]:.2f} in 2020, the first closure year "
            f"({words.compare(gi[2020], gi[2019], 'larger than', 'smaller than')} the year before).",
        )
    else:
        r.put("grain_closure_sentence", f"The window ends in {end_year}, before the closure harvests.")
    r.put("grain_recent_min", recent["value_mt"].min(), 2)
    r.put("grain_recent_min_year", recent.loc[recent["value_mt"].idxmin(), "year"])
    r.put("grain_recent_first_year", recent["year"].min())
    r.put("grain_recent_max", recent["value_mt"].max(), 2)
    r.put("grain_recent_max_year", recent.loc[recent["value_mt"].idxmax(), "year"])
    r.put("grain_latest", grain["value_mt"].iloc[-1], 2)
    r.put("grain_latest_year", grain["year"].iloc[-1])
    prod94 = grain_raw[
        (grain_raw["series"] == GRAIN_SERIES) & (grain_raw["year"] == 1994) & (grain_raw["measure"] == "production")
    ]["value_mt"]
    if len(prod94):
        lowest = float(recent["value_mt"].min())
        r.put(
            "grain_vs_1994_sentence",
            f"Even the lowest of them is {words.extent(lowest, float(prod94.iloc[0]))} the 1994 harvest of "
            f"{float(prod94.iloc[0]):.2f} million tonnes.",
        )
    else:
        r.put("grain_vs_1994_sentence", "No 1994 estimate of the same series was found to compare them with.")


def _trade(r, trade_all: pd.DataFrame, years: pd.DataFrame) -> None:
    from nkbook.analysis import stats

    start_year, end_year = r.extra["start_year"], r.extra["end_year"]
    shares = trade_all.dropna(subset=["china_share_pct"]).sort_values("year")
    r.put("china_share_first_pct", shares["china_share_pct"].iloc[0], 1)
    r.put("china_share_first_year", shares["year"].iloc[0])
    r.put("china_share_last_pct", shares["china_share_pct"].iloc[-1], 1)
    r.put("china_share_last_year", shares["year"].iloc[-1])
    trade = trade_by_year(trade_all)
    trade = trade[(trade["year"] >= start_year) & (trade["year"] <= end_year)]
    tv = trade.set_index("year")["total_usd_bn"]
    arr = years.set_index("year")["total"].astype(float)
    check_years = [y for y in (2020, 2021, 2022, 2023, 2024) if y <= end_year]
    trade_rel = relative_to(tv, 2019, check_years)
    arr_rel = relative_to(arr, 2019, check_years)
    r.put(
        "china_share_direction",
        words.direction(shares["china_share_pct"].iloc[0], shares["china_share_pct"].iloc[-1], "grew", "fell"),
    )
    has = all(pd.notna(tv.get(y)) for y in (2019, 2020, 2021, 2023)) and all(y in arr.index for y in (2019, 2021, 2023))
    r.extra["has_trade_closure"] = has
    if has:
        r.put("trade_2019", tv.get(2019), 2)
        r.put("trade_2020", tv.get(2020), 3)
        r.put("trade_2021", tv.get(2021), 3)
        r.put("trade_2023", tv.get(2023), 2)
    for y in check_years:
        if trade_rel[y] is not None:
            r.put(f"trade_{y}_pct_of_2019", trade_rel[y], 1)
        if arr_rel[y] is not None:
            r.put(f"arrivals_{y}_pct_of_2019", arr_rel[y], 1)
    if has:
        t21, a21 = r["trade_2021_pct_of_2019"], r["arrivals_2021_pct_of_2019"]
        t23, a23 = r["trade_2023_pct_of_2019"], r["arrivals_2023_pct_of_2019"]
        r.put(
            "trade_closure_paragraph",
            f"Trade {words.direction(tv[2019], tv[2021])} from US$ {tv[2019]:.2f} billion in 2019 to {tv[2021]:.3f} "
            f"billion in 2021, {t21:.1f}% of its 2019 level; arrivals {words.direction(arr[2019], arr[2021])} to "
            f"{a21:.1f}% of theirs. By 2023 trade was at {t23:.1f}% of 2019 and arrivals at {a23:.1f}%: trade "
            f"recovered {words.compare(t23, a23, 'further than', 'less far than', 'as far as')} arrivals.",
        )
    else:
        r.put(
            "trade_closure_paragraph",
            "The window does not hold trade totals for 2019, 2020, 2021 and 2023, so the "
            "closure comparison of trade and arrivals is left out.",
        )
    missing = [y for y in range(start_year, end_year + 1) if pd.isna(tv.get(y))]
    r.put("trade_missing_years", ", ".join(str(y) for y in missing) if missing else "none")
    both = pd.concat([tv.rename("trade"), arr.rename("arrivals")], axis=1).dropna()
    idx = both.index.to_series()
    both = both[idx.lt(CLOSURE_YEARS[0]) | idx.gt(CLOSURE_YEARS[1])]
    if len(both) >= 6:
        corr = stats.pearson_ci(np.log(both["trade"]), np.log(both["arrivals"]))
        r.put("trade_arrivals_r", corr["r"], 2)
        r.put("trade_arrivals_r_low", corr["low"], 2)
        r.put("trade_arrivals_r_high", corr["high"], 2)
        r.put("trade_arrivals_n", corr["n"])
        r.put(
            "trade_corr_sentence",
            f"Outside the closure, in the {corr['n']} years with both figures, the logarithms of trade and arrivals "
            f"correlate at r = {r['trade_arrivals_r']:.2f} (95% interval {r['trade_arrivals_r_low']:.2f} to "
            f"{r['trade_arrivals_r_high']:.2f}, an interval that treats the years as independent and is therefore too "
            "narrow for these autocorrelated series); the totals mix agencies and both series have their own trends, "
            "so this is a description that carries no conclusion, not a mechanism.",
        )
    else:
        r.put(
            "trade_corr_sentence",
            f"The window holds only {words.plural(len(both), 'year')} outside the closure "
            "with both trade and arrivals, too few to correlate them.",
        )
    r.frames.update(trade=trade, trade_missing=pd.DataFrame({"year": missing, "status": "Total not found"}))
    r.extra.update(trade_values=tv, arrivals_values=arr)


def _motives(r, motive_raw: pd.DataFrame) -> None:
    from nkbook.analysis import stats

    motives = motive_shares(motive_raw)
    m = motives.set_index(["survey_id", "group"])
    r.frames["motives"] = motives

    def share(survey, group, col="share"):
        return m.loc[(survey, group), col] if (survey, group) in m.index else None

    r.put("motive_pre2001_econ", share("mou_hanawon_pre2001", "economic"), 1)
    r.put("motive_2014_2016_econ_low", share("mou_hanawon_2014_2016", "economic", "low"), 1)
    r.put("motive_2020_food", share("mou_2020", "economic"), 1)
    r.put("motive_2020_regime", share("mou_2020", "political"), 1)
    r.put("motive_2023_food", share("mou_2023_arrivals", "economic"), 1)
    r.put("motive_2023_regime", share("mou_2023_arrivals", "political"), 1)
    r.put("motive_snu_econ", share("snu_ipus_2018", "economic"), 1)
    r.put("motive_snu_political", share("snu_ipus_2018", "political"), 1)
    snu_n = int(m.loc[("snu_ipus_2018", "economic"), "sample_size"])
    r.put("motive_snu_n", snu_n)
    snu_lo, snu_hi = stats.proportion_ci(round(share("snu_ipus_2018", "economic") / 100 * snu_n), snu_n)
    r.put("motive_snu_econ_low", snu_lo, 1)
    r.put("motive_snu_econ_high", snu_hi, 1)
    r.put("motive_peterson_econ", share("peterson_2009", "economic"), 1)
    r.put("motive_registered_econ", share("mou_registered_c2015", "economic"), 1)
    r.put("motive_n_surveys", motives["survey_id"].nunique())
    mou = motives[motives["survey_id"].str.startswith("mou_") & (motives["group"] == "economic")]
    mou_share = mou["share"].dropna()
    r.put("motive_mou_econ_n", int(mou["survey_id"].nunique()))
    r.put("motive_mou_econ_min", mou_share.min(), 1)
    r.put("motive_mou_econ_max", mou_share.max(), 1)
    base_2023 = int(r.extra["arrivals_by_year"].get(2023))
    d, dlo, dhi = two_shares_diff_ci(
        share("mou_2023_arrivals", "political"), share("mou_2023_arrivals", "economic"), base_2023
    )
    r.put("motive_2023_base_n", base_2023)
    r.put("motive_2023_gap", d, 1)
    r.put("motive_2023_gap_low", dlo, 1)
    r.put("motive_2023_gap_high", dhi, 1)
    first = lambda s: "food shortage" if share(s, "economic") > share(s, "political") else "dislike of the regime"
    r.put(
        "motive_order_sentence",
        "the order was the same" if first("mou_2020") == first("mou_2023_arrivals") else "the order reversed",
    )
    r.put(
        "motive_gap_words",
        "the two are indistinguishable" if dlo <= 0 <= dhi else "the gap is larger than these figures' sampling noise",
    )
    r.put(
        "motive_gap_sentence",
        "so 'the regime overtook food' is not something these figures can show."
        if dlo <= 0 <= dhi
        else "so even at that most favourable base the order of the two reasons is larger than sampling noise.",
    )
    r.put(
        "motive_econ_direction",
        words.direction(share("mou_hanawon_pre2001", "economic"), share("mou_2023_arrivals", "economic")),
    )


# charts and tables (each a function of the results)


def _year_x(first: int, last: int, title: str = "Year", field: str = "year"):
    """A year axis whose labels never touch: one label every 2, 5 or 10 years (by the span), with
    space kept between labels, so that a phone (390 px) and the printed page both read them."""
    import altair as alt

    span = max(int(last) - int(first), 1)
    step = 2 if span <= 12 else 5 if span <= 40 else 10
    start = int(math.ceil(int(first) / step) * step)
    return alt.X(
        f"{field}:Q",
        title=title,
        axis=alt.Axis(
            format="d", values=list(range(start, int(last) + 1, step)), labelOverlap="greedy", labelSeparation=6
        ),
        scale=alt.Scale(domain=[int(first) - 0.5, int(last) + 0.5], nice=False, zero=False),
    )


def gdp_title(r) -> str:
    """The GDP chart's title, stating the finding (computed)."""
    run = r.extra["run"]
    g = r.frames["growth"]
    first, last = int(g["year"].min()), int(g["year"].max())
    if not run["length"]:
        return f"North Korea's output grew in every year from {first} to {last}"
    if run["length"] == 1:
        return f"North Korea's output shrank in {run['start']}, never in two consecutive years"
    return f"North Korea's output shrank in {run['length']} consecutive years, {run['start']}–{run['end']}"


def gdp_chart(r):
    import altair as alt

    from nkbook.present import charts

    run, g = r.extra["run"], r.frames["growth"].copy()
    first, last = int(g["year"].min()), int(g["year"].max())
    run_label = f"Longest run of contraction ({run['start']}–{run['end']})" if run["length"] else None
    g["kind"] = "Growth"
    g.loc[g["growth_pct"] < 0, "kind"] = "Contraction"
    if run_label:
        g.loc[g["year"].between(run["start"], run["end"]), "kind"] = run_label
    g["release"] = g["release_year"].astype(int)
    kinds = [k for k in [run_label, "Contraction", "Growth"] if k]
    colours = [charts.HIGHLIGHT, charts.MUTED, charts.PALETTE[0]][-len(kinds) :]
    bars = (
        alt.Chart(plot_frame(g))
        .mark_bar(size=charts.bar_size(len(g), 400))
        .encode(
            x=_year_x(first, last),
            y=alt.Y("growth_pct:Q", title="Real growth on the previous year (%)"),
            color=alt.Color(
                "kind:N", title=None, scale=alt.Scale(domain=kinds, range=colours), legend=alt.Legend(labelLimit=300)
            ),
            tooltip=[
                alt.Tooltip("year:Q", title="Year", format="d"),
                alt.Tooltip("growth_pct:Q", title="Growth (%)"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("release:Q", title="Released", format="d"),
            ],
        )
    )
    layers = [charts.closure_band(), bars] if last >= CLOSURE_YEARS[0] else [bars]
    start = r.extra["start_year"]
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(
            gdp_title(r),
            subtitle="Real growth, Bank of Korea estimates as first published"
            + ("; shaded: the border closure" if last >= CLOSURE_YEARS[0] else "")
            + (f"; years before {start} are context outside the window" if first < start else ""),
        ),
    )
    by_year = g.set_index("year")["growth_pct"]
    return charts.show(
        chart,
        name="economic_push-gdp-growth",
        description=(
            f"Bar chart of yearly real growth from {first} to {last}. "
            + (
                f"Growth was negative in every year from {run['start']} to {run['end']} "
                f"({words.plural(run['length'], 'year')})"
                if run["length"]
                else "Growth was not negative in any year"
            )
            + (f"; in 2020 it was {by_year[2020]:+.1f} percent." if 2020 in by_year.index else ".")
        ),
        source="Bank of Korea, first-published estimates as reported at release (1993: GNP).",
        data=g[["year", "growth_pct", "measure", "release_year", "source"]],
    )


def famine_chart(r):
    import altair as alt

    from nkbook.present import charts

    famine = r.frames["famine"]
    est = famine[famine["kind"] == "estimate"]
    demo = est[est["method_class"].str.startswith("Demographic")]
    order = list(famine["label"])
    classes = sorted(famine["method_class"].unique())
    colours = [charts.MUTED if c.startswith("Summary") else charts.PALETTE[i % 6] for i, c in enumerate(classes)]
    base = alt.Chart(plot_frame(famine)).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=250)),
        color=alt.Color(
            "method_class:N",
            title="Method",
            scale=alt.Scale(domain=classes, range=colours),
            legend=alt.Legend(orient="bottom", columns=1, labelLimit=400),
        ),
        tooltip=[
            alt.Tooltip("author_agency:N", title="Estimate by"),
            alt.Tooltip("low:Q", title="Low", format=","),
            alt.Tooltip("high:Q", title="High", format=","),
            alt.Tooltip("method:N", title="Method"),
            alt.Tooltip("period_covered:N", title="Period"),
            alt.Tooltip("published_year:Q", title="Published", format="d"),
        ],
    )
    ranges = (
        base.transform_filter("!datum.single")
        .mark_rule(strokeWidth=9)
        .encode(
            x=alt.X("low:Q", title="Famine deaths (people)", axis=alt.Axis(format="~s"), scale=alt.Scale(nice=True)),
            x2="high:Q",
        )
    )
    points = (
        base.transform_filter("datum.single")
        .mark_point(filled=True, size=110, shape="diamond", opacity=1)
        .encode(x=alt.X("low:Q"))
    )
    chart = (ranges + points).properties(
        width=300,
        title=alt.TitleParams(
            f"Published estimates of famine deaths in the 1990s range from {int(est['low'].min()):,} to "
            f"{int(est['high'].max()):,}",
            subtitle="Each bar is one published range, each diamond one published figure; colour: method",
        ),
    )
    return charts.show(
        chart,
        name="economic_push-famine-estimates",
        description=(
            f"Range chart of {len(est)} published estimates of famine deaths, from "
            f"{int(est['low'].min()):,} to {int(est['high'].max()):,}, with a summary range "
            f"at the bottom. The demographic estimates lie between {int(demo['low'].min()):,} "
            f"and {int(demo['high'].max()):,}."
        ),
        source=(
            "Haggard and Noland (2007); PIIE; Free Korea (2005); Wikipedia (2022 revision, "
            "tertiary), as compiled in the book's famine_deaths dataset."
        ),
        data=famine[["author_agency", "published_year", "low", "high", "method", "period_covered", "method_class"]],
    )


# series names of the push charts (colours from charts.SERIES_COLOURS, one per series book-wide)
FIT_SERIES = {SAMPLES[0]: "All years", SAMPLES[1]: "Closure years left out"}


def _headline_words(r) -> str:
    head = r.extra.get("headline")
    if head is None or head.empty:
        return "too few years to fit"
    robust = bool(head["robust"].any())
    excl = bool(((head["low"] > 0) | (head["high"] < 0)).any())
    if robust:
        return "a link distinguishable from zero after Holm's adjustment"
    if excl:
        return "a link in one fit that does not survive Holm's adjustment across the grid"
    return "no link distinguishable from zero"


def growth_arrivals_title(r) -> str:
    lag = r.extra["lag_years"]
    return f"Change in arrivals against growth {words.plural(lag, 'year')} earlier: {_headline_words(r)}"


def growth_arrivals_chart(r):
    import altair as alt
    from scipy import stats as sps

    from nkbook.present import charts

    lag, head = r.extra["lag_years"], r.extra.get("headline")
    if head is None or head.empty:
        return _not_shown(r["lag_grid_conclusion"])
    pairs = push_pairs(r.frames["years"], r.frames["growth"], lag, r.extra["start_year"], r.extra["end_year"])
    pts = pairs.dropna(subset=["dlog"]).copy()
    pts["ratio"] = np.exp(pts["dlog"])
    closure_label = f"Change touching the closure ({CLOSURE_YEARS[0]}–{CLOSURE_YEARS[1] + 1})"
    pts["period"] = np.where(pts["touches_closure"], closure_label, "Other years")
    x_lo, x_hi = float(pts["growth_pct"].min()), float(pts["growth_pct"].max())
    grid_x = np.linspace(x_lo, x_hi, 40)
    lines = []
    for sample, f in head.iterrows():
        se = np.sqrt([np.array([1.0, x]) @ f["cov"] @ np.array([1.0, x]) for x in grid_x])
        q = sps.t.ppf(0.975, f["df_resid"])
        fit = f["intercept"] + f["slope"] * grid_x
        lines.append(
            pd.DataFrame(
                {
                    "growth_pct": grid_x,
                    "fit": np.exp(fit),
                    "low": np.exp(fit - q * se),
                    "high": np.exp(fit + q * se),
                    "series": FIT_SERIES[sample],
                }
            )
        )
    band = pd.concat(lines, ignore_index=True)
    scale = charts.series_scale([FIT_SERIES[s] for s in head.index])
    area = (
        alt.Chart(band)
        .mark_area(opacity=0.15)
        .encode(x="growth_pct:Q", y="low:Q", y2="high:Q", color=alt.Color("series:N", scale=scale, legend=None))
    )
    line = (
        alt.Chart(band)
        .mark_line(strokeWidth=2)
        .encode(
            x="growth_pct:Q",
            y="fit:Q",
            color=alt.Color("series:N", title="AR(1) GLS fit", scale=scale),
            tooltip=[
                alt.Tooltip("series:N", title="Fit"),
                alt.Tooltip("growth_pct:Q", title="Growth (%)", format=".1f"),
                alt.Tooltip("fit:Q", title="Fitted ratio to the year before", format=".2f"),
            ],
        )
    )
    dots = (
        alt.Chart(plot_frame(pts[["year", "arrivals", "growth_year", "growth_pct", "ratio", "period"]]))
        .mark_point(filled=True, size=70, opacity=0.9)
        .encode(
            x=alt.X("growth_pct:Q", title=f"Real growth {words.plural(lag, 'year')} before the arrival year (%)"),
            y=alt.Y(
                "ratio:Q",
                title="Arrivals as a multiple of the year before (log scale)",
                scale=alt.Scale(type="log"),
            ),
            shape=alt.Shape(
                "period:N",
                title=None,
                scale=alt.Scale(domain=["Other years", closure_label], range=["square", "circle"]),
                legend=alt.Legend(labelLimit=300),
            ),
            tooltip=[
                alt.Tooltip("year:Q", title="Arrival year", format="d"),
                alt.Tooltip("arrivals:Q", title="Arrivals", format=","),
                alt.Tooltip("ratio:Q", title="Multiple of the year before", format=".2f"),
                alt.Tooltip("growth_year:Q", title="Growth year", format="d"),
                alt.Tooltip("growth_pct:Q", title="Growth (%)"),
            ],
            color=alt.value(charts.TOTAL),
        )
    )
    tags = (
        alt.Chart(plot_frame(pts[pts["touches_closure"]][["growth_pct", "ratio", "year"]]))
        .mark_text(dx=6, dy=-6, align="left", fontSize=11, color="#333")
        .encode(x="growth_pct:Q", y="ratio:Q", text=alt.Text("year:Q", format="d"))
    )
    f0 = head.iloc[0]
    chart = alt.layer(area, line, dots, tags).properties(
        title=alt.TitleParams(
            growth_arrivals_title(r),
            subtitle="Lines: AR(1) GLS fits of the change in log arrivals, with 95% bands for the fitted line",
        )
    )
    desc = "; ".join(
        f"{FIT_SERIES[s].lower()}: {f['pct_slope']:+.1f}% per point of growth (95% interval "
        f"{f['pct_low']:+.1f} to {f['pct_high']:+.1f})"
        for s, f in head.iterrows()
    )
    return charts.show(
        chart,
        name="economic_push-growth-arrivals",
        description=(
            f"Scatter of {words.plural(len(pts), 'year')} of arrivals as a multiple of the year before (log scale), "
            f"{int(f0['first_year'])} to {int(f0['last_year'])}, against growth {words.plural(lag, 'year')} earlier, "
            f"with fitted lines. {desc}."
        ),
        source="Bank of Korea (growth, first published); Ministry of Unification (arrivals); fits by the book.",
        data=pts[["year", "arrivals", "ratio", "growth_year", "growth_pct", "touches_closure"]],
    )


def grid_title(r) -> str:
    grid = r.frames["lag_grid"]
    if grid.empty:
        return "The window is too short for the lag grid"
    return f"No association between growth and arrivals holds {grid_where(grid)} (AR(1) GLS, Holm-adjusted)"


def grid_chart(r):
    import altair as alt

    from nkbook.present import charts

    g = r.frames["lag_grid"]
    if g.empty:
        return _not_shown(r["lag_grid_conclusion"])
    d = g[["lag", "spec", "sample", "n", "slope", "low", "high", "p_holm", "robust", "resid_ac1", "rho"]].copy()
    d["series"] = d["sample"].map(FIT_SERIES)
    d["fit"] = d["spec"] + " · " + d["series"]
    d["holm"] = d["robust"].map({True: "Distinguishable from zero (Holm)", False: "Not distinguishable"})
    scale = charts.series_scale(list(dict.fromkeys(d["series"])))
    base = alt.Chart(plot_frame(d)).encode(
        x=alt.X("lag:O", title="Lag between growth and arrival year (years)", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("fit:N", sort=list(dict.fromkeys(d["fit"]))),
        color=alt.Color("series:N", title=None, scale=scale),
    )
    rules = base.mark_rule(strokeWidth=2).encode(y="low:Q", y2="high:Q")
    pts = base.mark_point(size=70, filled=True).encode(
        y=alt.Y("slope:Q", title="Slope on growth (log points per point)"),
        shape=alt.Shape("spec:N", title=None, scale=alt.Scale(domain=list(SPECS), range=["circle", "square"])),
        opacity=alt.Opacity(
            "holm:N",
            title=None,
            scale=alt.Scale(domain=["Distinguishable from zero (Holm)", "Not distinguishable"], range=[1.0, 0.45]),
        ),
        tooltip=[
            alt.Tooltip("lag:O", title="Lag"),
            alt.Tooltip("spec:N", title="Specification"),
            alt.Tooltip("sample:N", title="Years"),
            alt.Tooltip("n:Q", title="n"),
            alt.Tooltip("slope:Q", title="GLS slope", format="+.3f"),
            alt.Tooltip("low:Q", title="95% low", format="+.3f"),
            alt.Tooltip("high:Q", title="95% high", format="+.3f"),
            alt.Tooltip("p_holm:Q", title="Holm p", format=".3f"),
            alt.Tooltip("resid_ac1:Q", title="OLS residual lag-1 autocorrelation", format=".2f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color=charts.MUTED, strokeDash=[4, 3]).encode(y="y:Q")
    chart = alt.layer(zero, rules, pts).properties(
        height=260,
        title=alt.TitleParams(
            grid_title(r),
            subtitle="AR(1) GLS slope and 95% interval for every fit of the grid; 0 means no association",
        ),
    )
    return charts.show(
        chart,
        name="economic_push-lag-grid",
        description=(
            f"Slopes with 95% intervals for {words.plural(len(g), 'fit')} of the lag grid. " + r["lag_grid_conclusion"]
        ),
        source="Bank of Korea (growth, first published); Ministry of Unification (arrivals); fits by the book.",
        data=d[["lag", "spec", "sample", "n", "slope", "low", "high", "p_holm", "resid_ac1"]],
    )


def _not_shown(text: str):
    from IPython.display import Markdown

    return Markdown(f"*{text}*")


def paradox_chart(r):
    import altair as alt

    from nkbook.present import charts

    if not r.extra.get("has_closure"):
        return _not_shown(r["closure_intro_sentence"])
    growth, years, end_year = r.frames["growth"], r.frames["years"], r.extra["end_year"]
    arrivals = r.extra["arrivals_by_year"]
    para = pd.concat(
        [
            growth[(growth["year"] >= 2015) & (growth["year"] <= end_year)][["year", "growth_pct"]].assign(
                panel="Real growth (%)", value=lambda d: d["growth_pct"]
            ),
            years[years["year"] >= 2015][["year", "total"]].assign(
                panel="Arrivals (people)", value=lambda d: d["total"].astype(int)
            ),
        ]
    )[["year", "panel", "value"]]
    common = dict(
        x=alt.X(
            "year:Q",
            title="Year",
            axis=alt.Axis(format="d", tickMinStep=1),
            scale=alt.Scale(domain=[2014.5, end_year + 0.5], nice=False, zero=False),
        )
    )
    top = (
        alt.Chart(para[para["panel"] == "Real growth (%)"])
        .mark_bar(size=18)
        .encode(
            **common,
            y=alt.Y("value:Q", title="Real growth (%)"),
            color=alt.condition("datum.value < 0", alt.value(charts.HIGHLIGHT), alt.value(charts.PALETTE[0])),
            tooltip=[alt.Tooltip("year:Q", format="d", title="Year"), alt.Tooltip("value:Q", title="Growth (%)")],
        )
    )
    bottom = (
        alt.Chart(para[para["panel"] == "Arrivals (people)"])
        .mark_bar(color=charts.TOTAL, size=18)
        .encode(
            **common,
            y=alt.Y("value:Q", title="Arrivals (people per year)"),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("value:Q", title="Arrivals", format=","),
            ],
        )
    )
    chart = alt.vconcat(
        (charts.closure_band() + top).properties(height=150, width=520),
        (charts.closure_band() + bottom).properties(height=150, width=520),
    ).properties(
        title=alt.TitleParams(
            f"In 2020 growth was {r['growth_2020']:+.1f}% and arrivals "
            f"{words.direction(r['arrivals_2019'], r['arrivals_2020'])} from {r['arrivals_2019']:,} to "
            f"{r['arrivals_2020']:,}, then {r['arrivals_2021']:,} in 2021",
            subtitle="Top: real growth; bottom: arrivals in South Korea; shaded: the border closure",
        )
    )
    a19, a20, a21 = (int(arrivals.get(y)) for y in (2019, 2020, 2021))
    return charts.show(
        chart,
        name="economic_push-closure-paradox",
        description=(
            f"Two stacked bar charts from 2015. Growth was "
            f"{growth.set_index('year')['growth_pct'].get(2020)} percent in 2020 while "
            f"arrivals {words.direction(a19, a20)} from {a19:,} in 2019 to {a20:,} in 2020 and "
            f"{words.direction(a20, a21)} to {a21:,} in 2021."
        ),
        source="Bank of Korea (growth, first published); Ministry of Unification (arrivals).",
        data=para,
    )


def lag_grid_table(r):
    from nkbook.present import charts

    g = r.frames["lag_grid"]
    if g.empty:
        return _not_shown(r["lag_grid_conclusion"])
    return charts.table(
        pd.DataFrame(
            {
                "Lag (years)": g["lag"],
                "Specification": g["spec"],
                "Years": g["sample"],
                "n": g["n"],
                "GLS slope": g["slope"].round(3),
                "GLS 95% interval": [f"{lo:+.3f} to {hi:+.3f}" for lo, hi in zip(g["low"], g["high"])],
                "Holm p (GLS)": g["p_holm"].round(3),
                "HAC slope": g["hac_slope"].round(3),
                "HAC p (comparison only)": g["hac_p"].round(3),
                "OLS residual lag-1 autocorrelation": g["resid_ac1"].round(2),
                "GLS error autocorrelation": g["rho"].round(2),
                "GLS whitened residual lag-1 autocorrelation": g["wresid_ac1"].round(2),
            }
        ),
        caption=(
            "Slope of log arrivals (log-difference: their change on the year before; level with trend: with a "
            "linear trend term) on growth lag years earlier; AR(1) GLS, Holm across the grid; HAC OLS beside it"
        ),
        digits=3,
    )


def pou_chart(r):
    import altair as alt

    from nkbook.present import charts

    pou, used_pou = r.frames["pou"], r.frames["used_pou"]
    plot = pou.assign(
        figure=pou["bound"].map({True: "Lower bound ('more than')", False: "Published value"}),
        analysis=pou["used"].map({True: "Edition used by the book", False: "Other edition"}),
    )
    ed_order = list(dict.fromkeys(plot["edition_title"]))
    enc = dict(
        x=alt.X(
            "mid_year:Q",
            title="Middle year of the three-year period",
            axis=alt.Axis(format="d"),
            scale=alt.Scale(zero=False),
        ),
        y=alt.Y("pou_pct:Q", title="Undernourished (% of population)", scale=alt.Scale(domain=[0, 60])),
        color=alt.Color(
            "edition_title:N",
            title="Edition",
            sort=ed_order,
            legend=alt.Legend(orient="bottom", columns=1, labelLimit=500),
        ),
    )
    plot = plot_frame(
        plot, ["period", "mid_year", "pou_pct", "pou_qualifier", "edition_title", "segment", "figure", "analysis"]
    )
    lines = alt.Chart(plot).mark_line(strokeWidth=1.5).encode(**enc, detail="segment:N")
    pts = (
        alt.Chart(plot)
        .mark_point(filled=True, size=90)
        .encode(
            **enc,
            shape=alt.Shape(
                "figure:N",
                title=None,
                scale=alt.Scale(
                    domain=["Published value", "Lower bound ('more than')"], range=["circle", "triangle-up"]
                ),
            ),
            tooltip=[
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("pou_pct:Q", title="Undernourished (%)"),
                alt.Tooltip("pou_qualifier:N", title="As published"),
                alt.Tooltip("edition_title:N", title="Edition"),
                alt.Tooltip("analysis:N", title="Role"),
            ],
        )
    )
    chart = (lines + pts).properties(
        width=520,
        title=alt.TitleParams(
            f"Undernourishment {r['pou_direction']} from {r['pou_first_pct']:.1f}% to {r['pou_last_pct']:.1f}% in "
            "the FAO edition the book reads",
            subtitle="Editions are never joined; lines link only consecutive periods of one edition",
        ),
    )
    return charts.show(
        chart,
        name="economic_push-undernourishment",
        description=(
            f"Points for {len(pou)} published undernourishment rates from "
            f"{pou['edition'].nunique()} editions. In the {used_pou['edition_title'].iloc[0]} "
            f"the rate {r['pou_direction']} from {used_pou['pou_pct'].iloc[0]} percent in "
            f"{used_pou['period'].iloc[0]} to {used_pou['pou_pct'].iloc[-1]} percent in "
            f"{used_pou['period'].iloc[-1]}."
        ),
        source="FAO (SOFI 2018, 2019, 2021, 2022; Statistical Yearbook 2021); FAO/WFP regional overview 2021.",
        data=pou[["period", "edition_title", "pou_pct", "pou_qualifier", "undernourished_millions", "used"]],
    )


def _with_qualifier(value, qualifier, unit: str = "") -> str:
    if pd.isna(value):
        return "not published"
    words = {"about": "about ", "more_than": "more than ", "less_than": "less than "}
    return f"{words.get(qualifier, '')}{value:g}{unit}"


def food_table(r):
    from nkbook.present import charts

    food = r.frames["food"]
    return charts.table(
        pd.DataFrame(
            {
                "Agency": food["agency"],
                "Refers to": food["reference_period"],
                "What is counted": food["measure_definition"],
                "People": [
                    _with_qualifier(v, q, " million") for v, q in zip(food["people_millions"], food["people_qualifier"])
                ],
                "Share of population": [
                    _with_qualifier(v, q, "%") for v, q in zip(food["share_pct"], food["share_qualifier"])
                ],
                "Implied population (million)": food["implied_population_m"].round(1),
            }
        )
    )


def grain_title(r) -> str:
    """The grain chart's title, stating the finding (computed)."""
    return (
        f"Food-crop harvests since {r['grain_recent_first_year']} ranged from {r['grain_recent_min']:.2f} to "
        f"{r['grain_recent_max']:.2f} million tonnes"
    )


def grain_chart(r):
    import altair as alt

    from nkbook.present import charts

    grain, recent = r.frames["grain"], r.frames["grain_recent"]
    gp = grain.assign(
        dating=grain["year_inferred"].map({True: "Year inferred from an undated report", False: "Year as published"})
    )
    first, last = int(grain["year"].min()), int(grain["year"].max())
    enc = dict(
        x=_year_x(first, last, title="Harvest year"),
        y=alt.Y("value_mt:Q", title="Food-crop production (million tonnes)", scale=alt.Scale(domain=[0, 6])),
    )
    gp = plot_frame(gp, ["year", "value_mt", "value_qualifier", "segment", "dating"])
    lines = alt.Chart(gp).mark_line(color=charts.PALETTE[2]).encode(**enc, detail="segment:N")
    pts = (
        alt.Chart(gp)
        .mark_point(filled=True, size=60, color=charts.PALETTE[2])
        .encode(
            **enc,
            shape=alt.Shape("dating:N", title=None),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("value_mt:Q", title="Million tonnes"),
                alt.Tooltip("value_qualifier:N", title="As published"),
                alt.Tooltip("dating:N", title="Dating"),
            ],
        )
    )
    layers = ([charts.closure_band()] if last >= CLOSURE_YEARS[0] else []) + [lines, pts]
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(
            grain_title(r),
            subtitle="Rural Development Administration estimates, one series (food crops incl. potatoes and "
            "soybeans); gaps are years not found",
        ),
    )
    return charts.show(
        chart,
        name="economic_push-grain",
        description=(
            f"Line chart of {len(grain)} yearly food-crop estimates between "
            f"{int(grain['year'].min())} and {int(grain['year'].max())}, broken where years are "
            f"missing. Since {int(recent['year'].min())} the lowest harvest was {recent['value_mt'].min():.2f} "
            f"million tonnes in {int(recent.loc[recent['value_mt'].idxmin(), 'year'])}."
        ),
        source="ROK Rural Development Administration, annual estimates as reported.",
        data=grain[["year", "value_mt", "value_qualifier", "year_inferred", "source"]],
    )


def trade_chart(r):
    import altair as alt

    from nkbook.present import charts

    start_year, end_year = r.extra["start_year"], r.extra["end_year"]
    trade, years = r.frames["trade"], r.frames["years"]
    tv, arr = r.extra["trade_values"], r.extra["arrivals_values"]
    xa = alt.X(
        "year:Q",
        title="Year",
        axis=alt.Axis(format="d", tickMinStep=1),
        scale=alt.Scale(domain=[start_year - 0.5, end_year + 0.5]),
    )
    band = charts.closure_band()
    tr = plot_frame(trade.assign(status="Published"), ["year", "agency", "total_usd_bn", "total_qualifier", "status"])
    tbars = (
        alt.Chart(tr.dropna(subset=["total_usd_bn"]))
        .mark_bar(color=charts.PALETTE[0], size=12)
        .encode(
            x=xa,
            y=alt.Y("total_usd_bn:Q", title="China–DPRK trade (US$ bn)"),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("total_usd_bn:Q", title="US$ bn"),
                alt.Tooltip("agency:N", title="Agency"),
                alt.Tooltip("total_qualifier:N", title="As published"),
            ],
        )
    )
    tmiss = (
        alt.Chart(r.frames["trade_missing"])
        .mark_point(shape="cross", size=40, color=charts.MUTED, filled=True)
        .encode(
            x=xa,
            y=alt.datum(0),
            tooltip=[alt.Tooltip("year:Q", format="d", title="Year"), alt.Tooltip("status:N", title="Total")],
        )
    )
    abars = (
        alt.Chart(plot_frame(years.assign(total=years["total"].astype(int)), ["year", "total"]))
        .mark_bar(color=charts.TOTAL, size=12)
        .encode(
            x=xa,
            y=alt.Y("total:Q", title="Arrivals (people)"),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("total:Q", title="Arrivals", format=","),
            ],
        )
    )
    top = [band, tbars, tmiss] if end_year >= CLOSURE_YEARS[0] else [tbars, tmiss]
    bottom = [band, abars] if end_year >= CLOSURE_YEARS[0] else [abars]
    chart = alt.vconcat(
        alt.layer(*top).properties(height=160, width=520), alt.layer(*bottom).properties(height=160, width=520)
    ).properties(
        title=alt.TitleParams(
            (
                f"By 2023 trade with China was back to {r['trade_2023_pct_of_2019']:.0f}% of its 2019 level, "
                f"arrivals to {r['arrivals_2023_pct_of_2019']:.0f}%"
                if r.extra.get("has_trade_closure")
                else f"Trade with China and arrivals in South Korea, {start_year}–{end_year}"
            ),
            subtitle="Top: China–North Korea trade, one agency per year; bottom: arrivals"
            + ("; shaded: the closure" if end_year >= CLOSURE_YEARS[0] else ""),
        )
    )
    missing = list(r.frames["trade_missing"]["year"])
    description = (
        f"Two stacked bar charts sharing the year axis, {start_year} to {end_year}. "
        + (r["trade_closure_paragraph"] + " " if r.extra.get("has_trade_closure") else "")
        + (f"No trade total was found for {words.year_list(missing)}." if missing else "")
    )
    return charts.show(
        chart,
        name="economic_push-trade-arrivals",
        description=description,
        source=(
            "China General Administration of Customs, KOTRA, KITA, Statistics Korea, ITC (trade); "
            "Ministry of Unification (arrivals)."
        ),
        data=pd.concat([tv.rename("trade_usd_bn"), trade.set_index("year")["agency"], arr.rename("arrivals")], axis=1)
        .reset_index()
        .rename(columns={"index": "year"}),
    )


def motive_chart(r):
    import altair as alt

    from nkbook.present import charts

    motives = r.frames["motives"]
    mp = motives.copy()
    mp["n_text"] = mp["sample_size"].map(lambda n: f"n = {int(n)}" if pd.notna(n) else "n not stated")
    short = mp["population"].astype(str).str.replace(r"\s*\(.*\)$", "", regex=True).str.slice(0, 38)
    mp["row"] = (
        mp["period_covered"].astype(str).str.replace(r"\s*\(.*\)$", "", regex=True).str.slice(0, 24) + " · " + short
    )
    mp["x"] = mp["share"].fillna(mp["low"])
    mp["figure"] = mp["share"].isna().map({True: "Lower bound only", False: "Published or computed share"})
    mp["share_text"] = [
        (f"at least {lo:g}%" if pd.isna(s) else f"{s:.1f}%" + (" (approximate)" if ap else ""))
        for s, lo, ap in zip(mp["share"], mp["low"], mp["approximate"])
    ]
    mp["group"] = mp["group"].map({"economic": "Economic reasons", "political": "Political reasons"})
    row_order = list(dict.fromkeys(mp["row"]))
    mp = plot_frame(
        mp,
        [
            "row",
            "x",
            "group",
            "figure",
            "survey_label",
            "population",
            "period_covered",
            "n_text",
            "share_text",
            "basis",
            "categories",
        ],
    )
    chart = (
        alt.Chart(mp)
        .mark_point(filled=True, size=110)
        .encode(
            y=alt.Y("row:N", title=None, sort=row_order, axis=alt.Axis(labelLimit=300)),
            x=alt.X("x:Q", title="Share of respondents citing the reason (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "group:N",
                title=None,
                scale=alt.Scale(
                    domain=["Economic reasons", "Political reasons"], range=[charts.PALETTE[1], charts.PALETTE[0]]
                ),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=300),
            ),
            shape=alt.Shape(
                "figure:N",
                title=None,
                scale=alt.Scale(
                    domain=["Published or computed share", "Lower bound only"], range=["circle", "triangle-right"]
                ),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=300),
            ),
            tooltip=[
                alt.Tooltip("survey_label:N", title="Survey"),
                alt.Tooltip("population:N", title="Population"),
                alt.Tooltip("period_covered:N", title="Period"),
                alt.Tooltip("n_text:N", title="Sample"),
                alt.Tooltip("group:N", title="Reason"),
                alt.Tooltip("share_text:N", title="Share"),
                alt.Tooltip("basis:N", title="Basis"),
                alt.Tooltip("categories:N", title="Categories"),
            ],
        )
        .properties(
            width=260,
            title=alt.TitleParams(
                "Why defectors say they left, survey by survey",
                subtitle="Each row is one survey of one population; rows are not a trend line",
            ),
        )
    )
    m = motives.set_index(["survey_id", "group"])["share"]
    return charts.show(
        chart,
        name="economic_push-motives",
        description=(
            f"Dot chart of economic and political reasons in {motives['survey_id'].nunique()} "
            f"surveys, ordered by period. Close to {m.get(('mou_hanawon_pre2001', 'economic')):g} "
            f"percent cited hunger and economic difficulty before 2001; among 2023 arrivals "
            f"{m.get(('mou_2023_arrivals', 'economic'))} percent cited food shortage and "
            f"{m.get(('mou_2023_arrivals', 'political'))} percent dislike of the regime."
        ),
        source=(
            "Ministry of Unification; Seoul National University IPUS; Peterson Institute "
            "(as reported by the cited outlets)."
        ),
        data=motives[["survey_label", "population", "period_covered", "sample_size", "group", "share", "low", "basis"]],
    )
