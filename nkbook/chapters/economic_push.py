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


def fit_log_ols(pairs: pd.DataFrame, level: float = 0.95):
    """OLS of log arrivals on lagged growth (statsmodels). Returns (result, summary dict).

    The summary has the slope (change in log arrivals per percentage point of growth) with its
    interval, the same as a percentage change in arrivals (100 * (exp(b) - 1)), n, R², the slope's
    p-value and the lag-1 autocorrelation of the residuals (a large value means the intervals,
    which assume independent years, are too narrow).
    """
    import statsmodels.formula.api as smf

    if len(pairs) < 4:
        raise ValueError(f"too few years to fit ({len(pairs)})")
    res = smf.ols("log_arrivals ~ growth_pct", data=pairs).fit()
    low, high = res.conf_int(alpha=1 - level).loc["growth_pct"]
    b = float(res.params["growth_pct"])
    resid = np.asarray(res.resid)
    ac1 = float(np.corrcoef(resid[:-1], resid[1:])[0, 1]) if len(resid) > 2 else math.nan
    summary = {
        "slope": b,
        "slope_low": float(low),
        "slope_high": float(high),
        "pct_per_point": 100 * (math.exp(b) - 1),
        "pct_per_point_low": 100 * (math.exp(low) - 1),
        "pct_per_point_high": 100 * (math.exp(high) - 1),
        "n": int(res.nobs),
        "r2": float(res.rsquared),
        "p": float(res.pvalues["growth_pct"]),
        "resid_ac1": ac1,
        "first_year": int(pairs["year"].min()),
        "last_year": int(pairs["year"].max()),
    }
    return res, summary


def fit_negbin(pairs: pd.DataFrame, level: float = 0.95) -> dict:
    """Negative-binomial count model of arrivals on lagged growth: rate ratio per point with interval."""
    from nkbook.analysis.stats import count_glm, rate_ratios

    frame = pairs.assign(arrivals=pairs["arrivals"].astype(int))
    rr = rate_ratios(count_glm(frame, "arrivals ~ growth_pct"), level=level).set_index("term")
    row = rr.loc["growth_pct"]
    return {
        "rate_ratio": float(row["rate_ratio"]),
        "low": float(row["low"]),
        "high": float(row["high"]),
        "p": float(row["p_value"]),
        "n": int(len(frame)),
    }


def fit_band(result, x_min: float, x_max: float, label: str, steps: int = 60, level: float = 0.95) -> pd.DataFrame:
    """The fitted line and its confidence band on the arrivals scale, over a grid of growth values."""
    grid = pd.DataFrame({"growth_pct": np.linspace(x_min, x_max, steps)})
    pred = result.get_prediction(grid).summary_frame(alpha=1 - level)
    grid["fit"] = np.exp(pred["mean"].values)
    grid["low"] = np.exp(pred["mean_ci_lower"].values)
    grid["high"] = np.exp(pred["mean_ci_upper"].values)
    grid["model"] = label
    return grid


def predict_years(result, pairs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """What a fitted push model predicts for the given years (prediction intervals), beside what happened.

    Columns: year, growth_year, growth_pct, arrivals (observed), predicted, pred_low, pred_high and
    observed_pct (observed as a percentage of predicted).
    """
    pred = result.get_prediction(pairs[["growth_pct"]]).summary_frame(alpha=1 - level)
    out = pairs[["year", "growth_year", "growth_pct", "arrivals"]].copy().reset_index(drop=True)
    out["predicted"] = np.exp(pred["mean"].values)
    out["pred_low"] = np.exp(pred["obs_ci_lower"].values)
    out["pred_high"] = np.exp(pred["obs_ci_upper"].values)
    out["observed_pct"] = 100 * out["arrivals"] / out["predicted"]
    return out


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
    _output_and_arrivals(r, years, growth)
    _closure(r, growth)
    _undernourishment(r, load("fao_undernourishment", data_dir))
    _food_2019(r, load("food_insecure", data_dir))
    _grain(r, load("grain_production", data_dir), end_year)
    _trade(r, load("china_trade", data_dir), years)
    _motives(r, load("motive_surveys", data_dir))
    _evidence_closure(r)
    return r


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
        lead + f"; in {words.year_list(against)} they rose although output had shrunk "
        f"{words.plural(lag, 'year')} earlier, so a growing economy was not a condition for more arrivals."
    )


