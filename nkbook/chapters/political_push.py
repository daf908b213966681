"""The political push: successions, provocations, elite defectors and motive surveys.

Helpers for the ``political_push`` chapter. The interrupted time series (ITS) of yearly arrivals is
a negative-binomial count model (:func:`nkbook.analysis.stats.count_glm`) with a level and a trend change at
a break year. North Korea's COVID-19 border closure (2020–2022) and the years after it (arrivals
stayed near a tenth of the pre-closure level) get their own indicators, so that the post-break trend
is estimated from the years before the closure and is not dominated by the collapse.
"""

from __future__ import annotations

import math
import re
import warnings

import altair as alt
import numpy as np
import pandas as pd

from nkbook.analysis import grades, series, stats
from nkbook.analysis.series import CLOSURE_YEARS
from nkbook.data import load, resources, used
from nkbook.present import charts, words
from nkbook.present.results import Results

MIN_SIDE_YEARS = 3  # an ITS segment needs at least this many ordinary (non-closure) years


# --------------------------------------------------------------------------------------------
# a small negative-binomial engine on arrays: the break-year scans and the grid fit hundreds of
# models of ~28 points, and statsmodels' formula machinery costs ~50 ms a fit. Checked against
# statsmodels (``tests/test_political_push.py``): same maximum, same HAC covariance.


def design(frame: pd.DataFrame, terms) -> np.ndarray:
    """The design matrix (intercept first) of ``terms``, columns of ``frame``."""
    return np.column_stack([np.ones(len(frame))] + [frame[t].to_numpy(float) for t in terms])


def nb_fit(y, x, hac_lags: int | None = None) -> dict | None:
    """Maximum-likelihood NB2 fit of counts ``y`` on design ``x`` (rows in year order).

    Returns ``beta``, ``alpha``, ``llf``, ``aic`` (parameters: the coefficients and the
    dispersion), ``mu``, ``rho1`` (lag-1 autocorrelation of the Pearson residuals) and ``cov``:
    the Newey–West (HAC) sandwich covariance of ``beta`` at the ML dispersion (observed
    information, Bartlett weights, ``hac_lags`` lags or the rule of thumb, small-sample factor
    n/(n−k)), the same as statsmodels' NB GLM with ``cov_type="HAC"``; ``cov_ml`` the inverse
    observed information. None if the optimiser fails.
    """
    from scipy.special import digamma, gammaln, polygamma

    y = np.asarray(y, float)
    x = np.asarray(x, float)
    n, k = x.shape
    ly = np.log(y + 0.5)
    b0, *_ = np.linalg.lstsq(x, ly, rcond=None)
    lgy1 = gammaln(y + 1)

    def loglik(b, la):
        a = math.exp(la)
        r = 1 / a
        mu = np.exp(np.clip(x @ b, -30, 30))
        return float(np.sum(gammaln(y + r) - gammaln(r) - lgy1 + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu))))

    def newton_step(b, la):
        # gradient and analytic Hessian in (beta, log alpha)
        a = math.exp(la)
        r = 1 / a
        mu = np.exp(np.clip(x @ b, -30, 30))
        d = 1 + a * mu
        g_b = x.T @ ((y - mu) / d)
        h_bb = -(x.T @ (x * (mu * (1 + a * y) / d**2)[:, None]))
        h_ba = -(x.T @ (a * mu * (y - mu) / d**2))
        # d/d(log a) of the log-likelihood and its second derivative
        u = (np.log1p(a * mu) - digamma(y + r) + digamma(r)) * r + (y - mu) / d
        g_a = float(np.sum(u))
        du = (
            -(np.log1p(a * mu) - digamma(y + r) + digamma(r)) * r
            + r * (a * mu / d + (polygamma(1, y + r) - polygamma(1, r)) * r)
            - a * mu * (y - mu) / d**2
        )
        h_aa = float(np.sum(du))
        g = np.concatenate([g_b, [g_a]])
        h = np.block([[h_bb, h_ba[:, None]], [h_ba[None, :], np.array([[h_aa]])]])
        return g, h

    theta = np.concatenate([b0, [math.log(max(float(np.var(ly - x @ b0)), 1e-4))]])
    ll = loglik(theta[:k], theta[k])
    g = np.full(k + 1, np.inf)
    with np.errstate(all="ignore"):
        for _ in range(100):
            g, h = newton_step(theta[:k], theta[k])
            if np.max(np.abs(g)) < 1e-7:
                break
            try:
                step = np.linalg.solve(h, -g)
            except np.linalg.LinAlgError:
                return None
            lam = 1e-6 * max(1.0, float(np.max(np.abs(np.diag(h)))))
            while not np.all(np.isfinite(step)) or float(g @ step) <= 0:  # not an ascent direction: damp
                step = np.linalg.solve(h - lam * np.eye(k + 1), -g)
                lam *= 10
            if float(g @ step) < 1e-10:  # Newton decrement: at the maximum to rounding
                break
            t = 1.0
            while t > 1e-6:
                cand = theta + t * step
                ll_c = loglik(cand[:k], cand[k])
                if np.isfinite(ll_c) and ll_c >= ll - 1e-9 * max(1.0, abs(ll)):
                    break
                t /= 2
            else:
                return None
            gain, theta, ll = ll_c - ll, cand, ll_c
            if gain < 1e-10 and t == 1.0:
                break
    if not np.all(np.isfinite(theta)):
        return None

    beta, alpha = theta[:k], math.exp(theta[k])
    mu = np.exp(x @ beta)
    info = x.T @ (x * (mu * (1 + alpha * y) / (1 + alpha * mu) ** 2)[:, None])
    try:
        bread = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return None
    lags = stats.newey_west_lags(n) if hac_lags is None else hac_lags
    score = x * ((y - mu) / (1 + alpha * mu))[:, None]
    meat = score.T @ score
    for lag in range(1, lags + 1):
        g = score[lag:].T @ score[:-lag]
        meat += (1 - lag / (lags + 1)) * (g + g.T)
    cov = bread @ meat @ bread * n / (n - k)
    if not np.all(np.isfinite(np.diag(cov))) or np.any(np.diag(cov) <= 0):
        return None
    pearson = (y - mu) / np.sqrt(mu + alpha * mu**2)
    return {
        "beta": beta,
        "alpha": alpha,
        "llf": float(ll),
        "aic": 2 * (k + 1) - 2 * float(ll),
        "mu": mu,
        "cov": cov,
        "cov_ml": bread,
        "rho1": stats.lag1_autocorrelation(pearson),
        "hac_lags": lags,
        "pearson": pearson,
    }


def _ratio(fit: dict, weights: dict, names: list[str], level: float = 0.95, cov: str = "cov") -> tuple:
    """exp(w · beta) with its interval from ``fit[cov]`` (weights by term name)."""
    w = np.array([weights.get(n, 0.0) for n in names], float)
    est = float(w @ fit["beta"])
    se = float(math.sqrt(w @ fit[cov] @ w))
    q = stats._z(level)
    return math.exp(est), math.exp(est - q * se), math.exp(est + q * se)


# --------------------------------------------------------------------------------------------
# interrupted time series


def its_frame(years: pd.DataFrame, break_year: int, closure: tuple[int, int] = CLOSURE_YEARS) -> pd.DataFrame:
    """Design columns for a segmented (interrupted) regression of yearly counts.

    ``years`` needs ``year`` and ``total``. Adds ``t`` (years since the break), ``post`` (1 from the
    break year on), ``t_post`` (years since the break, 0 before it), ``closure`` (1 in the closure
    years) and ``reopened`` (1 in the years after the closure). Raises ValueError when either side
    of the break has fewer than :data:`MIN_SIDE_YEARS` ordinary years.
    """
    year = years["year"].to_numpy().astype(int)
    total = years["total"].to_numpy().astype(int)
    b = int(break_year)
    t = year - b
    post = (year >= b).astype(int)
    clo = ((year >= closure[0]) & (year <= closure[1])).astype(int)
    reo = (year > closure[1]).astype(int)
    ordinary = (clo == 0) & (reo == 0)
    before = int(((post == 0) & ordinary).sum())
    after = int(((post == 1) & ordinary).sum())
    if before < MIN_SIDE_YEARS or after < MIN_SIDE_YEARS:
        raise ValueError(
            f"break_year {b} leaves {words.plural(before, 'year')} before and "
            f"{words.plural(after, 'ordinary year')} from the break "
            f"on (before the {closure[0]} closure) in {year.min()}–{year.max()}; "
            f"each side needs at least {MIN_SIDE_YEARS}"
        )
    return pd.DataFrame(
        {"year": year, "total": total, "t": t, "post": post, "t_post": t * post, "closure": clo, "reopened": reo}
    )


def its_formula(frame: pd.DataFrame) -> str:
    """``total ~ t + post + t_post`` plus the closure indicators that vary in ``frame``."""
    terms = ["t", "post", "t_post"] + [c for c in ("closure", "reopened") if frame[c].nunique() > 1]
    return "total ~ " + " + ".join(terms)


def fit_its(years: pd.DataFrame, break_year: int, level: float = 0.95) -> dict:
    """Fit the single-pre-trend negative-binomial ITS (kept only to show why it is replaced).

    Returns ``frame`` (design plus ``fit`` and the no-break ``counterfactual``: the pre-break
    level and trend carried on, with no closure), ``table`` (rate ratios with maximum-likelihood
    intervals), ``level`` / ``trend_change`` / ``pre_trend`` / ``post_trend`` (each ``(ratio,
    low, high)``), ``closure`` / ``reopened`` (or None), ``alpha``, ``poisson_dispersion``
    (Pearson χ² / df of the same model fitted as Poisson), ``aic``, ``rho1`` and ``n``.
    """
    frame = its_frame(years, break_year)
    terms = its_formula(frame).split("~", 1)[1].replace(" ", "").split("+")
    x = design(frame, terms)
    y = frame["total"].to_numpy(float)
    fit = nb_fit(y, x)
    if fit is None:
        raise RuntimeError(
            f"the negative-binomial model did not converge (break_year {break_year}, "
            f"{frame['year'].min()}–{frame['year'].max()})"
        )
    import statsmodels.api as sm

    poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    names = ["Intercept", *terms]
    se = np.sqrt(np.diag(fit["cov_ml"]))
    q = stats._z(level)
    from scipy.stats import norm

    table = pd.DataFrame(
        {
            "term": names,
            "rate_ratio": np.exp(fit["beta"]),
            "low": np.exp(fit["beta"] - q * se),
            "high": np.exp(fit["beta"] + q * se),
            "p_value": 2 * norm.sf(np.abs(fit["beta"] / se)),
        }
    )

    def ratio(term):
        return _ratio(fit, {term: 1}, names, level, "cov_ml") if term in names else None

    out = frame.copy()
    out["fit"] = fit["mu"]
    keep = [0] + [i + 1 for i, t in enumerate(terms) if t == "t"]
    out["counterfactual"] = np.exp(x[:, keep] @ fit["beta"][keep])
    return {
        "frame": out,
        "table": table,
        "level": ratio("post"),
        "trend_change": ratio("t_post"),
        "pre_trend": ratio("t"),
        "post_trend": _ratio(fit, {"t": 1, "t_post": 1}, names, level, "cov_ml"),
        "closure": ratio("closure"),
        "reopened": ratio("reopened"),
        "alpha": fit["alpha"],
        "poisson_dispersion": float(poisson.pearson_chi2 / poisson.df_resid),
        "aic": fit["aic"],
        "rho1": fit["rho1"],
        "n": int(len(frame)),
    }


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


def event_year_contrast(changes: pd.DataFrame, event_years, lag: int = 1) -> dict:
    """Mean log change of arrivals in the years ``lag`` after an event versus all other years.

    ``changes`` comes from :func:`year_changes`. Returns the two means as percent changes
    (exp(mean) − 1), the difference of the log means, the years used and a circular-shift p-value
    (the event years shifted round the series, which keeps their spacing; calibrated).
    """
    target = {int(y) + lag for y in event_years}
    is_event = changes["year"].isin(target).to_numpy()
    values = changes["log_change"].to_numpy(float)
    if is_event.sum() == 0 or (~is_event).sum() == 0:
        raise ValueError("no year (or every year) follows an event within the range")

    def diff(v, e):
        return float(v[e].mean() - v[~e].mean())

    shift = stats.circular_shift_pvalue(values, is_event, diff)
    return {
        "circular_p": shift["p"],
        "circular_min_p": shift["min_p"],
        "event_mean_pct": 100 * (math.exp(values[is_event].mean()) - 1),
        "other_mean_pct": 100 * (math.exp(values[~is_event].mean()) - 1),
        "difference": diff(values, is_event),
        "event_years": sorted(int(y) for y in changes.loc[is_event, "year"]),
        "n_event": int(is_event.sum()),
        "n_other": int((~is_event).sum()),
    }


