"""The synthesis model: yearly arrivals against every factor the data can measure, together.

A negative-binomial count model of yearly arrivals with one term per measurable factor. With about
25 yearly points and factors that move together, the model describes associations; it cannot
identify causes, and the text says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nkbook.analysis import series
from nkbook.data import load, used
from nkbook.analysis.stats import count_glm, rate_ratios

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


# --------------------------------------------------------------------------------------------
# the scorecard: each factor chapter's strongest evidence, read from that chapter's results

SCORECARD_KEYS = {
    "mobility": ["female_share_cumulative", "border_low_cumulative_min", "pre_closure_share", "share_closure"],
    "diplomacy": ["closure_ratio", "closure_low", "closure_high", "closure_year", "window_perm_p", "event_window"],
    "economic_push": ["gdp_slope_pct", "gdp_slope_pct_low", "gdp_slope_pct_high", "twin_ratio", "twin_ratio_low",
                      "twin_ratio_high", "twin_growth_year", "lag_years"],
    "political_push": ["its_level_change_pct", "its_level_change_low_pct", "its_level_change_high_pct",
                       "scan_n_drop", "scan_n_placebo", "break_year", "corr_missiles_r", "corr_missiles_low",
                       "corr_missiles_high"],
}


def strength(interval_excludes_null: bool, robust: bool = True) -> str:
    """A plain grade: an interval that excludes 'no effect' and survives the chapter's robustness check
    is 'strong'; one that excludes it but does not survive is 'suggestive'; otherwise 'not detectable'."""
    if interval_excludes_null and robust:
        return "strong"
    if interval_excludes_null:
        return "suggestive"
    return "not detectable"


def scorecard(res: dict[str, dict]) -> list[dict]:
    """One row per factor from the chapters' own results (``res[chapter][key]``); nothing re-derived."""
    m, d, e, p = (res["mobility"], res["diplomacy"], res["economic_push"], res["political_push"])
    placebo_share = p["scan_n_drop"] / p["scan_n_placebo"] if p["scan_n_placebo"] else 1.0
    rows = [
        {"factor": "Mobility and the borders", "chapter": "mobility",
         "evidence": (f"{m['female_share_cumulative']:.1f}% of everyone who arrived are women; at least "
                      f"{m['border_low_cumulative_min']:.1f}% of all arrivals (in every snapshot that lists "
                      f"provinces) come from provinces on the Chinese border. Women were {m['pre_closure_share']:.1f}% "
                      f"of arrivals just before the closure and {m['share_closure']:.1f}% during it."),
         "suggests": "Those who can move inside North Korea and reach the border are the ones who arrive.",
         "strength": "strong as a description (census counts); no comparison group, so no causal test"},
        {"factor": "Diplomacy and border politics", "chapter": "diplomacy",
         "evidence": (f"In {d['closure_year']} arrivals were {100 * d['closure_ratio']:.1f}% of the level of the "
                      f"{d['event_window']} years before (95% interval {100 * d['closure_low']:.1f}–"
                      f"{100 * d['closure_high']:.1f}%); other border events as a group are not distinguishable from "
                      f"random years (permutation p = {d['window_perm_p']:.2f})."),
         "suggests": "Closing the border stops arrivals; smaller policy shifts leave no clear mark in yearly counts.",
         "strength": strength(d["closure_high"] < 1, True) + " for the closure; " +
                     strength(d["window_perm_p"] < 0.05) + " for other events"},
        {"factor": "The economic push", "chapter": "economic_push",
         "evidence": (f"A point of GDP growth {e['lag_years']} year(s) earlier goes with {e['gdp_slope_pct']:+.1f}% "
                      f"arrivals (95% interval {e['gdp_slope_pct_low']:+.1f} to {e['gdp_slope_pct_high']:+.1f}%). "
                      f"A contraction like {e['twin_growth_year']}'s was followed by {e['twin_ratio']:.1f} times "
                      f"more arrivals when the border was open than in 2021 ({e['twin_ratio_low']:.1f}–"
                      f"{e['twin_ratio_high']:.1f})."),
         "suggests": "Hardship does not move yearly arrivals by itself; whether the way out is open does.",
         "strength": strength(not (e["gdp_slope_pct_low"] <= 0 <= e["gdp_slope_pct_high"])) +
                     " for output; strong for the closure paradox"},
        {"factor": "The political push", "chapter": "political_push",
         "evidence": (f"A break at {p['break_year']}: level change {p['its_level_change_pct']:+.1f}% "
                      f"(95% interval {p['its_level_change_low_pct']:+.1f} to {p['its_level_change_high_pct']:+.1f}%), "
                      f"but {p['scan_n_drop']} of {p['scan_n_placebo']} placebo break years also show a drop. "
                      f"Missile tests and arrivals: r = {p['corr_missiles_r']:.2f} "
                      f"({p['corr_missiles_low']:.2f} to {p['corr_missiles_high']:.2f})."),
         "suggests": "Arrivals fell after the 2011 succession, but the series cannot pin the fall on it.",
         "strength": strength(p["its_level_change_high_pct"] < 0, placebo_share < 0.25) + " for the succession; " +
                     strength(not (p["corr_missiles_low"] <= 0 <= p["corr_missiles_high"])) + " for provocations"},
    ]
    return rows


def scorecard_values(res: dict[str, dict]) -> dict[str, object]:
    """The chapter results the scorecard uses, as ``score_<chapter>__<key>`` (for glue and tests)."""
    return {f"score_{chapter}__{key}": res[chapter][key] for chapter, keys in SCORECARD_KEYS.items() for key in keys}