def _verdict(low: float, high: float) -> str:
    if low > 0:
        return "lies wholly above zero (fewer arrivals after worse years)"
    if high < 0:
        return "lies wholly below zero (more arrivals after worse years)"
    return "includes zero"


def _output_and_arrivals(r, years: pd.DataFrame, growth: pd.DataFrame) -> None:
    lag_years, start_year, end_year = r.extra["lag_years"], r.extra["start_year"], r.extra["end_year"]
    pairs = lagged_pairs(years, growth, lag_years, start_year, end_year)
    res_all, fit_all = fit_log_ols(pairs)
    open_pairs = pairs[~pairs["closure"]]
    res_open, fit_open = fit_log_ols(open_pairs)
    nb_all, nb_open = fit_negbin(pairs), fit_negbin(open_pairs)
    r.frames["pairs"] = pairs
    r.extra.update(res_all=res_all, res_open=res_open, fit_all=fit_all, fit_open=fit_open)
    for suffix, fit, nb in (("", fit_all, nb_all), ("_noclosure", fit_open, nb_open)):
        r.put(f"gdp_slope{suffix}", fit["slope"], 3)
        r.put(f"gdp_slope{suffix}_low", fit["slope_low"], 3)
        r.put(f"gdp_slope{suffix}_high", fit["slope_high"], 3)
        r.put(f"gdp_slope_pct{suffix}", fit["pct_per_point"], 1)
        r.put(f"gdp_slope_pct{suffix}_low", fit["pct_per_point_low"], 1)
        r.put(f"gdp_slope_pct{suffix}_high", fit["pct_per_point_high"], 1)
        r.put(f"gdp_fit_n{suffix}", fit["n"])
        r.put(f"gdp_fit_p{suffix}", fit["p"], 2)
        r.put(f"gdp_fit_r2{suffix}", fit["r2"], 2)
        r.put(f"gdp_fit_resid_ac1{suffix}", fit["resid_ac1"], 2)
        r.put(f"gdp_fit_verdict{suffix}", _verdict(fit["slope_low"], fit["slope_high"]))
        r.put(f"gdp_rr{suffix}", nb["rate_ratio"], 3)
        r.put(f"gdp_rr{suffix}_low", nb["low"], 3)
        r.put(f"gdp_rr{suffix}_high", nb["high"], 3)
    r.put("lag_years_words", words.plural(lag_years, "year"))
    same = [
        (f["slope_low"] > 0) == (nb["low"] > 1) and (f["slope_high"] < 0) == (nb["high"] < 1)
        for f, nb in ((fit_all, nb_all), (fit_open, nb_open))
    ]
    r.put(
        "gdp_nb_agreement",
        "gives the same picture"
        if all(same)
        else "does not give the same picture in every fit (compare its intervals with 1)",
    )
    push_found = [
        name for name, f in (("with every year", fit_all), ("without the closure", fit_open)) if f["slope_high"] < 0
    ]
    r.put(
        "gdp_push_sentence",
        "Neither fit finds the push: no interval lies wholly below zero."
        if not push_found
        else f"Only the fit {' and '.join(push_found)} lies wholly below zero, the sign a push predicts.",
    )
    r.put("arrivals_peak_year", years.loc[years["total"].idxmax(), "year"])
    r.put("gdp_fit_first_year", fit_all["first_year"])
    r.put("gdp_fit_last_year", fit_all["last_year"])
    r.put("gdp_fit_closure_n", int(pairs["closure"].sum()))
    shift = fit_all["pct_per_point"] - fit_open["pct_per_point"]
    r.put("gdp_slope_shift_pct", shift, 1)
    n_closed = int(pairs["closure"].sum())
    if n_closed:
        r.put(
            "gdp_closure_effect_sentence",
            f"Keeping the {words.plural(n_closed, 'closure year')} makes the fitted change per point of growth "
            f"{abs(shift):.1f} percentage points {words.compare(fit_all['pct_per_point'], fit_open['pct_per_point'])} "
            "without them.",
        )
    else:
        r.put("gdp_closure_effect_sentence", "The window holds no closure year, so the two fits are the same fit.")
    r.put("gdp_r2_words", explained_words(fit_all["r2"]))
    _lag_grid(r, years, growth)


# The lag grid: arrivals in year t against growth in t - lag for every lag here, with and without
# the closure years. The range is stated, not fitted; evidence on time abroad before arrival is what
# should justify it (not in this chapter's data yet).
LAG_GRID = (0, 1, 2, 3)
ALPHA = 0.05