# --------------------------------------------------------------------------------------------
# elite defectors


def exposure_rate_ratio(
    count_a: float, months_a: float, count_b: float, months_b: float, level: float = 0.95
) -> tuple[float, float, float]:
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
        raise ValueError(
            f"elite_defectors: duration_months disagrees with the dates for {list(d.loc[bad, 'period_id'])}"
        )
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


def nth_largest(rank: int | None) -> str:
    """'the largest', 'the 2nd largest', 'the 11th largest', ... for a rank (1 = largest)."""
    if rank is None:
        raise ValueError("no rank: the year is not in the compared years")
    return "the largest" if rank == 1 else f"the {words.ordinal(rank)} largest"


# --------------------------------------------------------------------------------------------
# the chapter: compute() and its chart and table builders

LEVEL = 0.95


def compute(data_dir=None, *, start_year: int = 1998, end_year: int | None = None, break_year: int = 2012) -> Results:
    """Every value the chapter's prose glues, plus the frames its charts and tables need."""
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    r = Results()
    all_years = series.yearly(data_dir)
    all_years["total"] = all_years["total"].astype(int)
    years = series.window(all_years, start_year, end_year)
    ctx = {
        "data_dir": data_dir,
        "start_year": start_year,
        "end_year": end_year,
        "break_year": int(break_year),
        "all_years": all_years,
        "years": years,
        "by_year": all_years.set_index("year")["total"],
    }
    r.put("start_year", start_year)
    r.put("end_year", end_year)
    r.put("break_year", int(break_year))
    r.put("ci_level", round(100 * LEVEL))
    r.extra["ctx"] = ctx
    _successions(r, ctx)
    _its_section(r, ctx)
    _successor_claim(r, ctx)
    _provocations(r, ctx)
    _elites(r, ctx)
    _motives(r, ctx)
    _perception(r, ctx)
    _songbun(r, ctx)
    _findings(r)
    return r


def _findings(r: Results) -> None:
    """The key findings box: sentences built only from values the chapter also puts."""
    b = r["break_year"]
    r.findings(
        f"Arrivals {r['change_2012_words']} from {r['arrivals_2011']:,} in 2011 to {r['arrivals_2012']:,} in 2012 "
        f"({r['change_2011_2012_pct']:+.1f}%), {r['drop_2012_sharpest_text']}; a model with trends before and after "
        f"a break puts the step at {b} at {r['shape_level_change_pct']:+.1f}% (HAC interval "
        f"{r['shape_level_change_low_pct']:+.1f}% to {r['shape_level_change_high_pct']:+.1f}%), and the best-fitting "
        f"break year is {r['profile_best_year']}.",
        f"Over break years {r['grid_breaks_text']} and start years {r['grid_starts_text']}, a step down appears in "
        f"{count_of(r['grid_n_down'], r['grid_n'])} specifications, but a test that keeps its size on a series "
        f"this short finds the fall unusual at the 5% level in {count_of(r['grid_n_robust'], r['grid_n'])}: graded "
        f"{r['grade_succession']} ({r['grade_succession_why']}). The timing fits the succession; a tighter border "
        "on both sides is a rival explanation the count cannot rule out.",
        f"Missile tests and arrivals: correlations from {r['corr_r_min']:.2f} to {r['corr_r_max']:.2f} across "
        f"{r['corr_grid_n']} specifications, with an association the circular-shift test finds at the 5% level in "
        f"{count_of(r['corr_grid_n_robust'], r['corr_grid_n'])}; graded {r['grade_provocations']}.",
        f"Elite defectors arrived {r['elite_rate_ratio']:.2f} times as fast a year from 2012 as before (two "
        "published totals: no interval beyond counting noise is possible); with 2023's \"around "
        f'{r["elite_2023"]}" {r["elite_both_readings_sentence"]}.',
        f"Within single surveys political reasons came {r['snu2018_lead_words']} economic ones among the "
        f"{r['snu2018_n']} leavers of 2017–18 (the difference's interval {r['snu2018_gap_verdict']} zero); the "
        "surveys are not joined into a trend, because no two share a population and a question.",
    )


def _successions(r: Results, ctx: dict) -> None:
    events = load("events", ctx["data_dir"]).set_index("event_id")
    all_years, by_year = ctx["all_years"], ctx["by_year"]
    r.put("death_kim_il_sung", long_date(events.loc["kim_il_sung_death", "date"]))
    r.put("death_kim_jong_il", long_date(events.loc["kim_jong_il_death", "date"]))
    r.put("kju_named_date", long_date(events.loc["kim_jong_un_named_leader", "date"]))
    first_bucket = series.buckets(ctx["data_dir"]).set_index("period").iloc[0]
    first_single = int(all_years["year"].min())
    r.put("bucket_first_total", int(first_bucket["total"]))
    r.put("bucket_first_last_year", int(first_bucket["last_year"]))
    r.put("first_single_year", first_single)
    r.put("first_single_total", by_year[first_single])
    r.put("through_before_first_single", int(first_bucket["total"]) - int(by_year[first_single]))
    changes_all = year_changes(all_years)
    ctx["changes_all"] = changes_all
    pre_closure = changes_all[changes_all["year"] < CLOSURE_YEARS[0]]
    r.put("arrivals_2011", by_year[2011])
    r.put("arrivals_2012", by_year[2012])
    r.put("drop_2011_2012_pct", -100 * (by_year[2012] / by_year[2011] - 1), 1)
    _, low, high = stats.rate_ratio_ci(by_year[2011], by_year[2012], LEVEL)
    r.put("drop_2011_2012_noise_low_pct", -100 * (high - 1), 1)
    r.put("drop_2011_2012_noise_high_pct", -100 * (low - 1), 1)
    drop_rank = rank_of(pre_closure, 2012, "change_pct", largest=False)
    r.put("drop_2012_rank_pre_closure", drop_rank)
    r.put("drop_2012_rank_text", nth_largest(drop_rank))
    r.put("n_changes_pre_closure", len(pre_closure))
    r.put("changes_first_year", pre_closure["year"].min())
    r.put("changes_last_year_pre_closure", pre_closure["year"].max())
    r.put("median_abs_change_pre_closure_pct", pre_closure["change_pct"].abs().median(), 1)
    width = r["drop_2011_2012_noise_high_pct"] - r["drop_2011_2012_noise_low_pct"]
    r.put("noise_width_pts", width, 1)
    r.put(
        "noise_width_words",
        words.compare(width, r["median_abs_change_pre_closure_pct"], more="wider", less="narrower", same="as wide"),
    )
    r.put("change_2012_words", words.direction(by_year[2011], by_year[2012]))
    r.put("change_2011_2012_pct", 100 * (by_year[2012] / by_year[2011] - 1), 1)
    r.put("drop_2012_sharpest_text", f"{nth_largest(drop_rank)} fall before the border closure")


def _its_section(r: Results, ctx: dict) -> None:
    """The break around the second succession: a model with trends before and after it, the break
    year profiled, a grid of break and start years, and a calibrated test (issue #15)."""
    years, break_year = ctx["years"], ctx["break_year"]
    try:
        its = fit_its(years, break_year, LEVEL)
        r.put("its_window_note", "")
    except (ValueError, RuntimeError) as err:
        # the window cannot carry a break at break_year: the models use every published year, and say so
        years = ctx["all_years"]
        its = fit_its(years, break_year, LEVEL)
        r.put(
            "its_window_note",
            f"The chosen years ({ctx['start_year']}–{ctx['end_year']}) cannot carry a break "
            f"at {break_year} ({err}); the models of this section are therefore fitted to "
            f"{int(years['year'].min())}–{int(years['year'].max())}, outside the chosen window. ",
        )
    ctx["its_years"] = years
    ctx["its_span"] = (int(years["year"].min()), int(years["year"].max()))
    r.extra["its"] = its
    fr = its["frame"]
    ordinary = fr[(fr["closure"] == 0) & (fr["reopened"] == 0)]
    r.put("its_first_year", fr["year"].min())
    r.put("its_last_year", fr["year"].max())
    r.put("its_n_years", its["n"])
    r.put("closure_first", CLOSURE_YEARS[0])
    r.put("closure_last", CLOSURE_YEARS[1])
    r.put("post_ordinary_last", ordinary["year"].max())
    r.put("its_poisson_dispersion", its["poisson_dispersion"], 1)
    # what is wrong with one straight trend before the break, in numbers
    by = fr.set_index("year")
    last_pre = int(fr.loc[fr["year"] < break_year, "year"].max())
    r.put("its_last_pre_year", last_pre)
    r.put("its_fit_last_pre", by.loc[last_pre, "fit"], 0)
    r.put("its_observed_last_pre", int(by.loc[last_pre, "total"]))
    r.put("its_fit_last_pre_words", words.extent(by.loc[last_pre, "fit"], by.loc[last_pre, "total"]))
    r.put("its_counterfactual_at_break", by.loc[break_year, "counterfactual"], 0)
    r.put("its_observed_at_break", int(by.loc[break_year, "total"]))
    r.put("its_rho1", its["rho1"], 2)
    r.put("series_max_total", years["total"].max())
    r.put("series_max_year", years.loc[years["total"].idxmax(), "year"])
    pre = years[years["year"] < break_year]
    peak_pre = int(pre.loc[pre["total"].idxmax(), "year"])
    r.put(
        "pre_break_shape_sentence",
        f"it climbs to a peak in {peak_pre} and turns down before the break"
        if peak_pre < int(pre["year"].max())
        else f"it is highest in {peak_pre}, the last year before the break, and a bend lets its rise change pace",
    )
    ctx["its_aic"] = its["aic"]
    _shape_section(r, ctx)


def _shape_section(r: Results, ctx: dict) -> None:
    years, break_year = ctx["its_years"], ctx["break_year"]
    start_year, end_year = ctx["its_span"]
    shape = best_knot(years, break_year)
    if shape is None:
        raise ValueError(f"no shape model fits {start_year}–{end_year} with a break at {break_year}")
    r.extra["shape"] = shape
    fr = shape["frame"].set_index("year")
    r.put("shape_knot", shape["knot"])
    r.put("shape_alpha", shape["alpha"], 3)
    for key, triple in [
        ("shape_level_change", shape["level"]),
        ("shape_pre_trend", shape["pre_trend"]),
        ("shape_post_trend", shape["post_trend"]),
        ("shape_trend_change", shape["trend_change"]),
    ]:
        r.put(f"{key}_pct", pct(triple[0]), 1)
        r.put(f"{key}_low_pct", pct(triple[1]), 1)
        r.put(f"{key}_high_pct", pct(triple[2]), 1)
    pre, post, lv = shape["pre_trend"], shape["post_trend"], shape["level"]
    r.put("shape_pre_trend_verdict", _trend_words(pre, "fell"))
    r.put("shape_post_trend_verdict", _trend_words(post, "still fell"))
    r.put(
        "shape_level_verdict",
        "a drop whose HAC interval excludes no change"
        if lv[2] < 1
        else "a rise whose HAC interval excludes no change"
        if lv[1] > 1
        else "no step that its HAC interval can tell from none",
    )
    last_pre = r["its_last_pre_year"]
    r.put("shape_fit_last_pre", fr.loc[last_pre, "fit"], 0)
    r.put("shape_counterfactual_at_break", fr.loc[break_year, "counterfactual"], 0)
    r.put("shape_rho1", shape["rho1"], 2)
    r.put("shape_hac_lags", shape["hac_lags"])
    r.put("rho1_words", words.compare(abs(shape["rho1"]), abs(r["its_rho1"]), more="more", less="less", same="as much"))
    r.put("shape_aic_better_by", ctx["its_aic"] - shape["aic"], 1)
    r.put("shape_fit_words", words.compare(ctx["its_aic"], shape["aic"], more="better", less="worse", same="as well"))
    # what the serial correlation does to the step's interval: HAC against independence-assuming
    i = shape["names"].index("post")
    widen = math.sqrt(shape["fit"]["cov"][i, i] / shape["fit"]["cov_ml"][i, i])
    r.put("shape_hac_widening", widen, 2)
    r.put("shape_hac_widening_words", words.compare(widen, 1, more="wider", less="narrower", same="as wide"))
    # the same design on log arrivals with AR(1) errors (GLS): a second dependence-aware size
    gls = gls_step(years, break_year, shape["knot"])
    r.put("gls_level_change_pct", pct(gls["level"][0]), 1)
    r.put("gls_level_change_low_pct", pct(gls["level"][1]), 1)
    r.put("gls_level_change_high_pct", pct(gls["level"][2]), 1)
    r.put("gls_rho", gls["rho"], 2)
    r.put("gls_rho1", gls["rho1"], 2)

    _placebo_section(r, years, break_year)

    prof = break_profile(years, range(max(start_year + 5, 2004), end_year - 1))
    r.frames["break_profile"] = prof
    best = prof.loc[prof["aic"].idxmin()]
    r.put("profile_first", prof["break_year"].min())
    r.put("profile_last", prof["break_year"].max())
    r.put("profile_best_year", int(best["break_year"]))
    in_set = prof.loc[prof["in_set"], "break_year"].tolist()
    r.put("profile_set_text", _years(in_set, "or"))
    r.put("profile_set_n", len(in_set))
    r.put(
        "profile_set_sentence",
        f"only {in_set[0]} is within that distance"
        if len(in_set) == 1
        else f"the years within that distance are {_years(in_set, 'and')}",
    )
    others = prof[prof["break_year"] != int(best["break_year"])].sort_values("delta_aic")
    r.put("profile_runner_up_year", int(others["break_year"].iloc[0]))
    r.put("profile_runner_up_gap", others["delta_aic"].iloc[0], 1)
    r.put("profile_cutoff", PROFILE_CUTOFF, 2)
    chosen = prof[prof["break_year"] == break_year]
    r.put(
        "profile_chosen_sentence",
        f"The chosen break, {break_year}, is outside the profiled years."
        if chosen.empty
        else f"The chosen break, {break_year}, is the best-fitting year."
        if int(best["break_year"]) == break_year
        else f"The chosen break, {break_year}, fits {float(chosen['delta_aic'].iloc[0]):.1f} AIC points worse than "
        f"the best and is {'inside' if bool(chosen['in_set'].iloc[0]) else 'outside'} the 95% set.",
    )

    starts = sorted({max(s, start_year) for s in GRID_STARTS})
    grid = shape_grid(ctx["all_years"], end_year, starts=starts)
    r.frames["grid"] = grid
    _grid_words(r, grid, starts, break_year)


