"""The synthesis: the border closure measured against the series' own shape, and a scorecard read from
the factor chapters.

Yearly arrivals are modelled as negative-binomial counts with a level step (and, in the "with trends"
specifications, a change of trend) at a break year, a term for the border closure and one for the
partial reopening. No covariate that the closure itself moves (such as lagged GDP) enters a model that
is used for the no-closure counterfactual. The counterfactual is a range across specifications
(with and without trends, the 2012 break or the break a profile scan prefers, two datings of the
closure), each fitted on the open years before the closure and projected forward with a prediction
interval. Covariances are HAC (Newey and West 1987); prediction intervals resample blocks of the fitted
years' residuals (moving blocks, Künsch 1989) so that they keep the series' year-to-year dependence.

With about 25 yearly points and factors that move together, the models describe associations; they
cannot identify causes, and the text says so.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from nkbook.analysis import grades, series, stats
from nkbook.data import load, used
from nkbook.present import words

CLOSURE = series.CLOSURE_YEARS  # North Korea's border closure (January 2020 to the 2023 partial reopening)
REOPENING_FROM = CLOSURE[1] + 1  # partial reopening (August 2023); restrictions persist
REGIME_FROM = 2012  # first full year after the December 2011 succession
MIN_SIDE = 4  # open years needed on each side of a break to fit a step (and a trend) there
MIN_PRE = 8  # open years before the closure needed to project a counterfactual
DRAWS = 4000  # simulation draws for the prediction intervals

WITHOUT, WITH = "Without trends", "With trends"  # the two model families (charts.SERIES_COLOURS names)

TERMS = {
    "t": "Trend before the break (per year)",
    "post": "Level step at the break",
    "t_post": "Change of trend after the break (per year)",
    "closure": "Border closed",
    "reopening": "Partial reopening",
}

# Every upstream result this chapter reads, by chapter. The scorecard's pieces of evidence: each
# factor chapter grades its piece once over its own grid and publishes grade_<piece> (+ _why,
# _n_specs, _n_robust); the synthesis reads them and never types a grade.
PIECES = [
    ("mobility", "border_origin", "Mobility and the borders", "arrivals from the provinces on the Chinese border"),
    ("diplomacy", "repatriation_events", "Diplomacy and border politics", "arrivals around repatriation events"),
    ("diplomacy", "nuclear_tests", "Diplomacy and border politics", "arrivals after North Korea's nuclear tests"),
    ("economic_push", "output", "The economic push", "arrivals against North Korea's output (GDP growth)"),
    ("political_push", "succession", "The political push", "arrivals after the 2011 succession"),
    ("political_push", "provocations", "The political push", "arrivals against missile testing"),
    ("synthesis", "closure", "The border closure", "arrivals during the border closure"),
]
SUFFIXES = ("", "_why", "_n_specs", "_n_robust")
UPSTREAM = {
    chapter: [f"grade_{piece}{s}" for c, piece, *_ in PIECES if c == chapter for s in SUFFIXES]
    for chapter in dict.fromkeys(c for c, *_ in PIECES)
    if chapter != "synthesis"
}
UPSTREAM["claims"] = ["n_hold", "n_checkable"]

# What each piece's association could also reflect (the scorecard's rival explanations).
RIVALS = {
    "border_origin": "where people live near the border, family networks and brokers' reach, not only who can move",
    "repatriation_events": "events dated by the arrivals themselves, and other changes in the same years",
    "nuclear_tests": "China's border controls, sanctions and the series' own trend changed in the same years",
    "output": "arrival years trail departure years, and growth, food and trade move together",
    "succession": "China's border tightening, sanctions and the series' own decline in the same years",
    "provocations": "testing and border security rose in the same years; a shared trend can make the link",
    "closure": "the pandemic also stopped travel and work in China and the third countries, so the route "
    "and the wish to leave changed at once",
}


# --------------------------------------------------------------------------------------------
# data


def first_quarter(year: int, data_dir=None) -> int | None:
    """Arrivals in the first quarter of ``year`` from the quarterly file (used rows), or None."""
    q = used(load("arrivals_quarterly", data_dir))
    row = q[(q["year"] == year) & (q["quarter"] == 1)]
    return None if row.empty else int(row["total"].iloc[0])


def frame(data_dir=None, start_year: int = 1998, end_year: int | None = None) -> pd.DataFrame:
    """One row per year of arrival in the window: year, total."""
    start, end = series.resolve_years(start_year, end_year, data_dir)
    years = series.window(series.yearly(data_dir), start, end)[["year", "total"]].copy()
    years["total"] = years["total"].astype(int)
    return years.reset_index(drop=True)


def rows(years: pd.DataFrame, dating: str, break_year: int | None, q1: int | None = None) -> pd.DataFrame:
    """The model's observations. ``dating`` "years": the closure is 2020–2022, whole years. ``dating``
    "q2": the closure runs from the second quarter of 2020, so 2020 is split into its first quarter
    (open, a quarter of a year's exposure) and the rest (closed, three quarters), from the quarterly
    counts (``q1`` arrivals in the first quarter)."""
    out = []
    for row in years.itertuples():
        y, total = int(row.year), int(row.total)
        base = {"year": y, "label": str(y), "total": total, "exposure": 1.0}
        if dating == "q2" and y == CLOSURE[0] and q1 is not None:
            out.append({**base, "label": f"{y} Q1", "total": q1, "exposure": 0.25, "closure": 0})
            out.append({**base, "label": f"{y} Q2–Q4", "total": total - q1, "exposure": 0.75, "closure": 1})
        else:
            out.append({**base, "closure": int(CLOSURE[0] <= y <= CLOSURE[1])})
    df = pd.DataFrame(out)
    df["reopening"] = (df["year"] >= REOPENING_FROM).astype(int)
    df["open"] = ((df["closure"] == 0) & (df["reopening"] == 0)).astype(int)
    b = break_year if break_year is not None else int(df["year"].min())
    df["t"] = (df["year"] - b).astype(float)
    df["post"] = (df["year"] >= b).astype(int) if break_year is not None else 0
    df["t_post"] = df["post"] * df["t"]
    df["log_exposure"] = np.log(df["exposure"])
    return df


def break_fits(years: pd.DataFrame, break_year: int | None) -> tuple[bool, str]:
    """Whether a step at ``break_year`` can be fitted on the open years before the closure, and why not."""
    if break_year is None:
        return False, "no break year given"
    pre = years[years["year"] < CLOSURE[0]]
    before, after = int((pre["year"] < break_year).sum()), int((pre["year"] >= break_year).sum())
    if before < MIN_SIDE or after < MIN_SIDE:
        return False, (
            f"the window has {words.plural(before, 'open year')} before {break_year} and "
            f"{words.plural(after, 'open year')} from it to {CLOSURE[0] - 1}; a break needs {MIN_SIDE} on each side"
        )
    return True, ""


def formula(trends: bool, with_break: bool, closure: bool, reopening: bool) -> str:
    terms = []
    if trends:
        terms.append("t")
    if with_break:
        terms += ["post", "t_post"] if trends else ["post"]
    if closure:
        terms.append("closure")
    if reopening:
        terms.append("reopening")
    return "total ~ " + (" + ".join(terms) if terms else "1")


# --------------------------------------------------------------------------------------------
# fitting


def fit(data: pd.DataFrame, form: str):
    """Negative binomial with a HAC covariance (stats.nb_hac), exposure as offset, rows in year order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return stats.nb_hac(data.reset_index(drop=True), form, offset=data["log_exposure"].to_numpy())


def design(result, data: pd.DataFrame) -> np.ndarray:
    """The model matrix of ``data`` for ``result`` (every term is a plain column of the rows)."""
    cols = [np.ones(len(data)) if n == "Intercept" else data[n].to_numpy(float) for n in result.params.index]
    return np.column_stack(cols)


def rate_ratio_table(result, model: str) -> pd.DataFrame:
    params, ci = result.params, result.conf_int()
    out = pd.DataFrame(
        {
            "model": model,
            "term": params.index,
            "rate_ratio": np.exp(params.to_numpy()),
            "low": np.exp(ci.iloc[:, 0].to_numpy()),
            "high": np.exp(ci.iloc[:, 1].to_numpy()),
        }
    )
    out = out[out["term"] != "Intercept"].reset_index(drop=True)
    out["label"] = out["term"].map(TERMS)
    return out


def profile_scan(years: pd.DataFrame) -> pd.DataFrame:
    """AIC of the with-trends model on the open pre-closure years for every candidate break year."""
    out = []
    for b in range(int(years["year"].min()) + MIN_SIDE, CLOSURE[0] - MIN_SIDE + 1):
        ok, _ = break_fits(years, b)
        if not ok:
            continue
        data = rows(years, "years", b)
        data = data[data["open"] == 1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ml = stats.count_glm(data, formula(True, True, False, False))
        out.append({"break_year": b, "aic": float(ml.aic)})
    scan = pd.DataFrame(out, columns=["break_year", "aic"])
    if not scan.empty:
        scan["delta_aic"] = scan["aic"] - scan["aic"].min()
    return scan


def sum_variance_factor(rho: float, k: int) -> float:
    """How much larger the variance of a k-year sum is under AR(1) dependence rho than under independence."""
    r = max(float(rho), 0.0)
    return (k + 2 * sum((k - j) * r**j for j in range(1, k))) / k


def projection(result, fitted_rows: pd.DataFrame, future: pd.DataFrame, seed: int = stats.SEED) -> dict:
    """Projected arrivals for ``future`` rows, with two 95% prediction intervals for their sum.

    ``block``: a parameter draw from the HAC covariance times a block of consecutive fitted-year
    residuals (a moving block, so the years' dependence is kept); ``nb``: the same parameter draws
    with independent negative-binomial noise (stats.nb_prediction_interval), which treats the years
    as independent given their mean.
    """
    rng = np.random.default_rng(seed)
    x_new = design(result, future)
    off = future["log_exposure"].to_numpy()
    beta = result.params.to_numpy()
    mean = np.exp(x_new @ beta + off)
    draws = rng.multivariate_normal(beta, np.asarray(result.cov_params()), DRAWS)
    mu = np.exp(draws @ x_new.T + off)
    resid = np.log(fitted_rows["total"].to_numpy() / np.asarray(result.fittedvalues))
    k = len(future)
    starts = rng.integers(0, len(resid) - k + 1, DRAWS)
    shocks = np.stack([resid[s : s + k] for s in starts])
    sims = (mu * np.exp(shocks)).sum(axis=1)
    lo, hi = np.percentile(sims, [2.5, 97.5])
    nb_lo, nb_hi = stats.nb_prediction_interval(mean, result.alpha, mean_draws=mu, seed=seed)
    yearly = np.percentile(mu * np.exp(resid[rng.integers(0, len(resid), mu.shape)]), [2.5, 97.5], axis=0)
    return {
        "mean": mean,
        "total": float(mean.sum()),
        "low": float(lo),
        "high": float(hi),
        "nb_low": nb_lo,
        "nb_high": nb_hi,
        "yearly_low": yearly[0],
        "yearly_high": yearly[1],
    }


# --------------------------------------------------------------------------------------------
# the scorecard: one row per piece of evidence, its grade read from the chapter that graded it


def scorecard(res: dict[str, dict]) -> list[dict]:
    """One row per piece of evidence, from the chapters' results (``res[chapter]``); nothing re-derived."""
    out = []
    for chapter, piece, factor, what in PIECES:
        got = res.get(chapter, {})
        key = f"grade_{piece}"
        if key in got:
            grade = str(got[key])
            n_specs, n_robust = got.get(f"{key}_n_specs"), got.get(f"{key}_n_robust")
            counted = (
                f" (robust in {n_robust} of {words.plural(n_specs, 'specification')})"
                if n_specs is not None and n_robust is not None
                else ""
            )
            why = str(got.get(key + "_why", grade))
            if n_specs is not None and f"{n_robust} of {n_specs}" in why:
                counted = ""  # the chapter's reason already gives the counts
            evidence = f"{what.capitalize()}, over the chapter's grid: {why}{counted}."
            if f"{key}_evidence" in got:
                evidence = f"{got[key + '_evidence']} {evidence}"
            if grade in ("strong", "suggestive"):
                suggests = f"An association ({what}), not a cause; it could also reflect {RIVALS[piece]}."
            elif grade == "not identifiable":
                suggests = f"The grid cannot pin down the association ({what}); it could reflect {RIVALS[piece]}."
            else:
                suggests = f"No association the grid can detect ({what}); rival readings: {RIVALS[piece]}."
        else:
            grade = ""
            evidence = f"The {chapter.replace('_', ' ')} chapter gave no grid for {what} in this build, so it is not graded here."
            suggests = f"Not graded; rival readings to weigh: {RIVALS[piece]}."
        out.append(
            {
                "factor": factor,
                "chapter": chapter,
                "piece": piece,
                "what": what,
                "evidence": evidence,
                "suggests": suggests,
                "grade": grade,
                "graded": bool(grade),
            }
        )
    return out


def conclusion(card: list[dict]) -> str:
    """One sentence from the grades, grouped by grade word (each piece named once, no table cells)."""
    groups: dict[str, list[str]] = {}
    for row in card:
        groups.setdefault(row["grade"] or "not graded in this build", []).append(row["what"])
    order = [*grades.GRADES, "not graded in this build"]
    parts = [f"{g} on {words.join(groups[g])}" for g in order if g in groups]
    return "By the book's rule, the evidence is " + "; ".join(parts) + "."


# --------------------------------------------------------------------------------------------
# the chapter: compute() and its chart and table builders

MODEL_SOURCE = "Models fitted to Ministry of Unification yearly and quarterly arrivals."


def read_upstream() -> dict[str, dict]:
    """Each upstream chapter's results from this build (every key; the scorecard reads what it needs)."""
    from nkbook.present.results import read

    return {chapter: read(chapter) for chapter in UPSTREAM}


def _spec_label(trends: bool, break_text: str, dating: str) -> str:
    family = WITH if trends else WITHOUT
    closed = "closure from Q2 2020" if dating == "q2" else f"closure {CLOSURE[0]}–{CLOSURE[1]} (whole years)"
    return f"{family}; {break_text}; {closed}"


def compute(
    data_dir=None, *, start_year: int = 1998, end_year: int | None = None, upstream: dict[str, dict] | None = None
):
    """Every value the synthesis glues; ``upstream`` (chapter -> results) defaults to this build's."""
    from nkbook.present.results import Results

    r = Results()
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    if end_year - start_year + 1 < 10:
        raise ValueError(f"the synthesis needs a window of at least 10 years; {start_year}–{end_year} is shorter")
    years = frame(data_dir, start_year, end_year)
    r.put("start_year", start_year)
    r.put("end_year", end_year)
    r.put("n_years", len(years))

    # ---- what the window can identify
    n_pre = int((years["year"] < CLOSURE[0]).sum())
    has_closure = bool((years["year"] >= CLOSURE[0]).any()) and n_pre >= MIN_PRE
    has_reopening = has_closure and bool((years["year"] >= REOPENING_FROM).any())
    q1 = first_quarter(CLOSURE[0], data_dir) if has_closure else None
    datings = ["years", "q2"] if q1 is not None else ["years"]
    regime_ok, regime_why = break_fits(years, REGIME_FROM)
    left_out = []
    if not has_closure:
        if not (years["year"] >= CLOSURE[0]).any():
            left_out.append(
                f"the closure term (the window ends in {end_year}, before the closure began in {CLOSURE[0]})"
            )
        else:
            left_out.append(
                f"the closure term and the counterfactual ({words.plural(n_pre, 'open year')} before "
                f"{CLOSURE[0]}; a projection needs {MIN_PRE})"
            )
    if has_closure and not has_reopening:
        left_out.append(f"the reopening term (the window ends in {end_year}, before {REOPENING_FROM})")
    if not regime_ok:
        left_out.append(f"the {REGIME_FROM} break ({regime_why})")
    if has_closure and q1 is None:
        left_out.append(f"the dating from Q2 {CLOSURE[0]} (no quarterly count for Q1 {CLOSURE[0]})")
    # (the fitted terms are stated once the break is known, below)

    # ---- 2020 as a partial closure year
    if q1 is not None:
        total_first = int(years.loc[years["year"] == CLOSURE[0], "total"].iloc[0])
        r.put("q1_first_closure_year", q1)
        r.put("total_first_closure_year", total_first)
        r.put("q1_share_pct", 100 * q1 / total_first, 1)
        r.put(
            "partial_year_sentence",
            f"Of the {total_first:,} arrivals of {CLOSURE[0]}, {q1:,} ({100 * q1 / total_first:.1f}%) came in its "
            f"first quarter, before the closure could act on them, so one dating of the closure starts it in the "
            f"second quarter: {CLOSURE[0]} then counts as a quarter of an open year and three quarters of a closed one.",
        )
    else:
        r.put(
            "partial_year_sentence",
            f"The window has no quarterly count for the first quarter of {CLOSURE[0]}, so the closure is dated "
            "by whole years only.",
        )

    # ---- the profile scan for the break year
    scan = profile_scan(years)
    r.frames["scan"] = scan
    breaks: list[int | None] = []
    if regime_ok:
        breaks.append(REGIME_FROM)
    if not scan.empty:
        best = int(scan.loc[scan["aic"].idxmin(), "break_year"])
        near = scan.loc[scan["delta_aic"] <= 2, "break_year"].astype(int).tolist()
        r.put("scan_best_year", best)
        r.put("scan_first", int(scan["break_year"].min()))
        r.put("scan_last", int(scan["break_year"].max()))
        regime_delta = scan.loc[scan["break_year"] == REGIME_FROM, "delta_aic"]
        regime_text = (
            f"; {REGIME_FROM} fits {float(regime_delta.iloc[0]):.1f} AIC points worse"
            if not regime_delta.empty and best != REGIME_FROM
            else ""
        )
        r.put(
            "scan_sentence",
            f"Over {words.plural(len(scan), 'candidate break year')} ({words.year_list(scan['break_year'])}), the with-trends "
            f"model of the open years before {CLOSURE[0]} fits best with a break in {best}{regime_text}; "
            f"{words.plural(len(near), 'candidate year')} ({words.join([str(y) for y in near])}) "
            f"{'lies' if len(near) == 1 else 'lie'} within 2 AIC points of the best, the scan's measure of how "
            "uncertain the break year is.",
        )
        if best not in breaks:
            breaks.append(best)
    else:
        r.put(
            "scan_sentence",
            f"The window has too few open years before {CLOSURE[0]} to scan for a break ({MIN_SIDE} are needed on "
            "each side of a candidate).",
        )
    if not breaks:
        breaks = [None]
    r.put("n_breaks", len(breaks))
    r.put("breaks_text", words.year_list([b for b in breaks if b is not None]) if breaks != [None] else "no break")
    dating_words = {"years": f"whole years {CLOSURE[0]}–{CLOSURE[1]}", "q2": f"from the second quarter of {CLOSURE[0]}"}
    r.put(
        "datings_text",
        words.join([dating_words[d] for d in datings], "or") if has_closure else "none: no closure years",
    )

    # ---- the two full-series models (the rate-ratio chart)
    dating0 = datings[-1]
    b0 = breaks[0]
    fitted_terms = [f"trends before and after a break in {b0}" if b0 is not None else "a single trend"]
    if has_closure:
        fitted_terms.append("the closure")
    if has_reopening:
        fitted_terms.append("the partial reopening")
    r.put(
        "terms_sentence",
        f"On {start_year}–{end_year} the models fit {words.join(fitted_terms)}"
        + (f"; they leave out {words.join(left_out)}." if left_out else "; the window identifies every term."),
    )
    r.put("n_left_out", len(left_out))
    full = rows(years, dating0, b0, q1)
    tables, fits = [], {}
    for trends, name in ((False, WITHOUT), (True, WITH)):
        res = fit(full, formula(trends, b0 is not None, has_closure, has_reopening))
        fits[name] = res
        tab = rate_ratio_table(res, name)
        tables.append(tab)
        key = "with" if trends else "without"
        r.put(f"{key}_rho1", res.rho1, 2)
        r.put(f"{key}_alpha", res.alpha, 3)
        r.put(f"{key}_aic", float(res.ml.aic), 1)
        for row in tab.itertuples():
            r.put(f"{key}_{row.term}_rr", row.rate_ratio, 3)
            r.put(f"{key}_{row.term}_low", row.low, 3)
            r.put(f"{key}_{row.term}_high", row.high, 3)
    coef = pd.concat(tables, ignore_index=True)
    r.frames["coef"] = coef
    gain = float(fits[WITHOUT].ml.aic - fits[WITH].ml.aic)
    r.put("aic_gain_trends", gain, 1)
    r.put(
        "aic_sentence",
        f"Adding the trends {words.direction(0, gain, 'lowers', 'raises', 'leaves unchanged')} the AIC by "
        f"{abs(gain):.1f} points: the series' shape "
        f"{'is worth the extra terms' if gain > 2 else 'does not earn the extra terms by this measure'} (the "
        "threshold is 2 points).",
    )
    if b0 is not None:
        step_w, step_t = r["without_post_rr"], r["with_post_rr"]
        r.put(
            "step_sentence",
            f"The level step at the {b0} break is {step_w:.2f} without trends and {step_t:.2f} with them "
            f"(the first is {words.times(step_w / step_t)} the second): how big the change after the break looks depends on "
            "whether the series may have a trend.",
        )
    else:
        r.put("step_sentence", "With no break in the window, the models have no Kim Jong-un-era step to compare.")
    break_text0 = f"break {b0}" if b0 is not None else "no break"
    r.put(
        "full_models_sentence", f"Both models use {break_text0} and {_spec_label(False, '', dating0).split('; ')[-1]}."
    )

    resid = pd.DataFrame(
        {
            "period": full["label"].to_numpy(),
            "year": full["year"].to_numpy(),
            "observed": full["total"].to_numpy(),
            "fitted": np.round(np.asarray(fits[WITH].fittedvalues), 1),
            "pearson_residual": np.round(np.asarray(fits[WITH].resid_pearson), 2),
        }
    )
    # a year split at the closure draws as two narrow bars side by side
    shift = np.where(full["label"].str.endswith("Q1"), -0.2, np.where(full["label"].str.contains("Q2"), 0.2, 0.0))
    resid.insert(2, "position", full["year"].to_numpy() + shift)
    r.frames["residuals"] = resid
    worst = resid.loc[resid["pearson_residual"].abs().idxmax()]
    r.put("worst_residual_period", str(worst["period"]))
    r.put("with_worst_residual", float(worst["pearson_residual"]), 2)

    # ---- the counterfactual range (fitted on the open years before the closure, projected forward)
    specs = []
    if has_closure:
        for dating in datings:
            for b in breaks:
                for trends in (False, True):
                    data = rows(years, dating, b, q1)
                    pre = data[data["open"] == 1].reset_index(drop=True)
                    res = fit(pre, formula(trends, b is not None, False, False))
                    closed = data[data["closure"] == 1].reset_index(drop=True)
                    reopened = data[data["reopening"] == 1].reset_index(drop=True)
                    pc = projection(res, pre, closed)
                    pr = projection(res, pre, reopened) if len(reopened) else None
                    obs_c = int(closed["total"].sum())
                    btext = f"break {b}" if b is not None else "no break"
                    spec = {
                        "spec": _spec_label(trends, btext, dating),
                        "family": WITH if trends else WITHOUT,
                        "dating": dating,
                        "break_year": b,
                        "fitted_years": f"{int(pre['year'].min())}–{pre['label'].iloc[-1]}",
                        "n_fitted": len(pre),
                        "rho1": float(res.rho1),
                        "closure_span": f"{closed['label'].iloc[0]} to {closed['label'].iloc[-1]}",
                        "observed": obs_c,
                        "expected": pc["total"],
                        "low": pc["low"],
                        "high": pc["high"],
                        "nb_low": pc["nb_low"],
                        "nb_high": pc["nb_high"],
                        "share_pct": 100 * obs_c / pc["total"],
                        "robust": obs_c < pc["low"],
                        "reopen_observed": int(reopened["total"].sum()) if pr else None,
                        "reopen_expected": pr["total"] if pr else None,
                        "reopening": (
                            f"{reopened['label'].iloc[0]}–{reopened['label'].iloc[-1]} projected and shown apart, "
                            "not counted in the closure's shortfall"
                            if pr
                            else "no reopening years in the window"
                        ),
                        "_closed": closed.assign(predicted=pc["mean"], low=pc["yearly_low"], high=pc["yearly_high"]),
                        "_reopened": (
                            reopened.assign(predicted=pr["mean"], low=pr["yearly_low"], high=pr["yearly_high"])
                            if pr
                            else None
                        ),
                    }
                    specs.append(spec)
    r.extra["specs"] = specs
    if specs:
        shares = [s["share_pct"] for s in specs]
        n_rob = sum(s["robust"] for s in specs)
        r.put("cf_n_specs", len(specs))
        r.put("cf_n_robust", n_rob)
        r.put("cf_share_min_pct", min(shares), 1)
        r.put("cf_share_max_pct", max(shares), 1)
        r.put("cf_expected_min", round(min(s["expected"] for s in specs)))
        r.put("cf_expected_max", round(max(s["expected"] for s in specs)))
        r.put("cf_low_min", round(min(s["low"] for s in specs)))
        r.put("cf_high_max", round(max(s["high"] for s in specs)))
        r.put("cf_observed_min", min(s["observed"] for s in specs))
        r.put("cf_observed_max", max(s["observed"] for s in specs))
        rhos = [s["rho1"] for s in specs]
        r.put("cf_rho1_min", min(rhos), 2)
        r.put("cf_rho1_max", max(rhos), 2)
        k = len(specs[0]["_closed"])
        infl = sum_variance_factor(max(rhos), k)
        r.put("cf_sum_variance_factor", infl, 2)
        wider = sum((s["high"] - s["low"]) > (s["nb_high"] - s["nb_low"]) for s in specs)
        r.put("cf_n_block_wider", wider)
        by_dating = {s["dating"]: s["observed"] for s in specs}
        dated = {"years": f"counting all of {CLOSURE[0]}", "q2": f"counting from the second quarter of {CLOSURE[0]}"}
        obs_text = (
            f"{specs[0]['observed']:,} people arrived"
            if len(set(by_dating.values())) == 1
            else words.join([f"{v:,} arrived {dated[d]}" for d, v in by_dating.items()])
        )
        r.put(
            "cf_sentence",
            f"Across the {words.plural(len(specs), 'specification')}, the open years before the closure project "
            f"{round(min(s['expected'] for s in specs)):,}–{round(max(s['expected'] for s in specs)):,} arrivals for the "
            f"closure years (95% prediction intervals from {round(min(s['low'] for s in specs)):,} to "
            f"{round(max(s['high'] for s in specs)):,}); {obs_text}, "
            f"{min(shares):.1f}–{max(shares):.1f}% of the projections. The observed count is below the prediction "
            f"interval in {n_rob} of the {len(specs)}.",
        )
        reop = [s for s in specs if s["reopen_expected"]]
        if reop:
            rs = [100 * s["reopen_observed"] / s["reopen_expected"] for s in reop]
            r.put("reopen_share_min_pct", min(rs), 1)
            r.put("reopen_share_max_pct", max(rs), 1)
            r.put(
                "reopen_sentence",
                f"Every specification treats the reopening years {reop[0]['_reopened']['label'].iloc[0]}–"
                f"{reop[0]['_reopened']['label'].iloc[-1]} the same way: they are projected by the same model and "
                f"shown apart, not counted in the closure's shortfall, because the border reopened only in part "
                f"and much else had changed. Their {reop[0]['reopen_observed']:,} arrivals are "
                f"{min(rs):.1f}–{max(rs):.1f}% of those projections.",
            )
        else:
            r.put(
                "reopen_sentence",
                f"The window ends before the reopening ({REOPENING_FROM}), so no year is treated as one.",
            )
        # the closure graded once, over the grid of specifications
        g = grades.grade([math.log(s["share_pct"] / 100) for s in specs], [s["robust"] for s in specs], log_scale=True)
        r.put_all(grades.result_keys("closure", g))
        r.put(
            "closure_grade_sentence",
            f"Graded by the rule over these {words.plural(len(specs), 'specification')}, the closure evidence is "
            f"{g['grade']}: {g['why']}.",
        )
        # the calibrated check: is the change at the closure unusual among every year's change?
        logs = np.log(years["total"].to_numpy(float))
        idx = int(np.flatnonzero(years["year"].to_numpy() == CLOSURE[0])[0])
        window = CLOSURE[1] - CLOSURE[0] + 1
        if window <= idx <= len(logs) - window:
            pb = stats.placebo_break_test(logs, idx, window=window)
            r.put("placebo_p", pb["p"], 3)
            r.put("placebo_rank", pb["rank"])
            r.put("placebo_candidates", pb["candidates"])
            r.put(
                "placebo_sentence",
                f"A calibrated check that needs no model: the change in mean log arrivals from the {window} years "
                f"before {CLOSURE[0]} to the {window} from it ranks {words.ordinal(pb['rank'])} in size among the "
                f"changes at {words.plural(pb['candidates'], 'candidate year')} (placebo p = {pb['p']:.3f}; the "
                f"smallest possible is {pb['min_p']:.3f}).",
            )
        else:
            r.put("placebo_sentence", "The window has too few years around the closure for the placebo break test.")
    else:
        r.put("cf_n_specs", 0)
        r.put("cf_sentence", "The window has no closure years to project, so there is no counterfactual.")
        r.put("reopen_sentence", "No reopening years are in the window.")
        r.put("closure_grade_sentence", "The closure is not graded on this window: it has no closure years.")
        r.put("placebo_sentence", "No placebo break test of the closure on this window.")
    table_rows = [
        {
            "Specification": s["spec"],
            "Years fitted": s["fitted_years"],
            "Residual lag-1 autocorrelation": round(s["rho1"], 2),
            "Closure years": s["closure_span"],
            "Observed": s["observed"],
            "Projected": round(s["expected"]),
            "95% prediction interval (blocks)": f"{round(s['low']):,}–{round(s['high']):,}",
            "95% interval (years independent)": f"{round(s['nb_low']):,}–{round(s['nb_high']):,}",
            "Observed / projected (%)": round(s["share_pct"], 1),
            "Reopening years": s["reopening"],
        }
        for s in specs
    ]
    r.frames["specs"] = pd.DataFrame(table_rows)

    # ---- residual autocorrelation: every model, and what it does to the intervals
    all_rho = [r["without_rho1"], r["with_rho1"]] + [s["rho1"] for s in specs]
    r.put("rho1_max", max(all_rho), 2)
    r.put("rho1_min", min(all_rho), 2)
    if specs:
        effect = (
            f" For a {k}-year sum, dependence of {max(s['rho1'] for s in specs):.2f} makes the variance "
            f"{r['cf_sum_variance_factor']:.2f} times what independent years give; the block intervals keep it, and "
            f"they are wider than the independent-years intervals in {wider} of the {len(specs)} specifications."
        )
    else:
        effect = ""
    r.put(
        "autocorr_sentence",
        f"Residual lag-1 autocorrelation runs from {min(all_rho):.2f} to {max(all_rho):.2f} across the models. "
        + (
            "Positive values mean that neighbouring years miss in the same direction, so intervals that treat the "
            "years as independent are too narrow; the covariances here are HAC and the prediction intervals "
            "resample blocks of consecutive years."
            if max(all_rho) > 0
            else "No model shows positive dependence, so the independent-years intervals are not too narrow on this account."
        )
        + effect,
    )

    # ---- the extended model is not fitted: its inputs, counted
    missiles = used(load("missile_tests", data_dir))
    cns = missiles[missiles["measure"] == "missiles"]
    full_years = cns.loc[~cns["partial_year"].astype(bool), "year"].astype(int)
    part = cns.loc[cns["partial_year"].astype(bool), "year"].astype(int).tolist()
    trade = used(load("china_trade", data_dir))
    trade_years = trade.loc[trade["total_usd_bn"].notna(), "year"].astype(int)
    overlap = sorted(set(years["year"]) & set(full_years) & set(trade_years))
    n_params = len(fits[WITH].params) + 2 + 1  # the with-trends terms, two factors, the dispersion
    r.put("ext_n_points", len(overlap))
    r.put("ext_n_params", n_params)
    r.put(
        "extended_sentence",
        f"A model that adds missile testing and China trade is not fitted: the missile count is complete only to "
        f"{int(full_years.max())}"
        + (f" ({words.year_list(part)} covers part of the year only)" if part else "")
        + f", and the years with both factors and arrivals number {len(overlap)}, against the {n_params} parameters "
        f"such a model needs, leaving {len(overlap) - n_params} degrees of freedom. The political and economic chapters "
        "examine each factor over its own grid.",
    )

    # ---- the scorecard: grades read from the chapters' results, the closure's own from above
    up = read_upstream() if upstream is None else upstream
    own = {k: v for k, v in r.items() if k.startswith("grade_closure")}
    if specs:
        spans = list(dict.fromkeys(s["closure_span"] for s in specs))
        own["grade_closure_evidence"] = (
            f"Arrivals in the closure years ({words.join(spans, 'or')}) were {r['cf_share_min_pct']:.1f}–"
            f"{r['cf_share_max_pct']:.1f}% of what the open years before projected."
        )
        r.put("closure_evidence", own["grade_closure_evidence"])
    up = {**up, "synthesis": own}
    card = scorecard(up)
    r.frames["scorecard"] = pd.DataFrame(card)
    for row in card:
        r.put(f"score_{row['piece']}", row["grade"] or "not graded")
    r.put("n_graded", sum(row["graded"] for row in card))
    r.put("n_pieces", len(card))
    r.put("grade_rule", grades.RULE)
    r.put("conclusion_sentence", conclusion(card))
    claims = up.get("claims", {})
    if "n_hold" in claims and "n_checkable" in claims:
        r.put("claims_n_hold", claims["n_hold"])
        r.put("claims_n_checkable", claims["n_checkable"])
        r.put(
            "claims_sentence",
            f"Of the texts' {claims['n_checkable']} checkable claims, {claims['n_hold']} hold against the data.",
        )
    else:
        r.put("claims_sentence", "The claims chapter gave no verdict counts in this build.")

    # ---- the front page and the key findings
    peak = years.loc[years["total"].idxmax()]
    low = years.loc[years["total"].idxmin()]
    if int(low["year"]) > int(peak["year"]):
        course = (
            f"Yearly arrivals peaked at {int(peak['total']):,} in {int(peak['year'])} and "
            f"{words.direction(peak['total'], low['total'])} to {int(low['total']):,} in {int(low['year'])}"
        )
    else:
        course = (
            f"Yearly arrivals {words.direction(low['total'], peak['total'])} from {int(low['total']):,} in "
            f"{int(low['year'])} to a peak of {int(peak['total']):,} in {int(peak['year'])}"
        )
    if specs:
        show = (
            f"{course}; in the border-closure years they were "
            f"{r['cf_share_min_pct']:.1f}–{r['cf_share_max_pct']:.1f}% of what the open years before projected, "
            f"across {words.plural(len(specs), 'specification')}."
        )
    else:
        show = (
            f"In {start_year}–{end_year}, yearly arrivals ranged from {int(low['total']):,} ({int(low['year'])}) to "
            f"{int(peak['total']):,} ({int(peak['year'])}); the window has no closure years."
        )
    rank = (
        "Arrivals are attempts times the chance of getting through, and the data observe neither, so the yearly "
        "record cannot rank the push factors against the way out: " + conclusion(card)[0].lower() + conclusion(card)[1:]
    )
    r.put("front_show", show)
    r.put("front_rank", rank)
    findings = [show]
    if specs:
        findings.append(r["closure_grade_sentence"])
    findings.append(r["terms_sentence"])
    findings.append(
        f"Residual lag-1 autocorrelation runs from {min(all_rho):.2f} to {max(all_rho):.2f} across the models; "
        "their intervals (HAC covariances, block-bootstrap predictions) allow for dependent years."
    )
    findings.append(conclusion(card))
    r.findings(*findings[:5])
    return r


# --------------------------------------------------------------------------------------------
# tables and charts


def findings_html(r) -> str:
    """The key findings as an HTML list (escaped), for the front page's cross-document glue."""
    import html

    return "<ul class='nk-findings'>" + "".join(f"<li>{html.escape(s)}</li>" for s in r["key_findings"]) + "</ul>"


def glue_front_page(r) -> None:
    """Glue the key findings as HTML for the front page: myst-nb 1.4 pastes text, HTML and images
    from another document, not Markdown, so ``key_findings_md`` cannot be pasted there."""
    from IPython.display import HTML
    from myst_nb import glue

    glue("key_findings_html", HTML(findings_html(r)), display=False)


def coefficient_table_view(r):
    from nkbook.present import charts

    c = r.frames["coef"]
    shown = pd.DataFrame(
        {
            "Model": c["model"],
            "Term": c["label"],
            "Rate ratio": c["rate_ratio"].round(3),
            "95% interval (HAC)": [f"{lo:.3f}–{hi:.3f}" for lo, hi in zip(c["low"], c["high"])],
        }
    )
    return charts.table(shown, caption="Rate ratios of the two models, with HAC (Newey–West) 95% intervals", digits=3)


def spec_table(r):
    from nkbook.present import charts

    return charts.table(
        r.frames["specs"],
        caption="The no-closure counterfactual, one row per specification",
        digits={"Residual lag-1 autocorrelation": 2, "Observed / projected (%)": 1},
    )


def scorecard_table(r):
    """The scorecard as an HTML table linking each piece's chapter."""
    import html

    from IPython.display import HTML

    from nkbook.present import charts

    rows_html = "".join(
        f"<tr><th scope='row'><a href='{html.escape(c.chapter)}.html'>{html.escape(c.factor)}</a></th>"
        f"<td>{html.escape(c.evidence)}</td><td>{html.escape(c.suggests)}</td>"
        f"<td>{html.escape(c.grade) if c.grade else 'not graded'}</td></tr>"
        for c in r.frames["scorecard"].itertuples()
    )
    caption = "The evidence, one row per piece, graded by the chapter that examined it (this build)"
    return HTML(
        charts.scroll_wrap(
            f"<table class='nk-table nk-scorecard'><caption>{caption}</caption><thead><tr><th scope='col'>Factor</th>"
            "<th scope='col'>Evidence and its grid</th><th scope='col'>What it suggests</th>"
            f"<th scope='col'>Grade</th></tr></thead><tbody>{rows_html}</tbody></table>",
            "The evidence, graded",
        )
    )


def rate_ratio_chart(r):
    import altair as alt

    from nkbook.present import charts

    plot = r.frames["coef"][["model", "term", "label", "rate_ratio", "low", "high"]].copy()
    plot = plot.assign(rate_ratio=plot["rate_ratio"].round(3), low=plot["low"].round(3), high=plot["high"].round(3))
    scale = charts.series_scale([WITHOUT, WITH])
    order = [TERMS[t] for t in TERMS if t in set(plot["term"])]
    y = alt.Y("label:N", title=None, sort=order)
    points = (
        alt.Chart(plot)
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("rate_ratio:Q", title="Rate ratio (log scale; 1 = no association)", scale=alt.Scale(type="log")),
            y=y,
            color=alt.Color("model:N", title="Model", scale=scale, legend=alt.Legend(orient="bottom")),
            yOffset=alt.YOffset("model:N", sort=[WITHOUT, WITH]),
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("label:N", title="Term"),
                alt.Tooltip("rate_ratio:Q", title="Rate ratio", format=".2f"),
                alt.Tooltip("low:Q", title="95% low (HAC)", format=".2f"),
                alt.Tooltip("high:Q", title="95% high (HAC)", format=".2f"),
            ],
        )
    )
    bars = (
        alt.Chart(plot)
        .mark_rule(strokeWidth=2)
        .encode(
            x="low:Q",
            x2="high:Q",
            y=y,
            yOffset=alt.YOffset("model:N", sort=[WITHOUT, WITH]),
            color=alt.Color("model:N", legend=None, scale=scale),
        )
    )
    one = alt.Chart(pd.DataFrame({"x": [1]})).mark_rule(color=charts.MUTED, strokeDash=[4, 3]).encode(x="x:Q")
    closure = plot[plot["term"] == "closure"]
    described = (
        "; ".join(f"{m.lower()}, the closure term is {v:.2f}" for m, v in zip(closure["model"], closure["rate_ratio"]))
        if not closure.empty
        else "the window has no closure term"
    )
    return charts.show(
        (one + bars + points).properties(title="Rate ratios of the two models, with HAC intervals", height=240),
        name="synthesis-rate-ratios",
        description=(
            f"Rate ratios with 95% HAC intervals for each term of the models without and with trends, on a log "
            f"scale with a dashed line at 1; {described}."
        ),
        source=MODEL_SOURCE,
        data=plot.rename(
            columns={
                "model": "Model",
                "label": "Term",
                "rate_ratio": "Rate ratio",
                "low": "95% low",
                "high": "95% high",
            }
        ).drop(columns="term"),
    )