def lag_grid(years: pd.DataFrame, growth: pd.DataFrame, start_year: int, end_year: int, lags=LAG_GRID) -> pd.DataFrame:
    """log arrivals ~ growth + linear trend, per lag and sample, HAC errors (and AR(1) GLS beside them).

    A trending level regressed on a trendless rate picks up the trend without the trend term. The
    HAC p-values are Holm-adjusted across every fit of the grid. Columns: lag, sample, n, slope,
    low, high (HAC 95%), p, p_holm, gls_slope, gls_p, resid_ac1.
    """
    from nkbook.analysis import stats

    rows = []
    for lag in lags:
        pairs = lagged_pairs(years, growth, lag, start_year, end_year)
        pairs = pairs.assign(trend=pairs["year"] - pairs["year"].min())
        for sample, frame in (("with every year", pairs), ("without the closure years", pairs[~pairs["closure"]])):
            if sample != "with every year" and len(frame) == len(pairs):
                continue  # no closure year in the window: the same fit
            if len(frame) < 8:
                continue
            frame = frame.reset_index(drop=True)
            res = stats.hac_ols(frame, "log_arrivals ~ growth_pct + trend")
            lo, hi = res.conf_int().loc["growth_pct"]
            gls = stats.ar1_gls(frame, "log_arrivals ~ growth_pct + trend")
            rows.append(
                {
                    "lag": lag,
                    "sample": sample,
                    "n": int(res.nobs),
                    "slope": float(res.params["growth_pct"]),
                    "low": float(lo),
                    "high": float(hi),
                    "p": float(res.pvalues["growth_pct"]),
                    "gls_slope": float(gls.params["growth_pct"]),
                    "gls_p": float(gls.pvalues["growth_pct"]),
                    "resid_ac1": float(res.rho1),
                }
            )
    grid = pd.DataFrame(rows)
    if len(grid):
        grid["p_holm"] = stats.holm(grid["p"])
    return grid


def lag_grid_conclusion(grid: pd.DataFrame, alpha: float = ALPHA) -> str:
    """How 'arrivals do not move with output' survives the grid, in words computed from it."""
    if grid.empty:
        return "The window is too short for the lag grid."
    found = grid[grid["p_holm"] < alpha]
    lags = sorted(grid["lag"].unique())
    holds = {int(l): not (found["lag"] == l).any() for l in lags}
    ok = [l for l, h in holds.items() if h]
    if len(ok) == len(lags):
        where = "at every lag"
    elif not ok:
        where = "at no lag"
    else:
        where = f"at {'lag' if len(ok) == 1 else 'lags'} {words.join([str(l) for l in ok])} only"
    text = (
        f"Across the grid, the reading that arrivals do not move with output (no slope distinguishable from "
        f"zero after Holm's adjustment at {alpha:g}) holds {where}."
    )
    if len(found):
        parts = [
            f"lag {int(f.lag)} {f.sample} ({f.slope:+.2f} log points per point of growth, HAC interval "
            f"{f.low:+.3f} to {f.high:+.3f}, Holm p = {f.p_holm:.3f}, "
            f"{'positive: fewer arrivals after worse years' if f.slope > 0 else 'negative: more arrivals after worse years'})"
            for f in found.itertuples()
        ]
        text += " The slope is distinguishable from zero at " + words.join(parts) + "."
        gls_agree = int((found["gls_p"] < alpha).sum())
        text += (
            f" AR(1) GLS, which the book's calibration finds better behaved than HAC in series this short, "
            f"agrees (p < {alpha:g}) in {gls_agree} of these {len(found)}."
        )
    return text


# Words for a share of variation explained, stated once.
R2_WORDS = ((0.10, "almost none"), (0.30, "little"), (0.60, "some"), (1.01, "much"))


def explained_words(r2: float) -> str:
    """'almost none' (R² < 0.10), 'little' (< 0.30), 'some' (< 0.60), else 'much'."""
    return next(w for cut, w in R2_WORDS if r2 < cut)