def _trend_words(triple: tuple, down: str) -> str:
    return down if triple[2] < 1 else "rose" if triple[1] > 1 else "neither rose nor fell clearly"


def _grid_words(r: Results, grid: pd.DataFrame, starts: list[int], break_year: int) -> None:
    n = len(grid)
    r.put("grid_n", n)
    r.put("grid_breaks_text", f"{GRID_BREAKS[0]}–{GRID_BREAKS[-1]}")
    r.put("grid_starts_text", _years(starts))
    n_down = int((grid["level_rr"] < 1).sum()) if n else 0
    n_hac = int(grid["excludes_1"].sum()) if n else 0
    n_rob = int(grid["robust"].sum()) if n else 0
    n_holm = int(grid["holm_robust"].sum()) if n else 0
    r.put("grid_n_down", n_down)
    r.put("grid_n_excludes", n_hac)
    r.put("grid_n_robust", n_rob)
    r.put("grid_n_holm", n_holm)
    r.put("grid_down_verdict", survival_words(n_down, n, "a step down at the break"))
    r.put("grid_down_of", count_of(n_down, n))
    r.put("grid_robust_of", count_of(n_rob, n))
    r.put("grid_holm_of", count_of(n_holm, n))
    r.put("grid_verdict", survival_words(n_hac, n, "a step down whose HAC interval excludes no change"))
    r.put(
        "grid_placebo_verdict",
        survival_words(n_rob, n, "a fall that the calibrated placebo test finds unusual at the 5% level"),
    )
    r.put("grid_holm_verdict", survival_words(n_holm, n, "the same after Holm's correction across the grid"))
    r.put("grid_rho1_max", float(grid["rho1"].abs().max()) if n else 0.0, 2)
    reachable = int((grid["min_p"] <= 0.05).sum()) if n else 0
    r.put("grid_n_reachable", reachable)
    r.put(
        "grid_reach_sentence",
        f"In none of the {n} windows can the placebo test reach the 5% level at all (its smallest possible "
        f"p-value is {grid['min_p'].min():.3f} to {grid['min_p'].max():.3f}, one over the number of candidate "
        "years), so the grid cannot certify a break by this test, only rank it."
        if n and reachable == 0
        else f"The placebo test can reach the 5% level in {reachable} of the {n} windows."
        if n
        else "No window of the grid can be fitted to these years.",
    )
    if n:
        g = grades.grade(np.log(grid["level_rr"].to_numpy()), grid["robust"].tolist(), log_scale=True)
        why = g["why"]
        if reachable == 0:
            why += "; with this few candidate years the calibrated test cannot go below the 5% level"
    else:
        g = {"grade": "not identifiable", "n_specs": 0, "n_robust": 0}
        why = "no specification of the grid can be fitted to the chosen years"
    r.put("grade_succession", g["grade"])
    r.put("grade_succession_why", why)
    r.put("grade_succession_n_specs", g["n_specs"])
    r.put("grade_succession_n_robust", g["n_robust"])
    spread = g.get("spread")
    r.put("grid_spread", float(spread) if spread is not None else 1.0, 1)
    r.put("grid_level_min_pct", 100 * (float(grid["level_rr"].min()) - 1) if n else 0.0, 1)
    r.put("grid_level_max_pct", 100 * (float(grid["level_rr"].max()) - 1) if n else 0.0, 1)
    at = grid[grid["break_year"] == break_year] if n else grid
    r.put("grid_chosen_n", len(at))
    r.put(
        "grid_chosen_verdict",
        survival_words(int(at["robust"].sum()) if len(at) else 0, len(at), f"a break at {break_year}, placebo test"),
    )


def gls_step(years: pd.DataFrame, break_year: int, knot: int | None, level: float = LEVEL) -> dict:
    """The shape model's design on log arrivals, fitted by GLS with AR(1) errors
    (:func:`nkbook.analysis.stats.ar1_gls`): the step at the break as a rate ratio with its interval,
    the estimated error autocorrelation ``rho`` and the whitened residuals' lag-1 ``rho1``."""
    frame = shape_frame(years, break_year, knot).assign(ly=lambda d: np.log(d["total"].astype(float)))
    formula = "ly ~ " + shape_formula(frame).split("~", 1)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.ar1_gls(frame, formula)
    lo, hi = res.conf_int(alpha=1 - level).loc["post"]
    return {
        "level": (math.exp(res.params["post"]), math.exp(lo), math.exp(hi)),
        "rho": float(res.rho),
        "rho1": float(res.rho1),
    }


SHAPE_TERMS = {
    "Intercept": "Level of the pre-break path at the break year",
    "t": "Yearly change, first pre-break segment",
    "bend": "Change of yearly trend at the knot",
    "post": "Step at the break",
    "t_post": "Change of yearly trend at the break",
    "closure_first": "First closure year (partly closed)",
    "closure": "Full closure years",
    "reopened": "Years after the closure",
}


def shape_table(r: Results) -> charts.Table:
    """The shape-following model's terms as rate ratios with HAC intervals."""
    shape = r.extra["shape"]
    fit, names = shape["fit"], shape["names"]
    se = np.sqrt(np.diag(fit["cov"]))
    q = stats._z(LEVEL)
    keep = [i for i, n in enumerate(names) if n != "Intercept"]  # a level, not a ratio
    names = [names[i] for i in keep]
    beta, se = fit["beta"][keep], se[keep]
    table = pd.DataFrame(
        {
            "Term": [SHAPE_TERMS.get(n, n) for n in names],
            "Rate ratio": np.exp(beta),
            f"{round(100 * LEVEL)}% HAC interval, low": np.exp(beta - q * se),
            "high": np.exp(beta + q * se),
        }
    )
    return charts.table(
        table,
        caption=f"Shape-following negative-binomial model, break at {r['break_year']}, knot at "
        f"{r['shape_knot']}: rate ratios (1 = no change) with Newey–West intervals; the step's interval "
        "describes its size, not a test of it",
        digits=3,
    )


def its_chart(r: Results) -> charts.Figure:
    """Arrivals with the shape-following model and its pre-break path carried on."""
    shape, break_year = r.extra["shape"], r["break_year"]
    fr = shape["frame"].copy()
    fr["kind"] = np.where(
        (fr["closure"] == 1) | (fr["closure_first"] == 1) | (fr["reopened"] == 1),
        "Closure and after (own indicators)",
        "Observed",
    )
    fr["segment"] = np.where(fr["post"] == 1, f"From {break_year}", f"Before {break_year}")
    lines = fr[fr["kind"] == "Observed"].copy()
    counter = fr[(fr["year"] >= break_year) & (fr["year"] <= break_year + 3)].copy()
    y_scale = alt.Scale(type="log")
    tip = [
        alt.Tooltip("year:Q", format="d", title="Year"),
        alt.Tooltip("total:Q", format=",", title="Arrivals"),
        alt.Tooltip("fit:Q", format=",.0f", title="Model"),
    ]
    fit_line = (
        alt.Chart(lines.round(0))
        .mark_line(color=charts.SERIES_COLOURS["With trends"])
        .encode(x=charts.year_axis(), y=alt.Y("fit:Q", scale=y_scale), detail="segment:N", tooltip=tip)
    )
    cf_line = (
        alt.Chart(counter.round(0))
        .mark_line(strokeDash=[5, 4], color=charts.SERIES_COLOURS["Counterfactual"])
        .encode(
            x=charts.year_axis(),
            y=alt.Y("counterfactual:Q", scale=y_scale),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("counterfactual:Q", format=",.0f", title="Pre-break path carried on"),
            ],
        )
    )
    points = (
        alt.Chart(fr)
        .mark_point(filled=True, size=45)
        .encode(
            x=charts.year_axis(),
            y=alt.Y("total:Q", title="People arriving per year (log scale)", scale=y_scale),
            color=alt.Color(
                "kind:N",
                title=None,
                legend=alt.Legend(labelLimit=360, orient="bottom"),
                scale=alt.Scale(
                    domain=["Observed", "Closure and after (own indicators)"],
                    range=[charts.SERIES_COLOURS["Observed"], charts.MUTED],
                ),
            ),
            tooltip=tip,
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"year": [break_year - 0.5], "label": [f"Break before {break_year}"]}))
        .mark_rule(color=charts.HIGHLIGHT)
        .encode(x="year:Q", tooltip=[alt.Tooltip("label:N", title="Break")])
    )
    step = r["shape_level_change_pct"]
    title = f"In {break_year} arrivals stood {abs(step):.0f}% {'below' if step < 0 else 'above'} the path before it"
    chart = (charts.closure_band() + fit_line + cf_line + points + rule).properties(
        title=alt.TitleParams(
            title,
            subtitle="Dots: arrivals; line: model with a bend before the break and a step and new trend at it; "
            "dashed: the pre-break path carried on",
        )
    )
    at = fr.set_index("year").loc[break_year]
    return charts.show(
        chart,
        name="political-push-its",
        description=(
            f"Arrivals per year from {r['its_first_year']} to {r['its_last_year']} on a log scale with the "
            f"fitted shape-following model. Just before {break_year} the model changes by "
            f"{r['shape_pre_trend_pct']:.0f}% a year; in {break_year} arrivals were {int(at['total']):,} "
            f"against {at['counterfactual']:,.0f} on the pre-break path carried forward; after the break the "
            f"trend is {r['shape_post_trend_pct']:.0f}% a year. The closure years and those after have their "
            "own indicators."
        ),
        source="Ministry of Unification (arrivals); model fitted by this book.",
        data=fr[["year", "total", "fit", "counterfactual"]].round(1),
    )