def scan_chart(r):
    import altair as alt

    from nkbook.present import charts

    scan = r.frames["scan"]
    if scan.empty:
        return None
    plot = scan.assign(delta_aic=scan["delta_aic"].round(1), aic=scan["aic"].round(1))
    line = (
        alt.Chart(plot)
        .mark_line(point=True, color=charts.TOTAL)
        .encode(
            x=charts.year_axis("break_year", "Candidate break year"),
            y=alt.Y("delta_aic:Q", title="AIC above the best break"),
            tooltip=[
                alt.Tooltip("break_year:Q", format="d", title="Break year"),
                alt.Tooltip("delta_aic:Q", title="AIC above the best", format=".1f"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [2.0]})).mark_rule(color=charts.MUTED, strokeDash=[4, 3]).encode(y="y:Q")
    return charts.show(
        (rule + line).properties(title=f"Profile scan of the break year: best fit in {r['scan_best_year']}"),
        name="synthesis-break-scan",
        description=(
            f"AIC of the with-trends model for each candidate break year from {r['scan_first']} to {r['scan_last']}, "
            f"relative to the best ({r['scan_best_year']}); the dashed line marks 2 AIC points."
        ),
        source=MODEL_SOURCE,
        data=plot.rename(columns={"break_year": "Break year", "aic": "AIC", "delta_aic": "AIC above the best"}),
    )


def counterfactual_chart(r):
    import altair as alt

    from nkbook.present import charts

    specs = r.extra["specs"]
    if not specs:
        return None
    main = {
        s["family"]: s
        for s in specs
        if s["dating"] == specs[-1]["dating"] and s["break_year"] == specs[0]["break_year"]
    }
    parts = []
    for fam, s in main.items():
        for kind in ("_closed", "_reopened"):
            if s[kind] is not None:
                parts.append(
                    s[kind][["label", "year", "exposure", "total", "predicted", "low", "high"]].assign(series=fam)
                )
    proj = pd.concat(parts, ignore_index=True)
    proj["x"] = (
        proj["year"]
        + np.where(proj["label"].str.contains("Q2"), 0.25, 0.0)
        + np.where(proj["series"] == WITH, 0.12, -0.12)
    )
    obs = proj.drop_duplicates("label")[["label", "year", "total"]].assign(
        series="Observed", x=lambda d: d["year"] + np.where(d["label"].str.contains("Q2"), 0.25, 0.0)
    )
    for c in ("predicted", "low", "high"):
        proj[c] = proj[c].round(0).astype(int)
    scale = charts.series_scale(["Observed", WITHOUT, WITH])
    bars = (
        alt.Chart(proj)
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X(
                "x:Q",
                title="Year (2020 split at the closure)",
                axis=alt.Axis(format="d", tickMinStep=1),
                scale=alt.Scale(zero=False),
            ),
            y=alt.Y("low:Q", title="Arrivals"),
            y2="high:Q",
            color=alt.Color("series:N", scale=scale, legend=None),
        )
    )
    pts = (
        alt.Chart(proj)
        .mark_point(filled=True, size=60)
        .encode(
            x="x:Q",
            y="predicted:Q",
            color=alt.Color("series:N", title=None, scale=scale, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("label:N", title="Period"),
                alt.Tooltip("series:N", title="Model"),
                alt.Tooltip("predicted:Q", title="Projected", format=",.0f"),
                alt.Tooltip("low:Q", title="95% low", format=",.0f"),
                alt.Tooltip("high:Q", title="95% high", format=",.0f"),
            ],
        )
    )
    seen = (
        alt.Chart(obs)
        .mark_point(shape="diamond", filled=True, size=90)
        .encode(
            x="x:Q",
            y="total:Q",
            color=alt.Color("series:N", scale=scale),
            tooltip=[alt.Tooltip("label:N", title="Period"), alt.Tooltip("total:Q", title="Observed", format=",")],
        )
    )
    data = proj[["label", "series", "total", "predicted", "low", "high"]].rename(
        columns={
            "label": "Period",
            "series": "Model",
            "total": "Observed",
            "predicted": "Projected",
            "low": "95% low",
            "high": "95% high",
        }
    )
    return charts.show(
        (bars + pts + seen).properties(
            title=f"Observed arrivals were {r['cf_share_min_pct']:.1f}–{r['cf_share_max_pct']:.1f}% of the no-closure projections"
        ),
        name="synthesis-counterfactual",
        description=(
            f"Observed arrivals since {CLOSURE[0]} against the projections of the models without and with trends "
            f"fitted on the open years before the closure, with 95% block-bootstrap prediction intervals per period. {r['cf_sentence']}"
        ),
        source=MODEL_SOURCE,
        data=data,
    )