def _lag_grid(r, years: pd.DataFrame, growth: pd.DataFrame) -> None:
    grid = lag_grid(years, growth, r.extra["start_year"], r.extra["end_year"])
    r.frames["lag_grid"] = grid
    r.put("lag_grid_n_fits", len(grid))
    r.put("lag_grid_conclusion", lag_grid_conclusion(grid))
    for f in grid.itertuples():
        key = f"lag{f.lag}" + ("" if f.sample == "with every year" else "_noclosure")
        r.put(f"grid_slope_{key}", f.slope, 3)
        r.put(f"grid_p_holm_{key}", f.p_holm, 3)
        r.put(f"grid_resid_ac1_{key}", f.resid_ac1, 2)


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
        r.put("closure_expectation_paragraph", "")
        r.frames["closure_pred"] = pd.DataFrame()
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
    closed = pairs[pairs["closure"]]
    pred = predict_years(r.extra["res_open"], closed)
    r.frames["closure_pred"] = pred
    r.put("closure_predicted_total", pred["predicted"].sum(), 0)
    r.put("closure_observed_total", pred["arrivals"].sum())
    r.put("closure_observed_pct_of_predicted", 100 * pred["arrivals"].sum() / pred["predicted"].sum(), 1)
    r.put("closure_below_interval_n", int((pred["arrivals"] < pred["pred_low"]).sum()))
    r.put("closure_years_n", len(pred))
    g20 = float(growth_by_year.get(2020))
    r.put(
        "closure_intro_sentence",
        f"In 2020 output {words.direction(0, g20, 'grew', 'shrank', 'did not change')} "
        f"({g20:+.1f}%), and North Korea sealed its border with China in January 2020.",
    )
    r.put("closure_paragraph", _closure_paragraph(r, g20, a19, a20, a21, twin))
    r.put("closure_expectation_paragraph", _expectation_paragraph(r, pred))


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


def _expectation_paragraph(r, pred) -> str:
    fit = r.extra["fit_open"]
    lo, hi = float(pred["pred_low"].min()), float(pred["pred_high"].max())
    return (
        f"The fit without the closure years explains {explained_words(fit['r2'])} of the variation "
        f"(R² = {fit['r2']:.2f}), so what it 'expects' for the closure years is little more than the average of the "
        f"open years: about {r['closure_predicted_total']:,.0f} arrivals in the {r['closure_years_n']} closure years "
        f"together, with 95% prediction intervals from {lo:,.0f} to {hi:,.0f} a year. "
        f"{r['closure_observed_total']:,} arrived ({r['closure_observed_pct_of_predicted']:.1f}% of that figure); "
        f"{words.every_year_except({int(y): bool(a < l) for y, a, l in zip(pred['year'], pred['arrivals'], pred['pred_low'])}, 'in every closure year')}"
        " the count was below the interval. The comparison says only that the closure years lie far from the "
        "open years' level, not what growth would have produced."
    )


def _evidence_closure(r) -> None:
    if r.extra.get("has_closure") and r.extra.get("has_trade_closure"):
        r.put(
            "evidence_closure_sentence",
            f"In 2020 output changed by {r['growth_2020']:+.1f}% and arrivals "
            f"{words.direction(r['arrivals_2019'], r['arrivals_2020'])} from {r['arrivals_2019']:,} to "
            f"{r['arrivals_2020']:,} and then {r['arrivals_2021']:,}; trade with China collapsed with them but was back "
            f"to {r['trade_2023_pct_of_2019']:.1f}% of 2019 by 2023 while arrivals reached "
            f"{r['arrivals_2023_pct_of_2019']:.1f}%.",
        )
    else:
        r.put(
            "evidence_closure_sentence",
            "The window ends before the border closure, so the closure years are not part of this reading.",
        )


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
            f"{r['trade_arrivals_r_high']:.2f}, treating the years as independent); the totals mix agencies and both "
            "series have their own trends, so this is a description, not a mechanism.",
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
        "motive_econ_direction",
        words.direction(share("mou_hanawon_pre2001", "economic"), share("mou_2023_arrivals", "economic")),
    )


# charts and tables (each a function of the results)