def _successor_claim(r: Results, ctx: dict) -> None:
    changes_all = ctx["changes_all"]
    claim_years = [y for y in (2010, 2011, 2012) if y in set(changes_all["year"])]
    increases = changes_all[changes_all["change"] > 0]
    claim = changes_all[changes_all["year"].isin(claim_years)].copy()
    claim["rank among increases"] = [
        str(rank_of(increases, y)) if c > 0 else "— (a fall)" for y, c in zip(claim["year"], claim["change"])
    ]
    c = claim.set_index("year")
    r.put("change_2010_pct", c.loc[2010, "change_pct"], 1)
    r.put("fall_2010_pct", -c.loc[2010, "change_pct"], 1)
    r.put("increase_2011", c.loc[2011, "change"])
    r.put("increase_2011_pct", c.loc[2011, "change_pct"], 1)
    rank_2011 = rank_of(increases, 2011)
    r.put("increase_2011_rank", rank_2011)
    r.put("increase_2011_rank_text", nth_largest(rank_2011))
    r.put("n_increases", len(increases))
    r.put("increases_first_year", increases["year"].min())
    r.put("increases_last_year", increases["year"].max())
    top = increases.loc[increases["change"].idxmax()]
    r.put("largest_increase", int(top["change"]))
    r.put("largest_increase_year", int(top["year"]))
    r.put("change_2010_words", words.direction(0, c.loc[2010, "change"]))
    r.put("change_2012_claim_words", words.direction(0, c.loc[2012, "change"]))
    r.put("increase_2011_words", words.direction(0, c.loc[2011, "change"]))
    supported = bool(rank_2011 == 1)
    r.put("essay_successor_claim_supported", supported)
    r.put("essay_successor_verdict", "supported" if supported else "not supported")
    r.frames["claim"] = claim


def claim_table(r: Results) -> charts.Table:
    claim = r.frames["claim"].rename(
        columns={
            "year": "Year",
            "total": "Arrivals",
            "previous": "Previous year",
            "change": "Change",
            "change_pct": "Change (%)",
        }
    )
    return charts.table(
        claim[["Year", "Arrivals", "Previous year", "Change", "Change (%)", "rank among increases"]],
        digits={"Change (%)": 1},
    )


CORR_LAGS = (0, 1)  # missiles in the arrival year, and in the year before


def robust_correlation(x, y, bootstrap: bool = True, n_boot: int = 2000) -> dict | None:
    """Pearson correlation of two yearly series (in year order) with dependence-aware inference.

    ``low``/``high``: a moving-block bootstrap interval (pairs resampled in blocks of consecutive
    years, :func:`nkbook.analysis.stats.moving_block_bootstrap`; NaN when ``bootstrap`` is False);
    ``shift_p``: the share of all circular shifts of ``x`` against ``y`` whose |r| is at least the
    observed one (each series keeps its own autocorrelation); ``rho1``: lag-1 autocorrelation of
    the residuals of the least-squares line of ``y`` on ``x``. None with fewer than 6 pairs.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n < 6 or np.std(x) == 0 or np.std(y) == 0:
        return None
    obs = float(np.corrcoef(x, y)[0, 1])
    shifted = np.array([np.corrcoef(np.roll(x, k), y)[0, 1] for k in range(1, n)])
    shift_p = float((1 + np.sum(np.abs(shifted) >= abs(obs) - 1e-12)) / n)
    lo = hi = math.nan
    if bootstrap:
        lo, hi = block_bootstrap_corr(x, y, n_boot)
    slope, intercept = np.polyfit(x, y, 1)
    return {
        "r": obs,
        "low": lo,
        "high": hi,
        "shift_p": shift_p,
        "min_p": 1 / n,
        "n": n,
        "rho1": stats.lag1_autocorrelation(y - (slope * x + intercept)),
    }


def block_bootstrap_corr(x, y, n_boot: int = 2000, seed: int = stats.SEED) -> tuple[float, float]:
    """Moving-block bootstrap (Künsch 1989) percentile interval of the correlation of ``x`` and ``y``:
    the same resampling as :func:`nkbook.analysis.stats.moving_block_bootstrap` (blocks of
    round(n^(1/3)) consecutive years, at least 2, pairs kept together), vectorised over resamples."""
    rng = np.random.default_rng(seed)
    n = len(x)
    b = max(2, int(round(n ** (1 / 3))))
    k = int(math.ceil(n / b))
    starts = rng.integers(0, n - b + 1, size=(n_boot, k))
    idx = (starts[:, :, None] + np.arange(b)[None, None, :]).reshape(n_boot, -1)[:, :n]
    xs, ys = x[idx], y[idx]
    xs = xs - xs.mean(axis=1, keepdims=True)
    ys = ys - ys.mean(axis=1, keepdims=True)
    denom = np.sqrt((xs * xs).sum(axis=1) * (ys * ys).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rs = np.where(denom > 0, (xs * ys).sum(axis=1) / denom, np.nan)
    lo, hi = np.nanpercentile(rs, [50 * (1 - LEVEL), 100 - 50 * (1 - LEVEL)])
    return float(lo), float(hi)


def _years(years, conjunction: str = "and") -> str:
    """Years listed one by one: '2007, 2010 and 2014' (no runs, which read badly beside 'and')."""
    return words.join([str(int(y)) for y in sorted(set(years))], conjunction)


def _peak_sentence(after: list[int], years: pd.DataFrame) -> str:
    """Where the years after the nuclear tests fall against the arrival peak (computed, #16)."""
    peak = int(years.loc[years["total"].idxmax(), "year"])
    before = [y for y in after if y < peak]
    at = [y for y in after if y == peak]
    later = [y for y in after if y > peak]
    parts = []
    if before:
        parts.append(f"{_years(before)} {'comes' if len(before) == 1 else 'come'} before it")
    if at:
        parts.append(f"{at[0]} is the peak year itself")
    if later:
        parts.append(f"{_years(later)} {'comes' if len(later) == 1 else 'come'} after it")
    one = len(after) == 1
    if before or at:
        tail = (
            "so it does not fall in the years after the peak"
            if one
            else "so they do not all fall in the years of decline after the peak"
        )
    else:
        tail = "so it falls after the peak" if one else "so all of them fall after the peak"
    lead = f"The year after a test is {after[0]}" if one else f"The years after a test are {_years(after)}"
    return f"{lead}; against the arrival peak of {peak}, {words.join(parts)}, {tail}."


def corr_grid(years: pd.DataFrame, full: pd.DataFrame) -> list[dict]:
    """The correlation grid: levels, levels before the closure and year-on-year changes, with
    missiles in the arrival year or the one before (:data:`CORR_LAGS`); specifications with too
    few years are left out."""
    specs = []
    for lag in CORR_LAGS:
        lagged = years.merge(full[["year", "missiles"]].assign(year=full["year"] + lag), on="year", how="inner")
        lagged = lagged.sort_values("year")
        pre = lagged[lagged["year"] < CLOSURE_YEARS[0]]
        consecutive = (lagged["year"].diff() == 1).to_numpy()
        d_arr = np.log(lagged["total"].astype(float)).diff().to_numpy()[consecutive]
        d_mis = lagged["missiles"].astype(float).diff().to_numpy()[consecutive]
        for name, x, y in [
            ("levels", lagged["missiles"], lagged["total"]),
            ("levels_pre_closure", pre["missiles"], pre["total"]),
            ("changes", d_mis, d_arr),
        ]:
            c = robust_correlation(x, y, bootstrap=lag == 0)
            if c is not None:
                last = int(pre["year"].max()) if len(pre) else -1
                specs.append({"lag": lag, "series": name, **c, "last_year": last})
    return specs


def _provocations(r: Results, ctx: dict) -> None:
    data_dir, start_year, end_year, break_year = ctx["data_dir"], ctx["start_year"], ctx["end_year"], ctx["break_year"]
    years = ctx["years"]
    nuclear = used(load("nuclear_tests", data_dir)).sort_values("date")
    nuclear["year"] = pd.to_datetime(nuclear["date"]).dt.year
    r.put("n_nuclear_tests", len(nuclear))
    r.put("nuclear_dates", ", ".join(long_date(d) for d in nuclear["date"]))
    missiles = missile_counts(data_dir)
    full = missiles[~missiles["partial_year"]]
    partial = missiles[missiles["partial_year"]]
    coverage = used(load("missile_tests", data_dir))["coverage_note"]
    found = re.search(r"\((missiles able to carry[^)]*)\)", resources()["missile_tests"]["description"])
    r.put("cns_definition", found.group(1) if found else "missiles as the database defines them")
    r.put("cns_coverage", coverage.iloc[0].replace("CNS copy covers ", "").split(";")[0])
    if len(partial):
        r.put("cns_partial_year", partial["year"].iloc[-1])
        r.put("cns_partial_count", partial["missiles"].iloc[-1])
    r.put("cns_first_year", missiles["year"].min())
    r.put("cns_last_full_year", full["year"].max())
    m_window = full[(full["year"] >= start_year) & (full["year"] <= end_year)]
    peak_m = m_window.loc[m_window["missiles"].idxmax()]
    r.put("missiles_peak", peak_m["missiles"])
    r.put("missiles_peak_year", peak_m["year"])
    r.put("missiles_zero_years", int((m_window["missiles"] == 0).sum()))
    before_b = m_window[m_window["year"] < break_year]
    after_b = m_window[(m_window["year"] >= break_year) & (m_window["year"] < CLOSURE_YEARS[0])]
    note = ""
    if before_b.empty or after_b.empty:
        # the window has no missile year on one side of the break: that side uses every covered year
        before_b = before_b if len(before_b) else full[full["year"] < break_year]
        after_b = after_b if len(after_b) else full[(full["year"] >= break_year) & (full["year"] < CLOSURE_YEARS[0])]
        note = (
            f" (the chosen years {start_year}–{end_year} leave one side of {break_year} without missile years, "
            "so that side uses every year the database covers)"
        )
    r.put("missiles_window_note", note)
    r.put("missiles_per_year_before_break", before_b["missiles"].mean(), 1)
    r.put("missiles_per_year_after_break", after_b["missiles"].mean(), 1)
    r.put("missiles_after_break_last_year", after_b["year"].max())

    joined = years.merge(full[["year", "missiles"]], on="year", how="inner").sort_values("year")
    r.put("corr_first_year", joined["year"].min())
    r.put("corr_last_year", joined["year"].max())
    # a grid: levels over every full year, levels before the closure, year-on-year changes; missiles
    # in the same year and in the year before the arrivals (lag 0 and 1). The interval is a
    # moving-block bootstrap, the test a circular shift (calibrated), never Fisher-z.
    specs = corr_grid(years, full)
    r.put("corr_window_note", "")
    if len(specs) < len(CORR_LAGS) * 3:
        # the window has too few missile years for every specification: use every year the database covers
        specs = corr_grid(ctx["all_years"], full)
        joined = ctx["all_years"].merge(full[["year", "missiles"]], on="year", how="inner").sort_values("year")
        r.put(
            "corr_window_note",
            f"The chosen years ({start_year}–{end_year}) have too few years with missile counts for these "
            f"correlations, so they use every year the database covers, {int(joined['year'].min())}–"
            f"{int(joined['year'].max())}, outside the chosen window. ",
        )
        r.put("corr_first_year", joined["year"].min())
        r.put("corr_last_year", joined["year"].max())
    grid = pd.DataFrame(specs)
    r.frames["corr_grid"] = grid
    at0 = grid[grid["lag"] == 0].set_index("series") if len(grid) else grid
    for key, name in [
        ("corr_missiles", "levels"),
        ("corr_missiles_pre_closure", "levels_pre_closure"),
        ("corr_missiles_changes", "changes"),
    ]:
        if name not in at0.index:
            raise ValueError(f"too few years with missile counts in {start_year}–{end_year} for the {name} correlation")
        c = at0.loc[name]
        r.put(f"{key}_r", c["r"], 2)
        r.put(f"{key}_low", c["low"], 2)
        r.put(f"{key}_high", c["high"], 2)
        r.put(f"{key}_n", int(c["n"]))
        r.put(f"{key}_shift_p", c["shift_p"], 2)
        r.put(f"{key}_rho1", c["rho1"], 2)
    r.put("corr_pre_closure_last_year", int(at0.loc["levels_pre_closure", "last_year"]))
    covers_zero = bool(((at0["low"] < 0) & (at0["high"] > 0)).all())
    r.put("corr_missiles_all_include_zero", covers_zero)
    r.put(
        "corr_verdict",
        "every one of these intervals includes zero" if covers_zero else "not every interval includes zero",
    )
    r.put("corr_rho1_max", float(grid["rho1"].abs().max()), 2)
    r.put(
        "corr_verdict_short",
        "an interval that includes zero"
        if at0.loc["levels", "low"] < 0 < at0.loc["levels", "high"]
        else "an interval that excludes zero",
    )
    n_rob = int((grid["shift_p"] < 0.05).sum())
    r.put("corr_grid_n", len(grid))
    r.put("corr_grid_n_robust", n_rob)
    r.put("corr_robust_of", count_of(n_rob, len(grid)))
    r.put(
        "corr_grid_verdict",
        survival_words(n_rob, len(grid), "an association the circular-shift test finds at the 5% level"),
    )
    g = grades.grade(grid["r"].tolist(), (grid["shift_p"] < 0.05).tolist())
    r.put_all(grades.result_keys("provocations", g))
    r.put("corr_r_min", float(grid["r"].min()), 2)
    r.put("corr_r_max", float(grid["r"].max()), 2)

    changes_all = ctx["changes_all"]
    ordinary_changes = changes_all[
        (changes_all["year"] >= start_year)
        & (changes_all["year"] <= end_year)
        & (changes_all["year"] < CLOSURE_YEARS[0])
    ]
    try:
        contrast = event_year_contrast(ordinary_changes, nuclear["year"], lag=1)
    except ValueError:
        contrast = None
    if contrast is None:
        r.put(
            "nuclear_contrast_sentence",
            f"No year from {start_year} to {end_year} before the closure follows a nuclear test (or every one "
            "does), so the years after a test cannot be compared with the others in this window.",
        )
        r.put("nuclear_following_years", "none in the window")
        r.put("nuclear_peak_sentence", "")
    else:
        r.put("nuclear_next_year_mean_pct", contrast["event_mean_pct"], 1)
        r.put("other_year_mean_pct", contrast["other_mean_pct"], 1)
        r.put("nuclear_contrast_n_event", contrast["n_event"])
        r.put("nuclear_contrast_n_other", contrast["n_other"])
        r.put("nuclear_contrast_circular_p", contrast["circular_p"], 2)
        r.put("nuclear_contrast_circular_min_p", contrast["circular_min_p"], 2)
        r.put("nuclear_contrast_rho1", stats.lag1_autocorrelation(ordinary_changes["log_change"]), 2)
        r.put(
            "nuclear_contrast_sentence",
            f"In the year after a nuclear test arrivals changed by {contrast['event_mean_pct']:.1f}% on average "
            f"({words.plural(contrast['n_event'], 'year')}), against {contrast['other_mean_pct']:.1f}% in the "
            f"other {words.plural(contrast['n_other'], 'year')} before the closure; the year-on-year changes have "
            f"a lag-1 autocorrelation of {stats.lag1_autocorrelation(ordinary_changes['log_change']):.2f}, so "
            f"the years are not interchangeable, and shifting the test years round the series (which keeps their "
            f"spacing) gives p = {contrast['circular_p']:.2f} for a difference at least this large (the smallest "
            f"value it can give is {contrast['circular_min_p']:.2f}).",
        )
        after = list(contrast["event_years"])
        r.put("nuclear_following_years", _years(after))
        r.put("nuclear_peak_sentence", _peak_sentence(after, years))
    peak_year = int(years.loc[years["total"].idxmax(), "year"])
    ctx["contrast"] = contrast
    r.put("arrivals_peak_year", peak_year)
    r.put(
        "missiles_direction", words.direction(r["missiles_per_year_before_break"], r["missiles_per_year_after_break"])
    )
    peak_in_closure = CLOSURE_YEARS[0] <= r["missiles_peak_year"] <= CLOSURE_YEARS[1]
    r.put(
        "missiles_peak_closure_text",
        "fell inside the closure, when arrivals were near zero for a reason the missile count does not measure"
        if peak_in_closure
        else "fell outside the closure years",
    )
    r.frames["joined"] = joined
    r.frames["missiles"] = missiles[(missiles["year"] >= start_year) & (missiles["year"] <= end_year)].copy()
    r.frames["nuclear"] = nuclear[(nuclear["year"] >= start_year) & (nuclear["year"] <= end_year)].copy()


def provocations_chart(r: Results) -> charts.Figure:
    start_year, end_year = r["start_year"], r["end_year"]
    years = r.extra["ctx"]["years"]
    x_dom = alt.Scale(domain=[start_year - 0.5, end_year + 0.5])
    xa = alt.X("year:Q", title="Year", axis=alt.Axis(format="d", tickMinStep=1), scale=x_dom)
    arr = (
        alt.Chart(years[["year", "total"]])
        .mark_bar(color=charts.SERIES_COLOURS["All arrivals"])
        .encode(
            x=xa,
            y=alt.Y("total:Q", title="Arrivals per year"),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("total:Q", format=",", title="Arrivals"),
            ],
        )
    )
    mw = r.frames["missiles"].copy()
    mw["coverage"] = np.where(mw["partial_year"], "Part of the year only", "Full year")
    mis = (
        alt.Chart(mw)
        .mark_bar()
        .encode(
            x=xa,
            y=alt.Y("missiles:Q", title="Missiles tested per year (CNS)"),
            color=alt.Color(
                "coverage:N",
                title=None,
                scale=alt.Scale(domain=["Full year", "Part of the year only"], range=[charts.PALETTE[5], charts.MUTED]),
            ),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("missiles:Q", title="Missiles"),
                alt.Tooltip("coverage:N", title="Coverage"),
            ],
        )
    )
    nuc = r.frames["nuclear"].copy()
    nuc["when"] = nuc["date"].map(long_date)
    nuc["x"] = pd.to_datetime(nuc["date"]).dt.day_of_year / 366 + nuc["year"] - 0.5
    nrule = (
        alt.Chart(for_chart(nuc, ["x", "when", "magnitude", "yield_text"]))
        .mark_rule(color=charts.TOTAL, strokeDash=[4, 3])
        .encode(
            x=alt.X("x:Q", scale=x_dom),
            tooltip=[
                alt.Tooltip("when:N", title="Nuclear test"),
                alt.Tooltip("magnitude:Q", title="Magnitude"),
                alt.Tooltip("yield_text:N", title="Estimated yield"),
            ],
        )
    )
    chart = alt.vconcat(
        (charts.closure_band() + arr + nrule).properties(height=200, title="Arrivals in South Korea"),
        (mis + nrule).properties(height=160, title="Missiles tested (CNS database; dashed lines: nuclear tests)"),
    ).properties(
        title=alt.TitleParams(
            f"Missile testing peaked in {r['missiles_peak_year']}; its correlation with arrivals is "
            f"{r['corr_missiles_r']:.2f}, {r['corr_verdict_short']}",
            subtitle="Missile years outside the database's coverage are left blank, not zero",
        )
    )
    return charts.show(
        chart,
        name="political-push-provocations",
        description=(
            f"Two stacked bar charts, {start_year} to {end_year}: arrivals per year and "
            f"missiles tested per year in the CNS database, with the {len(nuc)} nuclear tests "
            f"in the range as dashed lines. Testing peaks at {r['missiles_peak']} missiles in "
            f"{r['missiles_peak_year']}; the correlation with arrivals over {r['corr_missiles_n']} full "
            f"years is {r['corr_missiles_r']:.2f} (block-bootstrap interval {r['corr_missiles_low']:.2f} to "
            f"{r['corr_missiles_high']:.2f})."
        ),
        source="Ministry of Unification (arrivals); CNS North Korea Missile Test Database (copy to "
        "12 Apr 2023); nuclear test dates from Business Standard and Euronews.",
        data=r.frames["joined"][["year", "total", "missiles"]],
    )