def residual_chart(r):
    import altair as alt

    from nkbook.present import charts

    resid = r.frames["residuals"]
    rchart = (
        alt.Chart(resid)
        .mark_bar(size=charts.bar_size(len(resid)) / 2)
        .encode(
            x=charts.year_axis("position"),
            y=alt.Y("pearson_residual:Q", title="Pearson residual (observed vs fitted)"),
            color=alt.condition(
                "datum.pearson_residual > 0", alt.value(charts.PALETTE[0]), alt.value(charts.HIGHLIGHT)
            ),
            tooltip=[
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("observed:Q", title="Observed", format=","),
                alt.Tooltip("fitted:Q", title="Fitted", format=",.0f"),
                alt.Tooltip("pearson_residual:Q", title="Residual"),
            ],
        )
        .properties(title=f"With-trends model: residuals by year (lag-1 autocorrelation {r['with_rho1']:.2f})")
    )
    return charts.show(
        rchart,
        name="synthesis-residuals",
        description=(
            f"Bar chart of Pearson residuals of the with-trends model by year. The largest in size is "
            f"{r['with_worst_residual']:.2f} in {r['worst_residual_period']}; bars above zero are years with more "
            "arrivals than the model fits."
        ),
        source=MODEL_SOURCE,
        data=resid.drop(columns="position").rename(
            columns={
                "period": "Period",
                "year": "Year",
                "observed": "Observed",
                "fitted": "Fitted",
                "pearson_residual": "Pearson residual",
            }
        ),
    )
