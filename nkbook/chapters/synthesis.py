"""The synthesis model: yearly arrivals against every factor the data can measure, together.

A negative-binomial count model of yearly arrivals with one term per measurable factor. With about
25 yearly points and factors that move together, the model describes associations; it cannot
identify causes, and the text says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nkbook.analysis import series
from nkbook.analysis.stats import count_glm, rate_ratios
from nkbook.data import load, used
from nkbook.present import words

CLOSURE = (2020, 2022)  # North Korea's border closure (January 2020 to the 2023 partial reopening)
REOPENING_FROM = 2023  # partial reopening (August 2023); restrictions persist
REGIME_FROM = 2012  # first full year after the December 2011 succession

# Every upstream result this chapter reads (nkbook.present.results.read), by chapter: the one place
# their names live.
UPSTREAM = {
    "mobility": ["female_share_cumulative", "border_low_cumulative_min", "pre_closure_share", "share_closure"],
    "diplomacy": ["closure_ratio", "closure_low", "closure_high", "closure_year", "window_perm_p", "event_window"],
    "economic_push": [
        "gdp_slope_pct",
        "gdp_slope_pct_low",
        "gdp_slope_pct_high",
        "twin_ratio",
        "twin_ratio_low",
        "twin_ratio_high",
        "twin_growth_year",
        "lag_years",
    ],
    "political_push": [
        "its_level_change_pct",
        "its_level_change_low_pct",
        "its_level_change_high_pct",
        "scan_n_drop",
        "scan_n_placebo",
        "break_year",
        "corr_missiles_r",
        "corr_missiles_low",
        "corr_missiles_high",
    ],
    "claims": ["n_hold", "n_checkable"],
}
SCORECARD_KEYS = {chapter: keys for chapter, keys in UPSTREAM.items() if chapter != "claims"}

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

        rows.append(
            {
                "term": t,
                "label": TERMS.get(t, t),
                "lr_statistic": float(lr),
                "p_value": float(chi2.sf(max(lr, 0.0), 1)),
                "aic_change_if_dropped": float(reduced.aic - full.aic),
            }
        )
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
    return pd.DataFrame(
        [
            {
                "term": t,
                "label": TERMS.get(t, t),
                "min_rate_ratio": est[t].min(),
                "max_rate_ratio": est[t].max(),
                "fits": len(est),
            }
            for t in terms
        ]
    )


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
    out = pd.DataFrame(
        {
            "year": rows["year"].to_numpy(),
            "observed": rows["total"].to_numpy(),
            "predicted": pred["predicted"].to_numpy(),
            "low": pred["ci_lower"].to_numpy(),
            "high": pred["ci_upper"].to_numpy(),
        }
    )
    return out


# --------------------------------------------------------------------------------------------
# the scorecard: each factor chapter's strongest evidence, read from that chapter's results


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
        {
            "factor": "Mobility and the borders",
            "chapter": "mobility",
            "evidence": (
                f"{m['female_share_cumulative']:.1f}% of everyone who arrived are women; at least "
                f"{m['border_low_cumulative_min']:.1f}% of all arrivals (in every snapshot that lists "
                f"provinces) come from provinces on the Chinese border. Women were {m['pre_closure_share']:.1f}% "
                f"of arrivals just before the closure and {m['share_closure']:.1f}% during it."
            ),
            "suggests": "Those who can move inside North Korea and reach the border are the ones who arrive.",
            "strength": "strong as a description (census counts); no comparison group, so no causal test",
        },
        {
            "factor": "Diplomacy and border politics",
            "chapter": "diplomacy",
            "evidence": (
                f"In {d['closure_year']} arrivals were {100 * d['closure_ratio']:.1f}% of the level of the "
                f"{d['event_window']} years before (95% interval {100 * d['closure_low']:.1f}–"
                f"{100 * d['closure_high']:.1f}%); other border events as a group are not distinguishable from "
                f"random years (permutation p = {d['window_perm_p']:.2f})."
            ),
            "suggests": "Closing the border stops arrivals; smaller policy shifts leave no clear mark in yearly counts.",
            "strength": strength(d["closure_high"] < 1, True)
            + " for the closure; "
            + strength(d["window_perm_p"] < 0.05)
            + " for other events",
        },
        {
            "factor": "The economic push",
            "chapter": "economic_push",
            "evidence": (
                f"A point of GDP growth {words.plural(e['lag_years'], 'year')} earlier goes with {e['gdp_slope_pct']:+.1f}% "
                f"arrivals (95% interval {e['gdp_slope_pct_low']:+.1f} to {e['gdp_slope_pct_high']:+.1f}%). "
                f"A contraction like {e['twin_growth_year']}'s was followed by {e['twin_ratio']:.1f} times "
                f"more arrivals when the border was open than in 2021 ({e['twin_ratio_low']:.1f}–"
                f"{e['twin_ratio_high']:.1f})."
            ),
            "suggests": "Hardship does not move yearly arrivals by itself; whether the way out is open does.",
            "strength": strength(not (e["gdp_slope_pct_low"] <= 0 <= e["gdp_slope_pct_high"]))
            + " for output; strong for the closure paradox",
        },
        {
            "factor": "The political push",
            "chapter": "political_push",
            "evidence": (
                f"A break at {p['break_year']}: level change {p['its_level_change_pct']:+.1f}% "
                f"(95% interval {p['its_level_change_low_pct']:+.1f} to {p['its_level_change_high_pct']:+.1f}%), "
                f"but {p['scan_n_drop']} of {p['scan_n_placebo']} placebo break years also show a drop. "
                f"Missile tests and arrivals: r = {p['corr_missiles_r']:.2f} "
                f"({p['corr_missiles_low']:.2f} to {p['corr_missiles_high']:.2f})."
            ),
            "suggests": "Arrivals fell after the 2011 succession, but the series cannot pin the fall on it.",
            "strength": strength(p["its_level_change_high_pct"] < 0, placebo_share < 0.25)
            + " for the succession; "
            + strength(not (p["corr_missiles_low"] <= 0 <= p["corr_missiles_high"]))
            + " for provocations",
        },
    ]
    return rows


def scorecard_values(res: dict[str, dict]) -> dict[str, object]:
    """The chapter results the scorecard uses, as ``score_<chapter>__<key>`` (for glue and tests)."""
    return {f"score_{chapter}__{key}": res[chapter][key] for chapter, keys in SCORECARD_KEYS.items() for key in keys}


# --------------------------------------------------------------------------------------------
# the chapter: compute() and its chart and table builders

MODEL_SOURCE = "Model fitted to Ministry of Unification arrivals and Bank of Korea GDP growth."


def read_upstream() -> dict[str, dict]:
    """Each upstream chapter's results, restricted to the keys in UPSTREAM (from this build)."""
    from nkbook.present.results import read

    return {chapter: read(chapter) for chapter in UPSTREAM}


