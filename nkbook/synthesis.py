"""The synthesis model: yearly arrivals against every factor the data can measure, together.

A negative-binomial count model of yearly arrivals with one term per measurable factor. With about
25 yearly points and factors that move together, the model describes associations; it cannot
identify causes, and the text says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import series
from .data import load, used
from .stats import count_glm, rate_ratios

CLOSURE = (2020, 2022)      # North Korea's border closure (January 2020 to the 2023 partial reopening)
REOPENING_FROM = 2023       # partial reopening (August 2023); restrictions persist
REGIME_FROM = 2012          # first full year after the December 2011 succession

TERMS = {
    "post_succession": "Kim Jong-un era (2012 on)",
    "closure": "Border closed (2020–2022)",
    "reopening": "Partial reopening (2023 on)",
    "gdp_growth_lag": "GDP growth, previous year (per point)",
    "missiles_10": "Missiles tested (per 10, CNS)",
    "log_trade": "China trade (per doubling)",
}


def frame(data_dir=None, start_year: int = 1998, end_year: int | None = None) -> pd.DataFrame:
    """One row per year of arrival with the factor columns (missing where a factor has no data)."""
    start, end = series.resolve_years(start_year, end_year, data_dir)
    years = series.window(series.yearly(data_dir), start, end)[["year", "total"]].copy()
    years["total"] = years["total"].astype(int)
    years["post_succession"] = (years["year"] >= REGIME_FROM).astype(int)
    years["closure"] = years["year"].between(*CLOSURE).astype(int)
    years["reopening"] = (years["year"] >= REOPENING_FROM).astype(int)

    gdp = used(load("gdp_growth", data_dir))[["year", "growth_pct"]]
    gdp = gdp.assign(year=gdp["year"] + 1).rename(columns={"growth_pct": "gdp_growth_lag"})
    years = years.merge(gdp, on="year", how="left")

    missiles = load("missile_tests", data_dir)
    missiles = used(missiles)
    missiles = missiles[missiles["measure"] == "missiles"][["year", "count"]]
    years = years.merge(missiles.rename(columns={"count": "missiles"}), on="year", how="left")
    years["missiles_10"] = years["missiles"].astype("float64") / 10

    trade = used(load("china_trade", data_dir))
    value_col = next(c for c in trade.columns if c.startswith("value") or c.endswith("usd_bn"))
    trade = trade[["year", value_col]].rename(columns={value_col: "trade_usd_bn"})
    years = years.merge(trade, on="year", how="left")
    years["log_trade"] = np.log2(years["trade_usd_bn"].astype("float64"))
    return years


def fit(df: pd.DataFrame, terms: list[str]):
    """Negative binomial of yearly arrivals on ``terms``, on the years where every term is known."""
    data = df.dropna(subset=terms).copy()
    formula = "total ~ " + (" + ".join(terms) if terms else "1")
    return count_glm(data, formula, family="negbin"), data


def usable_terms(df: pd.DataFrame, candidates: list[str], min_years: int = 12) -> list[str]:
    """Terms with enough non-missing years and some variation in the fitted window."""
    keep = []
    for t in candidates:
        col = df[t].dropna()
        if len(col) >= min_years and col.nunique() > 1:
            keep.append(t)
    return keep


def coefficient_table(result) -> pd.DataFrame:
    table = rate_ratios(result)
    table = table[table["term"] != "Intercept"].reset_index(drop=True)
    table["label"] = table["term"].map(TERMS).fillna(table["term"])
    return table


def drop_one(df: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """How much each term changes the fit: the log-likelihood and AIC without it (same years)."""
    full, data = fit(df, terms)
    rows = []
    for t in terms:
        others = [x for x in terms if x != t]
        reduced = count_glm(data, "total ~ " + (" + ".join(others) if others else "1"), family="negbin")
        lr = 2 * (full.llf - reduced.llf)
        from scipy.stats import chi2

        rows.append({"term": t, "label": TERMS.get(t, t), "lr_statistic": float(lr),
                     "p_value": float(chi2.sf(max(lr, 0.0), 1)), "aic_change_if_dropped": float(reduced.aic - full.aic)})
    return pd.DataFrame(rows)


def leave_one_out(df: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Each term's rate ratio when one year at a time is left out: its min and max."""
    _, data = fit(df, terms)
    estimates = []
    for year in data["year"]:
        sub = data[data["year"] != year]
        if any(sub[t].nunique() < 2 for t in terms):
            continue  # leaving this year out removes all variation of a term (e.g. a one-year indicator)
        res = count_glm(sub, "total ~ " + " + ".join(terms), family="negbin")
        rr = np.exp(res.params)
        estimates.append({"year": int(year), **{t: float(rr[t]) for t in terms}})
    est = pd.DataFrame(estimates)
    return pd.DataFrame([{"term": t, "label": TERMS.get(t, t), "min_rate_ratio": est[t].min(),
                          "max_rate_ratio": est[t].max(), "fits": len(est)} for t in terms])


def counterfactual(result, data: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Predicted arrivals with the closure and reopening terms set to zero, with 95% intervals."""
    rows = data[data["year"].isin(years)].copy()
    if rows.empty:
        return rows
    cf = rows.copy()
    for t in ("closure", "reopening"):
        if t in cf.columns:
            cf[t] = 0
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="using default log-link")
        pred = result.get_prediction(cf).summary_frame(alpha=0.05)
    out = pd.DataFrame({"year": rows["year"].to_numpy(), "observed": rows["total"].to_numpy(),
                        "predicted": pred["predicted"].to_numpy(), "low": pred["ci_lower"].to_numpy(),
                        "high": pred["ci_upper"].to_numpy()})
    return out