def gdp_chart(r):
    import altair as alt

    from nkbook.present import charts

    run, g = r.extra["run"], r.frames["growth"].copy()
    in_run = g["year"].between(run["start"], run["end"])
    run_label = f"Longest run of contraction ({run['start']}–{run['end']})"
    g["kind"] = "Growth"
    g.loc[g["growth_pct"] < 0, "kind"] = "Contraction"
    g.loc[in_run, "kind"] = run_label
    g["release"] = g["release_year"].astype(int)
    kinds = [run_label, "Contraction", "Growth"]
    bars = (
        alt.Chart(plot_frame(g))
        .mark_bar(size=9)
        .encode(
            x=charts.year_axis(title="Year"),
            y=alt.Y("growth_pct:Q", title="Real growth on the previous year (%)"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=kinds, range=[charts.HIGHLIGHT, charts.MUTED, charts.PALETTE[0]]),
                legend=alt.Legend(labelLimit=300),
            ),
            tooltip=[
                alt.Tooltip("year:Q", title="Year", format="d"),
                alt.Tooltip("growth_pct:Q", title="Growth (%)"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("release:Q", title="Released", format="d"),
            ],
        )
    )
    first, last = int(g["year"].min()), int(g["year"].max())
    chart = (charts.closure_band() + bars).properties(
        width=540,
        title=alt.TitleParams(
            f"North Korea's real growth, {first}–{last}",
            subtitle="Bank of Korea estimates as first published; shaded: the border closure",
        ),
    )
    return charts.show(
        chart,
        name="economic_push-gdp-growth",
        description=(
            f"Bar chart of yearly real growth from {first} to {last}. "
            f"Growth was negative in every year from {run['start']} to {run['end']} "
            f"({run['length']} years)"
            + (
                f"; in 2020 it was {g.set_index('year')['growth_pct'].get(2020)} percent."
                if 2020 in set(g["year"])
                else "."
            )
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
            "Published estimates of famine deaths in the 1990s",
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


def growth_arrivals_chart(r):
    import altair as alt

    from nkbook.present import charts

    pairs, lag = r.frames["pairs"], r.extra["lag_years"]
    fit_all, fit_open = r.extra["fit_all"], r.extra["fit_open"]
    x_lo, x_hi = float(pairs["growth_pct"].min()), float(pairs["growth_pct"].max())
    labels = {"all": "Fit, all years", "open": "Fit, closure years left out"}
    band = pd.concat(
        [
            fit_band(r.extra["res_all"], x_lo, x_hi, labels["all"]),
            fit_band(r.extra["res_open"], x_lo, x_hi, labels["open"]),
        ]
    )
    model_scale = alt.Scale(domain=[labels["all"], labels["open"]], range=[charts.PALETTE[0], charts.PALETTE[2]])
    area = (
        alt.Chart(band)
        .mark_area(opacity=0.15)
        .encode(
            x="growth_pct:Q",
            y="low:Q",
            y2="high:Q",
            color=alt.Color("model:N", title=None, scale=model_scale, legend=None),
        )
    )
    line = (
        alt.Chart(band)
        .mark_line(strokeWidth=2)
        .encode(
            x="growth_pct:Q",
            y="fit:Q",
            color=alt.Color("model:N", title=None, scale=model_scale),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("growth_pct:Q", title="Growth (%)", format=".1f"),
                alt.Tooltip("fit:Q", title="Fitted arrivals", format=",.0f"),
                alt.Tooltip("low:Q", title="95% low", format=",.0f"),
                alt.Tooltip("high:Q", title="95% high", format=",.0f"),
            ],
        )
    )
    closure_label = f"Closure years ({CLOSURE_YEARS[0]}–{CLOSURE_YEARS[1]})"
    pts = pairs.assign(period=pairs["closure"].map({True: closure_label, False: "Other years"}))
    period_scale = dict(domain=["Other years", closure_label])
    dots = (
        alt.Chart(plot_frame(pts))
        .mark_point(filled=True, size=70, opacity=0.9)
        .encode(
            x=alt.X("growth_pct:Q", title=f"Real growth {words.plural(lag, 'year')} before arrival (%)"),
            y=alt.Y(
                "arrivals:Q", title="Arrivals in South Korea (people per year, log scale)", scale=alt.Scale(type="log")
            ),
            shape=alt.Shape(
                "period:N",
                title=None,
                scale=alt.Scale(**period_scale, range=["square", "circle"]),
                legend=alt.Legend(labelLimit=300),
            ),
            fill=alt.Fill(
                "period:N",
                title=None,
                scale=alt.Scale(**period_scale, range=["#333333", charts.HIGHLIGHT]),
                legend=alt.Legend(labelLimit=300),
            ),
            stroke=alt.value(None),
            tooltip=[
                alt.Tooltip("year:Q", title="Arrival year", format="d"),
                alt.Tooltip("arrivals:Q", title="Arrivals", format=","),
                alt.Tooltip("growth_year:Q", title="Growth year", format="d"),
                alt.Tooltip("growth_pct:Q", title="Growth (%)"),
            ],
        )
    )
    tags = (
        alt.Chart(plot_frame(pts[pts["closure"]]))
        .mark_text(dx=6, dy=-6, align="left", fontSize=11, color="#333")
        .encode(x="growth_pct:Q", y="arrivals:Q", text=alt.Text("year:Q", format="d"))
    )
    chart = (
        alt.layer(area, line, dots, tags)
        .resolve_scale(color="independent")
        .properties(
            width=520,
            title=alt.TitleParams(
                f"Arrivals against growth {words.plural(lag, 'year')} earlier, {fit_all['first_year']}–{fit_all['last_year']}",
                subtitle="Lines: least-squares fits of log arrivals with 95% confidence bands",
            ),
        )
    )
    return charts.show(
        chart,
        name="economic_push-growth-arrivals",
        description=(
            f"Scatter of {fit_all['n']} years of arrivals (log scale) against growth "
            f"{words.plural(lag, 'year')} earlier, with two fitted lines. With every year the fitted change is "
            f"{fit_all['pct_per_point']:.1f} percent per point of growth (95% interval "
            f"{fit_all['pct_per_point_low']:.1f} to {fit_all['pct_per_point_high']:.1f}); "
            f"without the closure years it is {fit_open['pct_per_point']:.1f} "
            f"({fit_open['pct_per_point_low']:.1f} to {fit_open['pct_per_point_high']:.1f})."
        ),
        source="Bank of Korea (growth, first published); Ministry of Unification (arrivals); fits by the book.",
        data=pairs[["year", "arrivals", "growth_year", "growth_pct", "closure"]],
    )


def _not_shown(text: str):
    from IPython.display import Markdown

    return Markdown(f"*{text}*")


def closure_table(r):
    from nkbook.present import charts

    if not r.extra.get("has_closure"):
        return _not_shown(r["closure_intro_sentence"])

    pred = r.frames["closure_pred"].rename(
        columns={
            "year": "Arrival year",
            "growth_year": "Growth year",
            "growth_pct": "Growth (%)",
            "arrivals": "Arrivals",
            "predicted": "Expected",
            "pred_low": "95% low",
            "pred_high": "95% high",
            "observed_pct": "Arrivals as % of expected",
        }
    )
    for col in ["Expected", "95% low", "95% high"]:
        pred[col] = pred[col].round(0).astype(int)
    pred["Arrivals as % of expected"] = pred["Arrivals as % of expected"].round(1)
    return charts.table(pred)


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
            f"Growth and arrivals around the border closure, 2015–{end_year}",
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
                "Years": g["sample"],
                "n": g["n"],
                "Slope (log points per point of growth)": g["slope"].round(3),
                "HAC 95% interval": [f"{lo:+.3f} to {hi:+.3f}" for lo, hi in zip(g["low"], g["high"])],
                "HAC p": g["p"].round(3),
                "Holm p": g["p_holm"].round(3),
                "AR(1) GLS slope": g["gls_slope"].round(3),
                "GLS p": g["gls_p"].round(3),
                "Residual lag-1 autocorrelation": g["resid_ac1"].round(2),
            }
        ),
        caption="log arrivals ~ lagged growth + linear trend; Newey–West (HAC) errors; Holm across the grid",
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
            "Prevalence of undernourishment in North Korea, by FAO edition",
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