def compute(
    data_dir=None, *, start_year: int = 1998, end_year: int | None = None, upstream: dict[str, dict] | None = None
):
    """Every value the synthesis glues; ``upstream`` (chapter -> results) defaults to this build's."""
    from nkbook.present.results import Results

    r = Results()
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    if end_year < REOPENING_FROM:
        raise ValueError(
            f"the synthesis needs years through {REOPENING_FROM} (the closure and the reopening); "
            f"end_year is {end_year}"
        )
    df = frame(data_dir, start_year, end_year)
    r.put("start_year", start_year)
    r.put("end_year", end_year)
    r.put("n_years", len(df))

    # the two models
    main_terms = usable_terms(df, ["post_succession", "closure", "reopening", "gdp_growth_lag"])
    main, main_data = fit(df, main_terms)
    ext_terms = usable_terms(df, main_terms + ["missiles_10", "log_trade"])
    ext, ext_data = fit(df, ext_terms)
    r.put("main_n", len(main_data))
    r.put("ext_n", len(ext_data))
    r.put("ext_first_year", int(ext_data["year"].min()))
    r.put("ext_last_year", int(ext_data["year"].max()))
    r.put("main_alpha", main.params["alpha"], 3)
    r.put("main_alpha_low", main.conf_int().loc["alpha", 0], 3)
    r.put("main_alpha_high", main.conf_int().loc["alpha", 1], 3)
    table_main = coefficient_table(main).assign(model="Main")
    table_ext = coefficient_table(ext).assign(model="With missiles and trade")
    coef = pd.concat([table_main, table_ext], ignore_index=True)
    for model, tab in (("main", table_main), ("ext", table_ext)):
        for row in tab.itertuples():
            r.put(f"{model}_{row.term}_rr", row.rate_ratio, 3)
            r.put(f"{model}_{row.term}_low", row.low, 3)
            r.put(f"{model}_{row.term}_high", row.high, 3)
            r.put(f"{model}_{row.term}_p", row.p_value, 4)
    r.frames["coef"] = coef
    r.frames["coef_shown"] = (
        coef[["model", "label", "rate_ratio", "low", "high", "p_value"]]
        .rename(
            columns={
                "model": "Model",
                "label": "Term",
                "rate_ratio": "Rate ratio",
                "low": "95% low",
                "high": "95% high",
                "p_value": "p-value",
            }
        )
        .round(3)
    )
    r.extra["main_closure_rr"] = float(table_main.set_index("term").loc["closure", "rate_ratio"])

    # each term's weight and stability
    drops = drop_one(df, main_terms)
    loo = leave_one_out(df, main_terms)
    stab = drops.merge(loo[["term", "min_rate_ratio", "max_rate_ratio", "fits"]], on="term")
    for row in stab.itertuples():
        r.put(f"drop_{row.term}_aic", row.aic_change_if_dropped, 1)
        r.put(f"loo_{row.term}_min", row.min_rate_ratio, 3)
        r.put(f"loo_{row.term}_max", row.max_rate_ratio, 3)
    r.frames["stability"] = stab

    # residuals
    fitted = main.predict(main_data)
    resid = pd.DataFrame(
        {
            "year": main_data["year"].to_numpy(),
            "observed": main_data["total"].to_numpy(),
            "fitted": np.round(fitted.to_numpy(), 1),
        }
    )
    resid["pearson_residual"] = np.round(
        (resid["observed"] - resid["fitted"]) / np.sqrt(resid["fitted"] + main.params["alpha"] * resid["fitted"] ** 2),
        2,
    )
    worst = resid.loc[resid["pearson_residual"].abs().idxmax()]
    r.put("worst_residual_year", int(worst["year"]))
    r.put("worst_residual", float(worst["pearson_residual"]), 2)
    r.frames["residuals"] = resid

    # the counterfactual
    cf = counterfactual(main, main_data, list(range(2020, end_year + 1)))
    cf_total_pred = float(cf["predicted"].sum())
    r.put("cf_first_year", int(cf["year"].min()))
    r.put("cf_last_year", int(cf["year"].max()))
    r.put("cf_observed_total", int(cf["observed"].sum()))
    r.put("cf_predicted_total", round(cf_total_pred))
    r.put("cf_predicted_low", round(float(cf["low"].sum())))
    r.put("cf_predicted_high", round(float(cf["high"].sum())))
    r.put("cf_share_observed_pct", 100 * cf["observed"].sum() / cf_total_pred, 1)
    r.frames["counterfactual"] = cf
    r.extra["cf_total_pred"] = cf_total_pred

    # the scorecard, from the upstream chapters' results
    up = read_upstream() if upstream is None else upstream
    for key, value in scorecard_values(up).items():
        r.put(key, value)
    card = pd.DataFrame(scorecard(up))
    for row in card.itertuples():
        r.put(f"strength_{row.chapter}", row.strength)
    r.put("claims_n_hold", up["claims"]["n_hold"])
    r.put("claims_n_checkable", up["claims"]["n_checkable"])
    r.frames["scorecard"] = card
    return r