def _elites(r: Results, ctx: dict) -> None:
    data_dir = ctx["data_dir"]
    elite = elite_rates(load("elite_defectors", data_dir)).set_index("period_id")
    pre_e, post_e, tot_e = elite.loc["1997h2_2011"], elite.loc["2012_2024h1"], elite.loc["1997h2_2024h1"]
    for key, row in [("elite_pre", pre_e), ("elite_post", post_e)]:
        r.put(f"{key}_count", row["count"])
        r.put(f"{key}_months", row["duration_months"])
        r.put(f"{key}_years", row["years"], 1)
        r.put(f"{key}_per_year", row["per_year"], 1)
        r.put(f"{key}_label", f"{pd.Timestamp(row['period_start']):%B %Y} to {pd.Timestamp(row['period_end']):%B %Y}")
    r.put("elite_total", tot_e["count"])
    r.put("elite_total_matches_sum", int(tot_e["count"]) == int(pre_e["count"]) + int(post_e["count"]))
    er = exposure_rate_ratio(
        pre_e["count"], pre_e["duration_months"], post_e["count"], post_e["duration_months"], LEVEL
    )
    r.put("elite_rate_ratio", er[0], 2)
    r.put("elite_rate_ratio_low", er[1], 2)
    r.put("elite_rate_ratio_high", er[2], 2)
    e23 = elite.loc["2023"]
    r.put("elite_2023", e23["count"])
    r.put("elite_2023_approximate", bool(e23["approximate"]))
    r.put("elite_2023_vs_post_rate_pct", 100 * (e23["count"] / post_e["per_year"] - 1), 1)
    r.put(
        "elite_2023_vs_post_words",
        words.extent(
            e23["count"],
            post_e["per_year"],
            close="close to the",
            above="above the",
            below="below the",
            far_above="far above the",
            far_below="far below the",
        ),
    )
    r.put("elite_2023_vs_post_rate_abs_pct", abs(100 * (e23["count"] / post_e["per_year"] - 1)), 1)
    r.put(
        "elite_2023_vs_post_side",
        words.compare(e23["count"], post_e["per_year"], more="above", less="below", same="equal to"),
    )
    e24 = elite.loc["2024"]
    r.put("elite_2024_text", "single digits" if pd.isna(e24["count"]) else str(int(e24["count"])))
    # 'The most since 2017' means each of 2018-2022 had fewer than 2023, and 2024 was in single digits
    # (at most 9, so at most 9 in its first half). What is left of the 2012-mid-2024 total falls on 2012-2017.
    left = elite_2012_2017_floor(int(post_e["count"]), int(e23["count"]))
    r.put("elite_2012_2017_min_total", left)
    r.put("elite_2012_2017_min_per_year", left / len(range(2012, 2018)), 1)
    # "around 10" is approximate: read it as anything from one below to one above the published figure
    holds = {}
    for c in range(int(e23["count"]) - 1, int(e23["count"]) + 2):
        floor_c = elite_2012_2017_floor(int(post_e["count"]), c) / len(range(2012, 2018))
        holds[c] = floor_c > c
    r.put("elite_around_low", min(holds))
    r.put("elite_around_high", max(holds))
    yes = [c for c, v in holds.items() if v]
    no = [c for c, v in holds.items() if not v]
    r.put(
        "elite_early_more_verdict",
        "holds whichever of these it means"
        if not no
        else "holds for none of these readings"
        if not yes
        else f"holds if it means {words.join([str(c) for c in yes], 'or')} but not if it means "
        f"{words.join([str(c) for c in no], 'or')}, so it depends on a rounding the ministry did not state",
    )
    r.put("elite_early_more_robust", not no)
    # what holds under every reading: the smallest of the floors
    floors = {c: elite_2012_2017_floor(int(post_e["count"]), c) / len(range(2012, 2018)) for c in holds}
    r.put("elite_floor_all_readings_per_year", min(floors.values()), 1)
    r.put("elite_floor_max_reading", max(holds))
    r.put(
        "elite_both_readings_sentence",
        f"read as {min(holds)}, {int(e23['count'])} or {max(holds)}, at least "
        f"{min(floors.values()):.1f} elite defectors a year fell on 2012–2017 under every reading; "
        + (
            "that is more a year than 2023 under every reading"
            if not no
            else "that is more a year than 2023 under none of the readings"
            if not yes
            else f"that is more a year than 2023 if it means {words.join([str(c) for c in yes], 'or')}, "
            f"but not if it means {words.join([str(c) for c in no], 'or')}, so the data cannot say which"
        ),
    )
    rate_rows = []
    for pid, label in [("1997h2_2011", "Jul 1997 – Dec 2011"), ("2012_2024h1", "Jan 2012 – Jun 2024")]:
        row = elite.loc[pid]
        lo, hi = poisson_ci(int(row["count"]), LEVEL)
        rate_rows.append(
            {
                "period": label,
                "people": int(row["count"]),
                "months": int(row["duration_months"]),
                "per_year": round(row["per_year"], 1),
                "low": round(lo / row["years"], 1),
                "high": round(hi / row["years"], 1),
                "definition": "NIS sole protection, incl. family",
            }
        )
    rate_rows.append(
        {
            "period": "2023 (about)",
            "people": int(e23["count"]),
            "months": 12,
            "per_year": float(e23["count"]),
            "low": None,
            "high": None,
            "definition": "MOU briefing, 'elite class' (approximate)",
        }
    )
    r.frames["elite_rates"] = pd.DataFrame(rate_rows)
    ctx["elite"] = elite
    dip = load("diplomat_defections", data_dir).sort_values(["year", "month"])
    r.put("diplomat_cases_n", len(dip))
    r.put("diplomats_2015_claim", elite.loc["diplomats_2015", "count"])
    r.put("diplomats_2016h1_claim", elite.loc["diplomats_2016h1", "count"])
    r.frames["diplomats"] = dip


