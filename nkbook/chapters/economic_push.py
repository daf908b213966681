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


def html_table(frame: pd.DataFrame) -> str:
    """An escaped HTML table without the index, missing values shown as a dash."""
    return frame.to_html(index=False, escape=True, border=0, na_rep="—", classes="nk-data-table")


# --------------------------------------------------------------------------------------------
# output


def growth_series(gdp: pd.DataFrame) -> pd.DataFrame:
    """The growth series the analysis uses: one row per year (the ``used`` rows), sorted.

    Columns: year, growth_pct, measure, release_year, source. Raises if a year has two used rows.
    """
    rows = gdp[gdp["used"].fillna(False).astype(bool)].copy()
    if rows["year"].duplicated().any():
        dup = sorted(rows.loc[rows["year"].duplicated(), "year"].astype(int).unique())
        raise ValueError(f"gdp_growth has more than one used row for year(s) {dup}")
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
    best, current = [], []
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
    return {"start": best[0][0], "end": best[-1][0], "length": len(best),
            "mean_pct": float(np.mean(values)), "level_pct": level}


# --------------------------------------------------------------------------------------------
# output and arrivals


def lagged_pairs(arrivals: pd.DataFrame, growth: pd.DataFrame, lag: int, start_year: int, end_year: int,
                 closure: tuple[int, int] = CLOSURE_YEARS) -> pd.DataFrame:
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
    return out[["year", "arrivals", "growth_year", "growth_pct", "log_arrivals", "closure"]].sort_values(
        "year").reset_index(drop=True)


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
        "slope": b, "slope_low": float(low), "slope_high": float(high),
        "pct_per_point": 100 * (math.exp(b) - 1),
        "pct_per_point_low": 100 * (math.exp(low) - 1), "pct_per_point_high": 100 * (math.exp(high) - 1),
        "n": int(res.nobs), "r2": float(res.rsquared), "p": float(res.pvalues["growth_pct"]),
        "resid_ac1": ac1,
        "first_year": int(pairs["year"].min()), "last_year": int(pairs["year"].max()),
    }
    return res, summary


def fit_negbin(pairs: pd.DataFrame, level: float = 0.95) -> dict:
    """Negative-binomial count model of arrivals on lagged growth: rate ratio per point with interval."""
    from nkbook.analysis.stats import count_glm, rate_ratios

    frame = pairs.assign(arrivals=pairs["arrivals"].astype(int))
    rr = rate_ratios(count_glm(frame, "arrivals ~ growth_pct"), level=level).set_index("term")
    row = rr.loc["growth_pct"]
    return {"rate_ratio": float(row["rate_ratio"]), "low": float(row["low"]), "high": float(row["high"]),
            "p": float(row["p_value"]), "n": int(len(frame))}


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
        "shock_growth_year": int(shock["growth_year"]), "shock_growth_pct": float(shock["growth_pct"]),
        "shock_year": int(shock["year"]), "shock_arrivals": int(shock["arrivals"]),
        "twin_growth_year": int(twin["growth_year"]), "twin_growth_pct": float(twin["growth_pct"]),
        "twin_year": int(twin["year"]), "twin_arrivals": int(twin["arrivals"]),
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
    out = pd.DataFrame({
        "author_agency": f["author_agency"], "published_year": f["published_year"],
        "low": low.astype("int64"), "high": high.astype("int64"),
        "method": f["method"], "period_covered": f["period_covered"], "kind": f["kind"],
    })
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
    f["segment"] = f.groupby("edition", sort=False)["period_start"].transform(
        lambda s: consecutive_segments(s).values)
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
    cols = ["estimate_id", "agency", "report", "reference_period", "measure", "measure_definition",
            "people_millions", "people_qualifier", "share_pct", "share_qualifier", "implied_population_m", "source"]
    order = {"food_insecure_urgent_need": 0, "undernourished_need_assistance": 1, "undernourished_pou": 2,
             "humanitarian_need": 3, "food_insecure_2100kcal": 4}
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
        drop=True)


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
        return {"share": float(shares.sum()), "low": None, "high": None, "basis": (
            "published subtotal" if len(sub) else "published share" if len(shares) == 1 else
            "sum of published category shares"),
            "approximate": bool(pick["approximate"].fillna(False).any()),
            "categories": "; ".join(pick.loc[pick["share_pct"].notna(), "category"])}
    bounds = pick[pick["share_low_pct"].notna() | pick["share_high_pct"].notna()]
    if len(bounds):
        r = bounds.iloc[0]
        low = None if pd.isna(r["share_low_pct"]) else float(r["share_low_pct"])
        high = None if pd.isna(r["share_high_pct"]) else float(r["share_high_pct"])
        return {"share": None, "low": low, "high": high, "basis": "published bound only",
                "approximate": True, "categories": r["category"]}
    if counts_total and pick["count"].notna().any():
        c = float(pick["count"].dropna().sum())
        return {"share": 100 * c / counts_total, "low": None, "high": None,
                "basis": "computed from published counts", "approximate": bool(pick["approximate"].fillna(False).any()),
                "categories": "; ".join(pick.loc[pick["count"].notna(), "category"])}
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
            rows.append({
                "survey_id": sid, "survey_label": first["survey_label"], "publisher": first["publisher"],
                "population": first["population"], "period_covered": first["period_covered"],
                "survey_year": None if pd.isna(first["survey_year"]) else int(first["survey_year"]),
                "sample_size": None if pd.isna(n) else int(n), "order_year": _order_year(first),
                "group": group, **share,
            })
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