def coefficient_table_view(r):
    from nkbook.present import charts

    return charts.table(r.frames["coef_shown"], caption="Rate ratios of the two models (95% intervals)")


def stability_table(r):
    from nkbook.present import charts

    stab = r.frames["stability"]
    return charts.table(
        stab[["label", "lr_statistic", "p_value", "aic_change_if_dropped", "min_rate_ratio", "max_rate_ratio"]]
        .rename(
            columns={
                "label": "Term",
                "lr_statistic": "LR statistic",
                "p_value": "p-value",
                "aic_change_if_dropped": "AIC change if dropped",
                "min_rate_ratio": "Leave-one-year-out: lowest",
                "max_rate_ratio": "highest",
            }
        )
        .round(3),
        caption="Main model: each term's contribution and its stability",
    )


def rate_ratio_chart(r):
    import altair as alt

    from nkbook.present import charts

    plot = r.frames["coef"].copy()
    plot["model"] = pd.Categorical(plot["model"], ["Main", "With missiles and trade"])
    plot = plot[["model", "term", "label", "rate_ratio", "low", "high"]]
    scale = alt.Scale(range=[charts.PALETTE[0], charts.PALETTE[1]])
    order = list(TERMS.values())
    points = (
        alt.Chart(plot)
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("rate_ratio:Q", title="Rate ratio (log scale; 1 = no association)", scale=alt.Scale(type="log")),
            y=alt.Y("label:N", title=None, sort=order),
            color=alt.Color("model:N", title="Model", scale=scale),
            yOffset="model:N",
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("label:N", title="Term"),
                alt.Tooltip("rate_ratio:Q", title="Rate ratio", format=".2f"),
                alt.Tooltip("low:Q", title="95% low", format=".2f"),
                alt.Tooltip("high:Q", title="95% high", format=".2f"),
            ],
        )
    )
    bars = (
        alt.Chart(plot)
        .mark_rule(strokeWidth=2)
        .encode(
            x="low:Q",
            x2="high:Q",
            y=alt.Y("label:N", sort=order),
            yOffset="model:N",
            color=alt.Color("model:N", legend=None, scale=scale),
        )
    )
    one = alt.Chart(pd.DataFrame({"x": [1]})).mark_rule(color=charts.MUTED, strokeDash=[4, 3]).encode(x="x:Q")
    return charts.show(
        (one + bars + points).properties(
            title="What each factor is associated with, holding the others fixed", height=260
        ),
        name="synthesis-rate-ratios",
        description=(
            "Rate ratios with 95% intervals for each model term, on a log scale with a dashed line at 1. "
            f"The closure term is about {r.extra['main_closure_rr']:.2f} "
            "in the main model, far below 1; intervals that cross 1 mark terms the data cannot "
            "distinguish from no association."
        ),
        source="Model fitted to Ministry of Unification arrivals; Bank of Korea GDP; CNS missile tests; "
        "China–DPRK trade.",
        data=r.frames["coef_shown"],
    )


