"""The political push: successions, provocations, elite defectors and motive surveys.

Helpers for the ``political_push`` chapter. The interrupted time series (ITS) of yearly arrivals is
a negative-binomial count model (:func:`nkbook.stats.count_glm`) with a level and a trend change at
a break year. North Korea's COVID-19 border closure (2020–2022) and the years after it (arrivals
stayed near a tenth of the pre-closure level) get their own indicators, so that the post-break trend
is estimated from the years before the closure and is not dominated by the collapse.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

from nkbook.analysis import stats
from nkbook.analysis.series import CLOSURE_YEARS
from nkbook.data import load, used

MIN_SIDE_YEARS = 3  # an ITS segment needs at least this many ordinary (non-closure) years


# --------------------------------------------------------------------------------------------
# interrupted time series


def its_frame(years: pd.DataFrame, break_year: int, closure: tuple[int, int] = CLOSURE_YEARS) -> pd.DataFrame:
    """Design columns for a segmented (interrupted) regression of yearly counts.

    ``years`` needs ``year`` and ``total``. Adds ``t`` (years since the break), ``post`` (1 from the
    break year on), ``t_post`` (years since the break, 0 before it), ``closure`` (1 in the closure
    years) and ``reopened`` (1 in the years after the closure). Raises ValueError when either side
    of the break has fewer than :data:`MIN_SIDE_YEARS` ordinary years.
    """
    d = years[["year", "total"]].copy()
    d["year"] = d["year"].astype(int)
    d["total"] = d["total"].astype(int)
    b = int(break_year)
    d["t"] = d["year"] - b
    d["post"] = (d["year"] >= b).astype(int)
    d["t_post"] = d["t"] * d["post"]
    d["closure"] = d["year"].between(closure[0], closure[1]).astype(int)
    d["reopened"] = (d["year"] > closure[1]).astype(int)
    ordinary = (d["closure"] == 0) & (d["reopened"] == 0)
    before = int(((d["post"] == 0) & ordinary).sum())
    after = int(((d["post"] == 1) & ordinary).sum())
    if before < MIN_SIDE_YEARS or after < MIN_SIDE_YEARS:
        raise ValueError(
            f"break_year {b} leaves {before} year(s) before and {after} ordinary year(s) from the break "
            f"on (before the {closure[0]} closure) in {d['year'].min()}–{d['year'].max()}; "
            f"each side needs at least {MIN_SIDE_YEARS}")
    return d.reset_index(drop=True)


def its_formula(frame: pd.DataFrame) -> str:
    """``total ~ t + post + t_post`` plus the closure indicators that vary in ``frame``."""
    terms = ["t", "post", "t_post"] + [c for c in ("closure", "reopened") if frame[c].nunique() > 1]
    return "total ~ " + " + ".join(terms)


def _linear_ci(result, rows: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """exp(X b) with a delta-method interval on the log scale, for design rows ``rows``."""
    names = [n for n in result.params.index if n != "alpha"]
    beta = result.params[names].to_numpy()
    cov = result.cov_params().loc[names, names].to_numpy()
    x = np.column_stack([np.ones(len(rows)) if n == "Intercept" else rows[n].to_numpy(float) for n in names])
    eta = x @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, cov, x))
    q = stats._z(level)
    return pd.DataFrame({"fit": np.exp(eta), "low": np.exp(eta - q * se), "high": np.exp(eta + q * se)},
                        index=rows.index)


def _combo(result, weights: dict, level: float = 0.95) -> tuple[float, float, float]:
    """exp(sum of w * coef) with its interval (e.g. the post-break yearly change, t + t_post)."""
    names = list(weights)
    w = np.array([weights[n] for n in names], float)
    est = float(w @ result.params[names].to_numpy())
    se = float(math.sqrt(w @ result.cov_params().loc[names, names].to_numpy() @ w))
    q = stats._z(level)
    return math.exp(est), math.exp(est - q * se), math.exp(est + q * se)


def fit_its(years: pd.DataFrame, break_year: int, level: float = 0.95) -> dict:
    """Fit the negative-binomial ITS and return its estimates.

    Returns a dict with ``result`` (the statsmodels fit), ``frame`` (design plus ``fit``/``low``/
    ``high`` and the no-break ``counterfactual``: the pre-break level and trend carried on, with no
    closure), ``table`` (rate ratios), ``level`` / ``trend_change`` / ``pre_trend`` / ``post_trend``
    (each ``(ratio, low, high)``; trends are yearly ratios), ``closure`` / ``reopened`` (rate
    ratios, or None when the range has no such year), ``alpha`` (NB dispersion),
    ``poisson_dispersion`` (Pearson chi-squared / df of the same model fitted as Poisson: far above 1
    means overdispersion, the reason for the negative binomial), ``aic`` and ``n``.
    """
    frame = its_frame(years, break_year)
    formula = its_formula(frame)
    with warnings.catch_warnings():
        # a failed fit is caught just below and raised as an error, not left as a warning
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", HessianInversionWarning)
        result = stats.count_glm(frame, formula)
    if not result.mle_retvals.get("converged", True) or not np.all(np.isfinite(np.asarray(result.bse))):
        raise RuntimeError(f"the negative-binomial model did not converge or has no standard errors "
                           f"(break_year {break_year}, {frame['year'].min()}–{frame['year'].max()})")
    poisson = stats.count_glm(frame, formula, family="poisson")
    table = stats.rate_ratios(result, level)
    rr = table.set_index("term")

    def ratio(term):
        if term not in rr.index:
            return None
        r = rr.loc[term]
        return float(r["rate_ratio"]), float(r["low"]), float(r["high"])

    fitted = _linear_ci(result, frame, level)
    counter_rows = frame.assign(post=0, t_post=0, closure=0, reopened=0)
    counter = _linear_ci(result, counter_rows, level)
    out = pd.concat([frame, fitted], axis=1)
    out["counterfactual"] = counter["fit"]
    return {
        "result": result, "formula": formula, "frame": out, "table": table,
        "level": ratio("post"), "trend_change": ratio("t_post"), "pre_trend": ratio("t"),
        "post_trend": _combo(result, {"t": 1, "t_post": 1}, level),
        "closure": ratio("closure"), "reopened": ratio("reopened"),
        "alpha": float(result.params["alpha"]),
        "poisson_dispersion": float(poisson.pearson_chi2 / poisson.df_resid),
        "aic": float(result.aic), "n": int(len(frame)),
    }


def break_scan(years: pd.DataFrame, candidates) -> pd.DataFrame:
    """The same ITS for each candidate break year (those the data allow), one row each.

    Columns: break_year, aic, level_rr/low/high, trend_rr/low/high, level_excludes_1 (the level
    interval lies wholly below or above 1). A placebo check: if breaks in other years fit about as
    well and also show a 'significant' drop, the model cannot pin the change to one year.
    """
    rows = []
    for b in candidates:
        try:
            fit = fit_its(years, int(b))
        except (ValueError, RuntimeError):
            continue
        lv, tr = fit["level"], fit["trend_change"]
        rows.append({"break_year": int(b), "aic": fit["aic"],
                     "level_rr": lv[0], "level_low": lv[1], "level_high": lv[2],
                     "trend_rr": tr[0], "trend_low": tr[1], "trend_high": tr[2],
                     "level_excludes_1": bool(lv[2] < 1 or lv[1] > 1)})
    return pd.DataFrame(rows)


def pct(ratio: float) -> float:
    """A rate ratio as a percent change (0.75 → −25)."""
    return 100.0 * (ratio - 1.0)


# --------------------------------------------------------------------------------------------
# year-on-year changes (the essay's succession claim, the 2011 → 2012 drop)


def year_changes(years: pd.DataFrame) -> pd.DataFrame:
    """Change of ``total`` from the previous year, for consecutive single years only.

    Columns: year, total, previous, change, change_pct, log_change. Years whose previous year is
    not in ``years`` are dropped (no change is computed across a gap).
    """
    d = years[["year", "total"]].dropna().copy()
    d["year"] = d["year"].astype(int)
    d["total"] = d["total"].astype(int)
    d = d.sort_values("year").reset_index(drop=True)
    prev = d.set_index("year")["total"]
    d["previous"] = d["year"].map(lambda y: prev.get(y - 1))
    d = d.dropna(subset=["previous"]).copy()
    d["previous"] = d["previous"].astype(int)
    d["change"] = d["total"] - d["previous"]
    d["change_pct"] = 100.0 * d["change"] / d["previous"]
    d["log_change"] = np.log(d["total"] / d["previous"])
    return d.reset_index(drop=True)


def rank_of(changes: pd.DataFrame, year: int, column: str = "change", largest: bool = True) -> int | None:
    """Rank (1 = largest, or smallest if ``largest`` is False) of ``year``'s value in ``column``."""
    if year not in set(changes["year"]):
        return None
    r = changes[column].rank(ascending=not largest, method="min")
    return int(r[changes["year"] == year].iloc[0])