def grain_chart(r):
    import altair as alt

    from nkbook.present import charts

    grain, recent = r.frames["grain"], r.frames["grain_recent"]
    gp = grain.assign(
        dating=grain["year_inferred"].map({True: "Year inferred from an undated report", False: "Year as published"})
    )
    enc = dict(
        x=charts.year_axis(title="Harvest year"),
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
    chart = (charts.closure_band() + lines + pts).properties(
        width=520,
        title=alt.TitleParams(
            "Food-crop production, Rural Development Administration estimates",
            subtitle="One series (food crops incl. potatoes and soybeans); gaps are years not found",
        ),
    )
    return charts.show(
        chart,
        name="economic_push-grain",
        description=(
            f"Line chart of {len(grain)} yearly food-crop estimates between "
            f"{int(grain['year'].min())} and {int(grain['year'].max())}, broken where years are "
            f"missing. Since {int(recent['year'].min())} the lowest harvest was {recent['value_mt'].min()} "
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
    chart = alt.vconcat(
        (band + tbars + tmiss).properties(height=160, width=520), (band + abars).properties(height=160, width=520)
    ).properties(
        title=alt.TitleParams(
            f"Trade with China and arrivals in South Korea, {start_year}–{end_year}",
            subtitle=("Top: China–North Korea trade, one agency per year; bottom: arrivals; shaded: the closure"),
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