def residual_chart(r):
    import altair as alt

    from nkbook.present import charts

    resid = r.frames["residuals"]
    rchart = (
        alt.Chart(resid)
        .mark_bar(size=charts.bar_size(len(resid)))
        .encode(
            x=charts.year_axis(),
            y=alt.Y("pearson_residual:Q", title="Pearson residual (observed vs fitted)"),
            color=alt.condition(
                "datum.pearson_residual > 0", alt.value(charts.PALETTE[0]), alt.value(charts.HIGHLIGHT)
            ),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("observed:Q", title="Observed", format=","),
                alt.Tooltip("fitted:Q", title="Fitted", format=",.0f"),
                alt.Tooltip("pearson_residual:Q", title="Residual"),
            ],
        )
        .properties(title="Main model: residuals by year")
    )
    return charts.show(
        rchart,
        name="synthesis-residuals",
        description=(
            f"Bar chart of Pearson residuals by year of the main model. The largest in size is "
            f"{r['worst_residual']:.2f} in {r['worst_residual_year']}; bars above zero are years "
            "with more arrivals than the model fits."
        ),
        source=MODEL_SOURCE,
        data=resid,
    )


def counterfactual_chart(r):
    import altair as alt

    from nkbook.present import charts

    cf = r.frames["counterfactual"]
    long = pd.concat(
        [
            cf.assign(kind="Expected without the closure", value=cf["predicted"]),
            cf.assign(kind="Observed", value=cf["observed"], low=np.nan, high=np.nan),
        ]
    )
    band = (
        alt.Chart(cf)
        .mark_errorbar(thickness=2, color=charts.PALETTE[1])
        .encode(x=charts.year_axis(), y=alt.Y("low:Q", title="Arrivals per year"), y2="high:Q")
    )
    pts = (
        alt.Chart(long)
        .mark_point(filled=True, size=80)
        .encode(
            x=charts.year_axis(),
            y="value:Q",
            color=alt.Color("kind:N", title=None, scale=alt.Scale(range=[charts.PALETTE[1], charts.TOTAL])),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("kind:N", title="Series"),
                alt.Tooltip("value:Q", format=",.0f", title="Arrivals"),
                alt.Tooltip("low:Q", format=",.0f", title="95% low"),
                alt.Tooltip("high:Q", format=",.0f", title="95% high"),
            ],
        )
    )
    shown_cf = cf.assign(predicted=cf["predicted"].round(0), low=cf["low"].round(0), high=cf["high"].round(0))
    return charts.show(
        (band + pts).properties(title="Arrivals since 2020: observed and expected without the closure"),
        name="synthesis-counterfactual",
        description=(
            f"Observed arrivals {r['cf_first_year']}–{r['cf_last_year']} against the main "
            f"model's expectation with the closure and reopening terms off, with 95% intervals. "
            f"Observed arrivals total {r['cf_observed_total']:,}, against about "
            f"{r.extra['cf_total_pred']:,.0f} expected."
        ),
        source=MODEL_SOURCE,
        data=shown_cf,
    )


def scorecard_table(r):
    """The four factors' scorecard as an HTML table linking each factor's chapter."""
    import html

    from IPython.display import HTML

    rows = "".join(
        f"<tr><th scope='row'><a href='{html.escape(c.chapter)}.html'>{html.escape(c.factor)}</a></th>"
        f"<td>{html.escape(c.evidence)}</td><td>{html.escape(c.suggests)}</td><td>{html.escape(c.strength)}</td></tr>"
        for c in r.frames["scorecard"].itertuples()
    )
    return HTML(
        "<table class='nk-table nk-scorecard'><caption>The four factors: evidence from each chapter of this "
        "build</caption><thead><tr><th scope='col'>Factor</th><th scope='col'>Strongest evidence</th>"
        f"<th scope='col'>What it suggests</th><th scope='col'>How strong</th></tr></thead><tbody>{rows}"
        "</tbody></table>"
    )
