"""Statistics for short yearly series: intervals first, honest about what ~25 points can show."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

SEED = 20240118  # fixed: every resampling in the book is reproducible


def proportion_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion, in percent."""
    if n <= 0:
        return (math.nan, math.nan)
    z = _z(level)
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return (100 * (centre - half), 100 * (centre + half))


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def pearson_ci(x, y, level: float = 0.95) -> dict:
    """Pearson correlation with a Fisher-z interval and its p-value."""
    from scipy.stats import pearsonr

    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = len(x)
    r, p = pearsonr(x, y)
    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    q = _z(level)
    return {"r": float(r), "low": math.tanh(z - q * se), "high": math.tanh(z + q * se), "p": float(p), "n": n}


def rate_ratio_ci(before: float, after: float, level: float = 0.95) -> tuple[float, float, float]:
    """Ratio of two Poisson counts (after / before) with a log-normal interval.

    The interval covers counting noise only; year-to-year variation of a real series is larger,
    so treat it as a lower bound on uncertainty.
    """
    if before <= 0 or after <= 0:
        return (math.nan, math.nan, math.nan)
    ratio = after / before
    se = math.sqrt(1 / after + 1 / before)
    q = _z(level)
    return ratio, ratio * math.exp(-q * se), ratio * math.exp(q * se)


def count_glm(frame: pd.DataFrame, formula: str, family: str = "negbin", level: float = 0.95):
    """Fit a count model (negative binomial by default, Poisson otherwise) with statsmodels.

    Returns the fitted result; use :func:`rate_ratios` for a tidy table of exp(coef) with intervals.
    The negative-binomial dispersion is estimated by maximum likelihood (``smf.negativebinomial``).
    """
    import statsmodels.formula.api as smf

    if family == "poisson":
        return smf.glm(formula, data=frame, family=__import__("statsmodels.api").api.families.Poisson()).fit()
    return smf.negativebinomial(formula, data=frame).fit(disp=False, maxiter=500)


def rate_ratios(result, level: float = 0.95) -> pd.DataFrame:
    """exp(coefficient) with its interval and p-value, one row per term (the dispersion dropped)."""
    params = result.params
    ci = result.conf_int(alpha=1 - level)
    out = pd.DataFrame({
        "term": params.index,
        "rate_ratio": np.exp(params.values),
        "low": np.exp(ci.iloc[:, 0].values),
        "high": np.exp(ci.iloc[:, 1].values),
        "p_value": result.pvalues.values,
    })
    return out[out["term"] != "alpha"].reset_index(drop=True)


def permutation_pvalue(values: np.ndarray, is_event: np.ndarray, statistic, n: int = 10000, seed: int = SEED) -> float:
    """Two-sided p-value of ``statistic(values, is_event)`` against random relabellings of the years."""
    rng = np.random.default_rng(seed)
    observed = statistic(values, is_event)
    count = 0
    for _ in range(n):
        perm = rng.permutation(is_event)
        if abs(statistic(values, perm)) >= abs(observed) - 1e-12:
            count += 1
    return (count + 1) / (n + 1)


def bootstrap_ci(values, func, n: int = 5000, level: float = 0.95, seed: int = SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of ``func`` over resampled values."""
    rng = np.random.default_rng(seed)
    values = np.asarray(values)
    stats = [func(values[rng.integers(0, len(values), len(values))]) for _ in range(n)]
    lo, hi = np.nanpercentile(stats, [50 * (1 - level), 100 - 50 * (1 - level)])
    return float(lo), float(hi)