# --------------------------------------------------------------------------------------------
# provocations


def missile_counts(data_dir=None) -> pd.DataFrame:
    """The missile series the analysis uses (``used`` = true), one row per year covered.

    Columns: year, missiles, partial_year, database, measure. A year outside the database's
    coverage has no row (it is not a zero).
    """
    m = used(load("missile_tests", data_dir))
    if m["database"].nunique() != 1 or m["measure"].nunique() != 1:
        raise ValueError("missile_tests: the rows marked used=true must be one database and one measure")
    out = m.rename(columns={"count": "missiles"})[["year", "missiles", "partial_year", "database", "measure"]]
    out = out.astype({"year": int, "missiles": int, "partial_year": bool})
    return out.sort_values("year").reset_index(drop=True)


def event_year_contrast(changes: pd.DataFrame, event_years, lag: int = 1, seed: int = stats.SEED) -> dict:
    """Mean log change of arrivals in the years ``lag`` after an event versus all other years.

    ``changes`` comes from :func:`year_changes`. Returns the two means as percent changes
    (exp(mean) − 1), the difference of the log means, the years used and a permutation p-value
    (event years relabelled at random among the years).
    """
    target = {int(y) + lag for y in event_years}
    is_event = changes["year"].isin(target).to_numpy()
    values = changes["log_change"].to_numpy(float)
    if is_event.sum() == 0 or (~is_event).sum() == 0:
        raise ValueError("no year (or every year) follows an event within the range")

    def diff(v, e):
        return float(v[e].mean() - v[~e].mean())

    return {
        "event_mean_pct": 100 * (math.exp(values[is_event].mean()) - 1),
        "other_mean_pct": 100 * (math.exp(values[~is_event].mean()) - 1),
        "difference": diff(values, is_event),
        "p_value": stats.permutation_pvalue(values, is_event, diff, seed=seed),
        "event_years": sorted(int(y) for y in changes.loc[is_event, "year"]),
        "n_event": int(is_event.sum()), "n_other": int((~is_event).sum()),
    }