SINGLE_DIGIT_MAX = 9


def elite_2012_2017_floor(post_count: int, count_2023: int) -> int:
    """The least of the Jan 2012 – Jun 2024 total that must fall in 2012–2017.

    If each of 2018–2022 had fewer than 2023 (at most ``count_2023 − 1``), 2023 had ``count_2023``
    and the first half of 2024 at most :data:`SINGLE_DIGIT_MAX`, the rest fell in 2012–2017.
    """
    return post_count - len(range(2018, 2023)) * (count_2023 - 1) - count_2023 - SINGLE_DIGIT_MAX


def elite_chart(r: Results) -> charts.Figure:
    rates = r.frames["elite_rates"]
    order = list(rates["period"])
    e_tip = [
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("people:Q", title="People"),
        alt.Tooltip("months:Q", title="Months"),
        alt.Tooltip("per_year:Q", format=".1f", title="Per year"),
        alt.Tooltip("low:Q", format=".1f", title="Low"),
        alt.Tooltip("high:Q", format=".1f", title="High"),
        alt.Tooltip("definition:N", title="Definition"),
    ]
    ebar = (
        alt.Chart(for_chart(rates))
        .mark_bar(size=70)
        .encode(
            x=alt.X("period:N", title="Period", sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("per_year:Q", title="Elite defectors per year"),
            color=alt.Color(
                "definition:N",
                title=None,
                legend=alt.Legend(labelLimit=360),
                scale=alt.Scale(
                    domain=list(dict.fromkeys(rates["definition"])), range=[charts.PALETTE[0], charts.MUTED]
                ),
            ),
            tooltip=e_tip,
        )
    )
    eerr = (
        alt.Chart(rates.dropna(subset=["low"]))
        .mark_rule(strokeWidth=2, color=charts.TOTAL)
        .encode(x=alt.X("period:N", sort=order), y="low:Q", y2="high:Q", tooltip=e_tip)
    )
    return charts.show(
        (ebar + eerr).properties(
            width=460,
            title=alt.TitleParams(
                f"Elite defectors per year: {r['elite_rate_ratio']:.1f} times as many from 2012 as before",
                subtitle="Counts include family members; 95% intervals cover counting noise only",
            ),
        ),
        name="political-push-elite-rates",
        description=(
            f"Bar chart of elite defectors per year: {r['elite_pre_per_year']:.1f} from "
            f"{r['elite_pre_label']} and {r['elite_post_per_year']:.1f} from {r['elite_post_label']}, "
            f"with about {r['elite_2023']} in 2023 under the ministry's briefing definition."
        ),
        source="Ministry of Unification (NIS figures, August 2024; 2023 briefing of 18 January 2024).",
        data=rates,
    )


def diplomat_table(r: Results) -> charts.Table:
    dip = r.frames["diplomats"]
    shown = dip.assign(when=dip["year"].astype(str) + "-" + dip["month"].astype(int).map("{:02d}".format))
    return charts.table(
        shown[["when", "post", "mission_country"]].rename(
            columns={"when": "Year-month", "post": "Post", "mission_country": "Mission in"}
        )
    )


def _share(motives: pd.DataFrame, survey_id: str, category: str) -> pd.Series:
    row = motives[(motives["survey_id"] == survey_id) & (motives["category"] == category)]
    if row.empty:
        raise KeyError(f"motive_surveys: no row for {survey_id!r} / {category!r}")
    return row.iloc[0]


def _motives(r: Results, ctx: dict) -> None:
    motives = load("motive_surveys", ctx["data_dir"])
    by_year = ctx["by_year"]
    s23r = _share(motives, "mou_2023_arrivals", "Dislike of the North Korean regime")["share_pct"]
    s23f = _share(motives, "mou_2023_arrivals", "Food shortage")["share_pct"]
    s20r = _share(motives, "mou_2020", "Dislike of the North Korean regime")["share_pct"]
    s20f = _share(motives, "mou_2020", "Food shortage")["share_pct"]
    r.put("mou2023_regime_pct", s23r, 1)
    r.put("mou2023_food_pct", s23f, 1)
    r.put("mou2020_regime_pct", s20r, 1)
    r.put("mou2020_food_pct", s20f, 1)
    r.put("mou2023_gap_pts", s23r - s23f, 1)
    n23 = int(by_year[2023])
    lo, hi = stats.proportion_ci(round(s23r / 100 * n23), n23, LEVEL)
    r.put("arrivals_2023", n23)
    r.put("mou2023_regime_low_if_all", lo, 1)
    r.put("mou2023_regime_high_if_all", hi, 1)
    ctx["mou2023"] = (s23r, s23f, n23)
    d, lo_d, hi_d = multinomial_difference_ci(s23r, s23f, n23, LEVEL)
    r.put("mou2023_gap_low_if_all", lo_d, 1)
    r.put("mou2023_gap_high_if_all", hi_d, 1)
    r.put("mou2023_gap_diff_verdict", "includes" if lo_d <= 0 <= hi_d else "excludes")
    r.put("mou2023_lead_words", words.compare(s23r, s23f, more="ahead of", less="behind", same="level with"))
    r.put("mou2020_lead_words", words.compare(s20r, s20f, more="ahead of", less="behind", same="level with"))

    snu = motives[motives["survey_id"] == "snu_ipus_2018"]
    snu_n = int(snu["sample_size"].iloc[0])
    snu_pol = snu[snu["category"] == "Political reasons (total)"]["share_pct"].iloc[0]
    snu_eco = snu[snu["category"] == "Economic reasons (total)"]["share_pct"].iloc[0]
    r.put("snu2018_n", snu_n)
    r.put("snu2018_political_pct", snu_pol, 1)
    r.put("snu2018_economic_pct", snu_eco, 1)
    for name, value in [("snu2018_political", snu_pol), ("snu2018_economic", snu_eco)]:
        lo, hi = stats.proportion_ci(round(value / 100 * snu_n), snu_n, LEVEL)
        r.put(f"{name}_low", lo, 1)
        r.put(f"{name}_high", hi, 1)
    ctx["snu"] = (snu_pol, snu_eco, snu_n)
    d, lo_d, hi_d = multinomial_difference_ci(snu_pol, snu_eco, snu_n, LEVEL)
    r.put("snu2018_gap_pts", d, 1)
    r.put("snu2018_gap_low", lo_d, 1)
    r.put("snu2018_gap_high", hi_d, 1)
    r.put("snu2018_gap_verdict", "includes" if lo_d <= 0 <= hi_d else "excludes")
    r.put("snu2018_lead_words", words.compare(snu_pol, snu_eco, more="ahead of", less="behind", same="level with"))

    piie = motives[motives["survey_id"] == "peterson_2009"].set_index("category")
    r.put("piie_n", piie["sample_size"].iloc[0])
    r.put("piie_economic_pct", piie.loc["Poor condition of the economy", "share_pct"], 1)
    r.put("piie_political_pct", piie.loc["Political oppression", "share_pct"], 1)
    r.put(
        "piie_lead_words",
        words.compare(
            piie.loc["Political oppression", "share_pct"],
            piie.loc["Poor condition of the economy", "share_pct"],
            more="ahead of",
            less="behind",
            same="level with",
        ),
    )
    r.put(
        "hanawon_pre2001_economic_pct",
        _share(motives, "mou_hanawon_pre2001", "Hunger and economic difficulty")["share_pct"],
        0,
    )
    r.put(
        "hanawon_2014_2016_economic_min_pct",
        _share(motives, "mou_hanawon_2014_2016", "Hunger and economic difficulty")["share_low_pct"],
        0,
    )
    r.put(
        "hanawon_2016_hardship_pct",
        _share(motives, "mou_hanawon_2016", "Hardship (livelihood difficulties)")["share_pct"],
        0,
    )
    for sid, key in [("mou_choi_2012", "choi2012"), ("mou_choi_2017h1", "choi2017h1")]:
        r.put(f"{key}_hardship_pct", _share(motives, sid, "Hardship (livelihood difficulties)")["share_pct"], 1)
        r.put(f"{key}_system_pct", _share(motives, sid, "Dissatisfaction with the system")["share_pct"], 1)
    c12 = _share(motives, "mou_choi_2012", "Dissatisfaction with the system")["share_pct"]
    c17 = _share(motives, "mou_choi_2017h1", "Dissatisfaction with the system")["share_pct"]
    h12 = _share(motives, "mou_choi_2012", "Hardship (livelihood difficulties)")["share_pct"]
    h17 = _share(motives, "mou_choi_2017h1", "Hardship (livelihood difficulties)")["share_pct"]
    r.put("choi_system_direction", words.direction(c12, c17))
    r.put("choi_hardship_direction", words.direction(h12, h17))
    # two cohorts of arrivals: a two-sample interval for each change, on the bases the published
    # counts and shares imply (count / share)
    for cat, key in [("Hardship (livelihood difficulties)", "hardship"), ("Dissatisfaction with the system", "system")]:
        a, b = _share(motives, "mou_choi_2012", cat), _share(motives, "mou_choi_2017h1", cat)
        n_a = round(float(a["count"]) / (float(a["share_pct"]) / 100))
        n_b = round(float(b["count"]) / (float(b["share_pct"]) / 100))
        d, lo_d, hi_d = stats.two_proportion_ci(int(b["count"]), n_b, int(a["count"]), n_a, LEVEL)
        r.put(f"choi_{key}_change_pts", d, 1)
        r.put(f"choi_{key}_change_low", lo_d, 1)
        r.put(f"choi_{key}_change_high", hi_d, 1)
        r.put(f"choi_{key}_change_verdict", "excludes" if lo_d > 0 or hi_d < 0 else "includes")
        r.put(f"choi_base_2012_{key}", n_a)
        r.put(f"choi_base_2017h1_{key}", n_b)
    reg = count_shares(motives, "mou_registered_c2015").set_index("category")
    r.put("registered_listed_total", reg["count"].sum())
    r.put("registered_hardship", reg.loc["Hardship (livelihood difficulties)", "count"])
    r.put("registered_hardship_pct", reg.loc["Hardship (livelihood difficulties)", "share_of_listed_pct"], 1)
    r.put("registered_system", reg.loc["Dissatisfaction with the system", "count"])
    r.put("registered_system_pct", reg.loc["Dissatisfaction with the system", "share_of_listed_pct"], 1)
    r.put("registered_political_pct", reg[reg["category_group"] == "political"]["share_of_listed_pct"].sum(), 1)

    pts = survey_points(motives)
    pts["shown_year"] = pts["survey_year"].astype("Int64").astype(str).replace("<NA>", "not stated")
    pts["n"] = pts["sample_size"].astype("Int64").astype(str).replace("<NA>", "not stated")
    pts["row"] = pts["label"] + " (" + pts["period_covered"].astype(str) + ")"
    group_names = {"political": "Political", "economic": "Economic", "family": "Family", "other": "Other"}
    pts["group"] = pts["category_group"].map(group_names)
    r.frames["survey_points"] = pts


def motives_chart(r: Results) -> charts.Figure:
    pts = r.frames["survey_points"]
    order_rows = list(dict.fromkeys(pts["row"]))
    m_tip = [
        alt.Tooltip("survey_label:N", title="Survey"),
        alt.Tooltip("population:N", title="Population"),
        alt.Tooltip("period_covered:N", title="Period"),
        alt.Tooltip("n:N", title="Sample size"),
        alt.Tooltip("category:N", title="Reason"),
        alt.Tooltip("value:Q", format=".1f", title="Share (%)"),
        alt.Tooltip("qualifier:N", title="Published as"),
    ]
    chart = (
        alt.Chart(for_chart(pts))
        .mark_point(filled=True, size=90, opacity=0.85)
        .encode(
            y=alt.Y("row:N", title=None, sort=order_rows, axis=alt.Axis(labelLimit=330)),
            x=alt.X("value:Q", title="Share of respondents giving the reason (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "group:N",
                title="Reason group",
                scale=alt.Scale(domain=["Political", "Economic"], range=[charts.PALETTE[3], charts.PALETTE[1]]),
            ),
            shape=alt.Shape("qualifier:N", title="Published as"),
            tooltip=m_tip,
        )
        .properties(
            height=30 * len(order_rows),
            width=300,
            title=alt.TitleParams(
                f"Political reasons came {r['snu2018_lead_words']} economic ones among the 2017–18 leavers "
                f"({r['snu2018_political_pct']:.0f}% against {r['snu2018_economic_pct']:.0f}%)",
                subtitle="Each row is a different population; compare shares only within a row",
            ),
        )
    )
    return charts.show(
        chart,
        name="political-push-motives",
        description=(
            f"Dot chart of the share of respondents citing political and economic reasons in "
            f"{len(order_rows)} surveys, one row per survey and population, with no lines "
            "between surveys: shares are comparable only within a row."
        ),
        source="Ministry of Unification (briefings, Hanawon surveys, data for members of the National "
        "Assembly); Seoul National University IPUS (2018); Peterson Institute (2009).",
        data=pts[["survey_label", "population", "period_covered", "sample_size", "category", "value", "qualifier"]],
    )


def _perception(r: Results, ctx: dict) -> None:
    perc = load("perception_survey_2024", ctx["data_dir"])
    # the report's size is part of its title (kept in the data descriptor), not a column of the table
    title = resources()["perception_survey_2024"]["title"]
    found = re.search(r"perceived by ([\d,]+) defectors", title)
    if found is None:
        raise ValueError(f"perception_survey_2024: the title no longer gives the report's size: {title!r}")
    r.put("perception_report_n", int(found.group(1).replace(",", "")))
    pk = perc.set_index(["finding_id", "group_left_nk"])["share_pct"]
    r.put("kju_illegitimate_2011_2015_pct", pk[("kju_succession_illegitimate", "2011-2015")], 1)
    r.put("kju_illegitimate_2016_2020_pct", pk[("kju_succession_illegitimate", "2016-2020")], 1)
    r.put("kju_illegitimate_2012_on_pct", pk[("kju_succession_illegitimate", "2012 or later")], 1)
    r.put("paektu_continue_pre2000_pct", pk[("paektu_line_should_continue", "before 2000")], 1)
    r.put("paektu_continue_2016_2020_pct", pk[("paektu_line_should_continue", "2016-2020")], 1)
    r.put("paektu_opposed_pre2000_pct", pk[("paektu_line_opposed", "before 2000")], 1)
    r.put("paektu_opposed_2016_2020_pct", pk[("paektu_line_opposed", "2016-2020")], 1)
    r.put("paektu_n", perc[perc["finding_id"] == "paektu_line_should_continue"]["sample_size"].iloc[0])
    shown = perc[
        perc["finding_id"].isin(["kju_succession_illegitimate", "paektu_line_should_continue", "paektu_line_opposed"])
        & (perc["group_left_nk"] != "2012 or later")
    ].copy()
    shown["question"] = shown["finding_id"].map(SHORT_FINDING)
    shown["left"] = "Left " + shown["group_left_nk"].str.replace("-", "–")
    r.frames["perception"] = shown


SHORT_FINDING = {
    "kju_succession_illegitimate": "Succession illegitimate",
    "paektu_line_should_continue": "Bloodline should go on",
    "paektu_line_opposed": "Opposed the bloodline",
}


def perception_chart(r: Results) -> charts.Figure:
    shown = r.frames["perception"]
    left_order = ["Left before 2000", "Left 2011–2015", "Left 2016–2020"]
    chart = (
        alt.Chart(for_chart(shown))
        .mark_bar()
        .encode(
            x=alt.X(
                "question:N", title=None, sort=list(SHORT_FINDING.values()), axis=alt.Axis(labelAngle=0, labelLimit=220)
            ),
            xOffset=alt.XOffset("left:N", sort=left_order),
            y=alt.Y("share_pct:Q", title="Share of respondents (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "left:N",
                title="When they left",
                sort=left_order,
                scale=alt.Scale(domain=left_order, range=[charts.PALETTE[4], charts.PALETTE[0], charts.PALETTE[5]]),
            ),
            tooltip=[
                alt.Tooltip("finding:N", title="Finding"),
                alt.Tooltip("group_left_nk:N", title="Left North Korea"),
                alt.Tooltip("share_pct:Q", format=".1f", title="Share (%)"),
                alt.Tooltip("note:N", title="Note"),
            ],
        )
        .properties(
            width=560,
            title=alt.TitleParams(
                f"{r['kju_illegitimate_2016_2020_pct']:.0f}% of those who left in 2016–2020 saw the succession "
                "as illegitimate",
                subtitle="Views of the leadership by when people left; Ministry of Unification interviews, 2013–2022",
            ),
        )
    )
    return charts.show(
        chart,
        name="political-push-succession-views",
        description=(
            f"Grouped bars: {r['kju_illegitimate_2011_2015_pct']:.1f}% of those who left in "
            f"2011–2015 and {r['kju_illegitimate_2016_2020_pct']:.1f}% of those who left in "
            "2016–2020 saw Kim Jong-un's succession as illegitimate; support for continuing "
            f"the Paektu bloodline is {r['paektu_continue_pre2000_pct']:.1f}% among those who "
            f"left before 2000 and {r['paektu_continue_2016_2020_pct']:.1f}% among those who "
            "left in 2016–2020."
        ),
        source="Ministry of Unification, report on North Korea's economy and society as perceived by defectors (2024).",
        data=shown[["finding", "group_left_nk", "share_pct", "sample_size", "note"]],
    )


def _songbun(r: Results, ctx: dict) -> None:
    songbun = load("songbun", ctx["data_dir"])
    sb = songbun.set_index(["snapshot", "class"])["share_pct"]
    r.put("songbun_n_classes", songbun[songbun["snapshot"] == "allocation_1958"]["class"].nunique())
    for cls in ["core", "wavering", "hostile"]:
        r.put(f"songbun_1958_{cls}", round(sb[("allocation_1958", cls)]))
        r.put(f"songbun_refugee_{cls}", round(sb[("refugee_self_report", cls)]))
    r.put("songbun_refugee_unsure", round(sb[("refugee_self_report", "unsure")]))
    r.put(
        "songbun_hostile_words",
        words.compare(
            sb[("refugee_self_report", "hostile")],
            sb[("allocation_1958", "hostile")],
            more="over-represented",
            less="not over-represented",
            same="neither over- nor under-represented",
        ),
    )
    r.put("songbun_refugee_sum", round(songbun[songbun["snapshot"] == "refugee_self_report"]["share_pct"].sum()))
    sbd = songbun.copy()
    sbd["snapshot_label"] = sbd["snapshot"].map(
        {
            "allocation_1958": "1958 allocation (Kim Il-sung)",
            "refugee_self_report": "Refugees' own report (Haggard–Noland)",
        }
    )
    r.frames["songbun"] = sbd


def songbun_chart(r: Results) -> charts.Figure:
    sbd = r.frames["songbun"]
    class_order = ["core", "wavering", "hostile", "unsure"]
    chart = (
        alt.Chart(for_chart(sbd))
        .mark_bar()
        .encode(
            x=alt.X("class:N", title="Songbun class", sort=class_order, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("snapshot_label:N"),
            y=alt.Y("share_pct:Q", title="Share (%)"),
            color=alt.Color(
                "snapshot_label:N",
                title=None,
                legend=alt.Legend(labelLimit=360),
                scale=alt.Scale(range=[charts.MUTED, charts.PALETTE[2]]),
            ),
            tooltip=[
                alt.Tooltip("snapshot_label:N", title="Snapshot"),
                alt.Tooltip("class:N", title="Class"),
                alt.Tooltip("share_pct:Q", format=".0f", title="Share (%)"),
                alt.Tooltip("note:N", title="Note"),
            ],
        )
        .properties(
            width=480,
            title=alt.TitleParams(
                f"Hostile class: {r['songbun_refugee_hostile']}% of refugees' own reports against "
                f"{r['songbun_1958_hostile']}% in the 1958 allocation",
                subtitle="Two snapshots decades apart; context, not a trend",
            ),
        )
    )
    return charts.show(
        chart,
        name="political-push-songbun",
        description=(
            f"Grouped bars of songbun class shares. The 1958 allocation: core "
            f"{r['songbun_1958_core']}%, wavering {r['songbun_1958_wavering']}%, hostile "
            f"{r['songbun_1958_hostile']}%. Refugees' self-reports: core "
            f"{r['songbun_refugee_core']}%, wavering {r['songbun_refugee_wavering']}%, "
            f"hostile {r['songbun_refugee_hostile']}%, unsure {r['songbun_refugee_unsure']}%."
        ),
        source="Collins (2012), HRNK; Chang (World Affairs); Noland (2012), Peterson Institute.",
        data=sbd[["snapshot", "class", "share_pct", "note"]],
    )


# --------------------------------------------------------------------------------------------
# a model that follows the series' shape (issue #15): a bend before the break, a step and a new
# trend at the break, 2020 as a part-closure year, HAC errors, the break year estimated

GRID_BREAKS = tuple(range(2009, 2015))  # break years examined (#15: 2009–2014)
GRID_STARTS = (1998, 2002, 2005)  # start years examined
PROFILE_CUTOFF = 3.84  # χ²(1) 95% point: profile-likelihood set for the break year


def shape_frame(
    years: pd.DataFrame, break_year: int, knot: int | None, closure: tuple[int, int] = CLOSURE_YEARS
) -> pd.DataFrame:
    """:func:`its_frame` plus ``bend`` (years since ``knot``, 0 before it; a continuous change of
    trend before the break) and the closure split into its first, partial year (``closure_first``:
    the border shut in late January 2020, so that year mixes open and closed months) and the
    full-closure years (``closure``)."""
    d = its_frame(years, break_year, closure)
    year = d["year"].to_numpy()
    d["closure_first"] = (year == closure[0]).astype(int)
    d["closure"] = ((year >= closure[0] + 1) & (year <= closure[1])).astype(int)
    if knot is not None:
        d["bend"] = np.maximum(year - int(knot), 0)
    return d


def shape_formula(frame: pd.DataFrame) -> str:
    terms = ["t"] + (["bend"] if "bend" in frame else []) + ["post", "t_post"]
    terms += [c for c in ("closure_first", "closure", "reopened") if frame[c].nunique() > 1]
    return "total ~ " + " + ".join(terms)


def fit_shape(years: pd.DataFrame, break_year: int, knot: int | None, level: float = LEVEL) -> dict:
    """The shape-following negative-binomial model with HAC (Newey–West) covariance.

    Returns ``level`` (rate ratio at the break against the pre-break path carried on, with HAC
    interval), ``trend_change``, ``pre_trend`` (the trend just before the break: after the bend),
    ``post_trend``, ``aic`` (of the maximum-likelihood fit), ``rho1`` (lag-1 autocorrelation of the
    Pearson residuals), ``hac_lags``, ``frame`` (with ``fit`` and ``counterfactual``) and ``p_level``.
    """
    frame = shape_frame(years, break_year, knot)
    if knot is not None and not (frame["year"].min() + 2 <= knot <= break_year - 2):
        raise ValueError(f"knot {knot} must lie at least two years inside {frame['year'].min()}–{break_year}")
    formula = shape_formula(frame)
    terms = formula.split("~", 1)[1].replace(" ", "").split("+")
    names = ["Intercept", *terms]
    x = design(frame, terms)
    fit = nb_fit(frame["total"].to_numpy(float), x)
    if fit is None:
        raise RuntimeError(f"no converged fit (break {break_year}, knot {knot})")
    pre = {"t": 1, "bend": 1} if knot is not None else {"t": 1}
    keep = [i for i, n in enumerate(names) if n in ("Intercept", "t", "bend")]
    out = frame.copy()
    out["fit"] = fit["mu"]
    out["counterfactual"] = np.exp(x[:, keep] @ fit["beta"][keep])
    i_post = names.index("post")
    from scipy.stats import norm

    return {
        "level": _ratio(fit, {"post": 1}, names, level),
        "trend_change": _ratio(fit, {"t_post": 1}, names, level),
        "pre_trend": _ratio(fit, pre, names, level),
        "post_trend": _ratio(fit, {**pre, "t_post": 1}, names, level),
        "aic": fit["aic"],
        "rho1": float(fit["rho1"]),
        "hac_lags": int(fit["hac_lags"]),
        "frame": out,
        "p_level": float(2 * norm.sf(abs(fit["beta"][i_post] / math.sqrt(fit["cov"][i_post, i_post])))),
        "knot": knot,
        "break_year": int(break_year),
        "formula": formula,
        "alpha": float(fit["alpha"]),
        "fit": fit,
        "names": names,
    }


def _shape_aic(years: pd.DataFrame, break_year: int, knot: int) -> float | None:
    """AIC of the shape model's maximum-likelihood fit: what the knot scan compares."""
    try:
        frame = shape_frame(years, break_year, knot)
    except ValueError:
        return None
    terms = shape_formula(frame).split("~", 1)[1].replace(" ", "").split("+")
    fit = nb_fit(frame["total"].to_numpy(float), design(frame, terms))
    return None if fit is None else float(fit["aic"])


def best_knot(years: pd.DataFrame, break_year: int) -> dict | None:
    """The shape model with the knot (the pre-break bend) chosen by AIC; None if none fits.

    The knots are compared on their maximum-likelihood AIC; only the chosen one gets the full fit
    with HAC covariance. Results are remembered per (years, break year), since the break-year
    profile and the grid ask for the same fits.
    """
    key = (tuple(years["year"].astype(int)), tuple(years["total"].astype(int)), int(break_year))
    if key in _KNOT_CACHE:
        return _KNOT_CACHE[key]
    first = int(years["year"].min())
    scored = []
    for k in range(first + 2, int(break_year) - 1):
        aic = _shape_aic(years, break_year, k)
        if aic is not None:
            scored.append((aic, k))
    best = None
    for _aic, k in sorted(scored):  # the best knot whose full fit converges
        try:
            best = fit_shape(years, break_year, k)
            break
        except (ValueError, RuntimeError):
            continue
    _KNOT_CACHE[key] = best
    return best


_KNOT_CACHE: dict[tuple, dict | None] = {}


def break_profile(years: pd.DataFrame, candidates) -> pd.DataFrame:
    """AIC of the shape model for each candidate break year, the knot re-chosen by AIC for each:
    a profile likelihood for the break year (the knot is profiled out).

    All candidates have the same number of parameters, so ΔAIC = 2 × (log-likelihood drop); the
    break years with ΔAIC ≤ :data:`PROFILE_CUTOFF` form an approximate 95% set for the break year.
    """
    rows = []
    for b in candidates:
        fit = best_knot(years, int(b)) if years["year"].min() + 5 <= b <= years["year"].max() - 2 else None
        if fit is None:
            continue
        rows.append(
            {
                "break_year": int(b),
                "knot": fit["knot"],
                "aic": fit["aic"],
                "level_rr": fit["level"][0],
                "level_low": fit["level"][1],
                "level_high": fit["level"][2],
            }
        )
    d = pd.DataFrame(rows)
    if len(d):
        d["delta_aic"] = d["aic"] - d["aic"].min()
        d["in_set"] = d["delta_aic"] <= PROFILE_CUTOFF
    return d


def shape_grid(all_years: pd.DataFrame, end_year: int, breaks=GRID_BREAKS, starts=GRID_STARTS) -> pd.DataFrame:
    """The shape model over break years × start years (knot re-chosen by AIC in each), each with the
    calibrated placebo test of a fall at its break, and Holm's correction across the grid.

    One row per specification that can be fitted: start, break_year, knot, level_rr/low/high (HAC:
    size only), rho1, aic, placebo_p / min_p / candidates (:func:`placebo_p`), p_holm, robust
    (placebo p ≤ 0.05), holm_robust, excludes_1 (HAC interval wholly below 1; reported, never graded).
    """
    rows = []
    for s in starts:
        yrs = series.window(all_years, s, end_year)
        for b in breaks:
            if not (yrs["year"].min() + 5 <= b <= yrs["year"].max() - 2):
                continue
            fit = best_knot(yrs, b)
            test = placebo_p(yrs, b)
            if fit is None or test is None:
                continue
            lv = fit["level"]
            rows.append(
                {
                    "start": int(s),
                    "break_year": int(b),
                    "knot": fit["knot"],
                    "level_rr": lv[0],
                    "level_low": lv[1],
                    "level_high": lv[2],
                    "rho1": fit["rho1"],
                    "aic": fit["aic"],
                    "placebo_p": test["p"],
                    "min_p": test["min_p"],
                    "candidates": test["candidates"],
                }
            )
    d = pd.DataFrame(rows)
    if len(d):
        d["p_holm"] = stats.holm(d["placebo_p"])
        d["robust"] = d["placebo_p"] <= 0.05
        d["holm_robust"] = d["p_holm"] <= 0.05
        d["excludes_1"] = d["level_high"] < 1
    return d


PLACEBO_WINDOW = 3  # years on each side of a break in the placebo test


def placebo_p(years: pd.DataFrame, break_year: int, window: int = PLACEBO_WINDOW) -> dict | None:
    """:func:`nkbook.analysis.stats.placebo_break_test` (one-sided: a fall) on log arrivals of the
    open years before the closure; None when the break lacks ``window`` years on a side."""
    yrs = years[years["year"] < CLOSURE_YEARS[0]].reset_index(drop=True)
    pos = yrs.index[yrs["year"] == break_year]
    if len(pos) == 0 or not (window <= int(pos[0]) <= len(yrs) - window):
        return None
    return stats.placebo_break_test(
        np.log(yrs["total"].astype(float).to_numpy()), int(pos[0]), window=window, alternative="less"
    )


def _placebo_section(r: Results, years: pd.DataFrame, break_year: int) -> None:
    """The test whose size holds on an autocorrelated series (tests/test_calibration.py): is the fall
    in mean log arrivals over the three years from the break, against the three before, unusual
    among the same change measured at every other open year? Step terms in a regression
    over-reject here (35–40% false positives on simulated null series), so this carries the
    significance."""
    test = placebo_p(years, break_year)
    if test is None:
        r.put("placebo_unusual", False)
        r.put(
            "placebo_sentence",
            f"The window has too few open years around {break_year} for the placebo test "
            f"({PLACEBO_WINDOW} are needed on each side, before the {CLOSURE_YEARS[0]} closure).",
        )
        return
    r.put("placebo_p", test["p"], 3)
    r.put("placebo_rank", test["rank"])
    r.put("placebo_candidates", test["candidates"])
    r.put("placebo_change_pct", 100 * (math.exp(test["statistic"]) - 1), 1)
    if test["min_p"] > 0.05:
        verdict = (
            f"and with {test['candidates']} candidate years no fall could reach the 5% level, so the "
            f"test can rank the fall but not certify it"
        )
    elif test["p"] <= 0.05:
        verdict = "so the fall is unusual at the 5% level"
    else:
        verdict = "so the fall is not unusual at the 5% level"
    r.put("placebo_unusual", bool(test["p"] <= 0.05))
    r.put(
        "placebo_sentence",
        f"Measured against every other open year before the closure as a placebo break, the change in mean "
        f"log arrivals from the {PLACEBO_WINDOW} years before {break_year} to the {PLACEBO_WINDOW} from it "
        f"({100 * (math.exp(test['statistic']) - 1):+.1f}% in geometric mean) ranks "
        f"{words.ordinal(test['rank'])} of {test['candidates']} as a fall (p = {test['p']:.3f}, the smallest "
        f"possible being {test['min_p']:.3f}), {verdict}. This test keeps its stated false-positive rate on "
        f"simulated autocorrelated series; the model's step term does not, so its intervals describe the "
        f"size of the step rather than prove it.",
    )


def count_of(n_hold: int, n_total: int) -> str:
    """'none of the 17' / 'all 17' / '13 of the 17' (of specifications)."""
    if n_hold == 0:
        return f"none of the {n_total}"
    if n_hold == n_total:
        return "the only one" if n_total == 1 else f"all {n_total}"
    return f"{n_hold} of the {n_total}"


def survival_words(n_hold: int, n_total: int, what: str) -> str:
    """'holds in every one of the 18 specifications' / 'in 5 of 18' / 'in none of the 18'."""
    if n_total == 0:
        return f"cannot be examined: no specification of the grid fits these years ({what})"
    if n_hold == n_total:
        return f"holds in every one of the {n_total} specifications ({what})"
    if n_hold == 0:
        return f"holds in none of the {n_total} specifications ({what})"
    return f"holds in {n_hold} of the {n_total} specifications ({what})"


# generic: to fold into analysis.stats
def multinomial_difference_ci(p1_pct: float, p2_pct: float, n: int, level: float = LEVEL) -> tuple[float, float, float]:
    """Difference of two shares of the SAME respondents (one question, exclusive answers), in points.

    The two shares are negatively correlated (Var(p1 − p2) = (p1 + p2 − (p1 − p2)²)/n), so the
    interval is wider than a one-sample interval for either share. Wald interval; counting noise only.
    """
    p1, p2 = p1_pct / 100, p2_pct / 100
    d = p1 - p2
    se = math.sqrt(max(p1 + p2 - d * d, 0.0) / n)
    q = stats._z(level)
    return 100 * d, 100 * (d - q * se), 100 * (d + q * se)


def break_profile_chart(r: Results) -> charts.Figure:
    prof = r.frames["break_profile"].copy()
    prof["set"] = np.where(prof["in_set"], "Within the 95% set", "Outside it")
    tip = [
        alt.Tooltip("break_year:Q", format="d", title="Break year"),
        alt.Tooltip("knot:Q", format="d", title="Knot"),
        alt.Tooltip("delta_aic:Q", format=".1f", title="ΔAIC"),
        alt.Tooltip("level_rr:Q", format=".2f", title="Level ratio"),
    ]
    x = alt.X(
        "break_year:Q",
        title="Break year tried",
        axis=alt.Axis(format="d", tickMinStep=1),
        scale=alt.Scale(zero=False, nice=False, padding=8),
    )
    line = (
        alt.Chart(prof)
        .mark_line(color=charts.MUTED)
        .encode(x=x, y=alt.Y("delta_aic:Q", title="AIC above the best break"))
    )
    dots = (
        alt.Chart(prof)
        .mark_point(filled=True, size=60)
        .encode(
            x=x,
            y="delta_aic:Q",
            tooltip=tip,
            color=alt.Color(
                "set:N",
                title=None,
                scale=alt.Scale(
                    domain=["Within the 95% set", "Outside it"], range=[charts.HIGHLIGHT, charts.PALETTE[0]]
                ),
            ),
        )
    )
    cut = (
        alt.Chart(pd.DataFrame({"y": [PROFILE_CUTOFF]}))
        .mark_rule(strokeDash=[4, 3], color=charts.MUTED)
        .encode(y="y:Q")
    )
    chart = (line + dots + cut).properties(
        title=alt.TitleParams(
            f"The break year that fits best is {r['profile_best_year']}",
            subtitle="Shape-following model refitted with the break in each year; dashed: the 95% profile cutoff",
        )
    )
    return charts.show(
        chart,
        name="political-push-break-profile",
        description=(
            f"AIC of the shape-following model above its minimum, for break years "
            f"{r['profile_first']} to {r['profile_last']}. The best is {r['profile_best_year']}; "
            f"the approximate 95% set is {r['profile_set_text']}; the runner-up, "
            f"{r['profile_runner_up_year']}, is {r['profile_runner_up_gap']:.1f} points behind."
        ),
        source="Ministry of Unification (arrivals); models fitted by this book.",
        data=prof[["break_year", "knot", "aic", "delta_aic", "level_rr", "level_low", "level_high", "in_set"]].round(3),
    )


def grid_table(r: Results) -> charts.Table:
    g = r.frames["grid"].copy()
    if g.empty:
        return charts.table(pd.DataFrame({"Note": [r["grid_reach_sentence"]]}))
    g["level_change_pct"] = 100 * (g["level_rr"] - 1)
    g["low_pct"] = 100 * (g["level_low"] - 1)
    g["high_pct"] = 100 * (g["level_high"] - 1)
    shown = g[
        ["start", "break_year", "knot", "level_change_pct", "low_pct", "high_pct", "placebo_p", "p_holm", "rho1"]
    ].rename(
        columns={
            "start": "Start year",
            "break_year": "Break year",
            "knot": "Knot year",
            "level_change_pct": "Step at the break (%)",
            "low_pct": "HAC low (%)",
            "high_pct": "HAC high (%)",
            "placebo_p": "Placebo p (a fall)",
            "p_holm": "Holm p",
            "rho1": "Residual lag-1 autocorrelation",
        }
    )
    return charts.table(
        shown,
        caption="The step at the break across the grid: its size (shape-following model, HAC interval) and "
        "the calibrated placebo test, with Holm's correction across the grid",
        digits={
            "Step at the break (%)": 1,
            "HAC low (%)": 1,
            "HAC high (%)": 1,
            "Placebo p (a fall)": 3,
            "Holm p": 3,
            "Residual lag-1 autocorrelation": 2,
        },
    )