# --------------------------------------------------------------------------------------------
# elite defectors


def exposure_rate_ratio(count_a: float, months_a: float, count_b: float, months_b: float,
                        level: float = 0.95) -> tuple[float, float, float]:
    """Ratio of two rates (b per month over a per month) with a log-normal Poisson interval.

    Counting noise only: people who defect together (families) are not independent events, so the
    real uncertainty is larger.
    """
    if min(count_a, count_b, months_a, months_b) <= 0:
        return (math.nan, math.nan, math.nan)
    ratio = (count_b / months_b) / (count_a / months_a)
    se = math.sqrt(1 / count_a + 1 / count_b)
    q = stats._z(level)
    return ratio, ratio * math.exp(-q * se), ratio * math.exp(q * se)


def elite_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Elite-defector periods with their length in years and the count per year.

    Uses the published ``duration_months`` (checked against the dates: a mismatch of more than
    one month raises). ``per_year`` is empty where no count was published.
    """
    d = frame.copy()
    start = pd.to_datetime(d["period_start"])
    end = pd.to_datetime(d["period_end"])
    months = (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month) + 1
    bad = (months - d["duration_months"].astype(int)).abs() > 1
    if bad.any():
        raise ValueError(f"elite_defectors: duration_months disagrees with the dates for {list(d.loc[bad, 'period_id'])}")
    d["years"] = d["duration_months"].astype(float) / 12.0
    d["per_year"] = d["count"].astype("Float64") / d["years"]
    d["per_year"] = d["per_year"].astype("float64")
    return d


# --------------------------------------------------------------------------------------------
# motive surveys


PUBLISHER_SHORT = {
    "Ministry of Unification": "MOU",
    "Seoul National University Institute for Peace and Unification Studies": "SNU IPUS",
    "Peterson Institute for International Economics": "PIIE",
}


def survey_points(motives: pd.DataFrame) -> pd.DataFrame:
    """Survey rows that carry a share (published, or a published bound), tidy for a chart.

    Adds ``value`` (the share, or the bound when only a bound was published), ``qualifier``
    ('as published', 'about', 'at most (about)', 'at least'), ``label`` (publisher and population)
    and ``sort_year`` (the survey year, else the first year named in ``period_covered``).
    Rows with counts only are left out (see :func:`count_shares`).
    """
    d = motives.copy()
    value = d["share_pct"].copy()
    qual = pd.Series("as published", index=d.index)
    only_low = value.isna() & d["share_low_pct"].notna()
    value[only_low] = d.loc[only_low, "share_low_pct"]
    qual[only_low] = "at least"
    at_most = d["share_pct"].notna() & d["share_high_pct"].notna() & (d["share_high_pct"] == d["share_pct"])
    qual[at_most] = "at most (about)"
    approx = d["share_pct"].notna() & ~at_most & d["approximate"].fillna(False).astype(bool)
    qual[approx] = "about"
    d["value"] = value
    d["qualifier"] = qual
    d = d[d["value"].notna()].copy()
    short = d["publisher"].map(PUBLISHER_SHORT).fillna(d["publisher"])
    d["label"] = short + ": " + d["population"].astype(str)
    first_year = d["period_covered"].astype(str).str.extract(r"(\d{4})")[0].astype(float)
    d["sort_year"] = d["survey_year"].astype("float64").fillna(first_year)
    return d.sort_values(["sort_year", "survey_id"]).reset_index(drop=True)


def count_shares(motives: pd.DataFrame, survey_id: str) -> pd.DataFrame:
    """Shares of one count-only survey, computed over the sum of its listed counts."""
    d = motives[(motives["survey_id"] == survey_id) & motives["count"].notna()].copy()
    total = float(d["count"].sum())
    d["share_of_listed_pct"] = 100.0 * d["count"].astype(float) / total
    return d.reset_index(drop=True)


def poisson_ci(count: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson count."""
    from scipy.stats import chi2

    a = 1 - level
    low = 0.0 if count == 0 else float(chi2.ppf(a / 2, 2 * count) / 2)
    high = float(chi2.ppf(1 - a / 2, 2 * count + 2) / 2)
    return low, high


def for_chart(frame: pd.DataFrame, columns=None) -> pd.DataFrame:
    """A copy fit for a chart spec: only ``columns`` (all if None), missing text as ''.

    The loader leaves missing text cells as float NaN in object columns. Altair (with pandas 3) passes
    them through, even when they are None, and ``json.dumps`` writes ``NaN``, which is not JSON: the
    browser then cannot read the chart. Missing numbers are left to Altair, which writes them as null.
    """
    d = (frame if columns is None else frame[list(columns)]).copy()
    for col in d.columns:
        if d[col].dtype == object:
            d[col] = d[col].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else v)
    return d


# --------------------------------------------------------------------------------------------
# words for the prose


def long_date(value) -> str:
    """A date as '8 July 1994'."""
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%B %Y}"


def nth_largest(rank: int) -> str:
    """'the largest', 'the 2nd largest', 'the 11th largest', ... for a rank (1 = largest)."""
    if rank == 1:
        return "the largest"
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"the {rank}{suffix} largest"
