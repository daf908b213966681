"""The political-push chapter: its module on small hand-made frames, and the chapter on real and
modified data (expected values are derived from the CSVs or the package, never typed in)."""

from __future__ import annotations

import csv
import json
import math
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
from conftest import copy_data, edit_csv, page_text

from nkbook.analysis import series
from nkbook.chapters import political_push as political
from nkbook.data import DATA_DIR

CHAPTER = "political_push"
# published values that Phase B/C changed on purpose (listed in the report); empty after Phase A
MOVED_ON_PURPOSE: set[str] = {"grid_n_excludes", "grid_verdict"}


def _csv(name, data_dir=DATA_DIR):
    with open(data_dir / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _arrivals(data_dir=DATA_DIR) -> dict[int, int]:
    return {
        int(r["period"]): int(r["total"])
        for r in _csv("arrivals_yearly", data_dir)
        if r["granularity"] == "year" and r["used"] == "true"
    }


# --------------------------------------------------------------------------------------------
# the module, on tiny frames


def _synthetic(level_ratio=0.5, pre=0.10, post=-0.05, break_year=2010, first=2000, last=2019):
    """Counts on an exact log-linear path with a step, times a fixed wiggle (real counts scatter more
    than Poisson, which the negative binomial needs to estimate its dispersion)."""
    wiggle = [0.88, 1.10, 0.97, 1.12, 0.93]
    rows = []
    for i, year in enumerate(range(first, last + 1)):
        t = year - break_year
        log_mu = 7 + pre * t + (math.log(level_ratio) + (post - pre) * t if year >= break_year else 0)
        rows.append({"year": year, "total": int(round(math.exp(log_mu) * wiggle[i % len(wiggle)]))})
    return pd.DataFrame(rows)


def test_its_frame_columns_and_closure_indicators():
    years = pd.DataFrame({"year": range(2014, 2026), "total": range(100, 112)})
    d = political.its_frame(years, 2017)
    assert list(d.loc[d["year"] == 2016, ["t", "post", "t_post"]].iloc[0]) == [-1, 0, 0]
    assert list(d.loc[d["year"] == 2019, ["t", "post", "t_post"]].iloc[0]) == [2, 1, 2]
    assert d.loc[d["closure"] == 1, "year"].tolist() == [2020, 2021, 2022]
    assert d.loc[d["reopened"] == 1, "year"].tolist() == [2023, 2024, 2025]
    assert political.its_formula(d) == "total ~ t + post + t_post + closure + reopened"
    # without closure years in range, no closure terms (they would be all zero)
    early = political.its_frame(years[years["year"] <= 2019], 2017)
    assert political.its_formula(early) == "total ~ t + post + t_post"


def test_its_frame_refuses_a_break_without_enough_years():
    years = pd.DataFrame({"year": range(2010, 2026), "total": [100] * 16})
    with pytest.raises(ValueError, match="break_year 2018"):
        political.its_frame(years, 2018)  # only 2018-2019 before the closure
    with pytest.raises(ValueError, match="break_year 2011"):
        political.its_frame(years, 2011)  # only 2010 before the break


def test_fit_its_recovers_a_known_step_and_trends():
    fit = political.fit_its(_synthetic(level_ratio=0.5, pre=0.10, post=-0.05), 2010)
    level, pre, post = fit["level"], fit["pre_trend"], fit["post_trend"]
    assert level[1] < 0.5 < level[2] and abs(level[0] - 0.5) < 0.05
    assert pre[1] < math.exp(0.10) < pre[2]
    assert post[1] < math.exp(-0.05) < post[2]
    assert fit["trend_change"][0] == pytest.approx(post[0] / pre[0], rel=1e-6)
    assert fit["closure"] is None and fit["n"] == 20
    # the counterfactual carries the pre-break path on: at the break, level / counterfactual = step
    at = fit["frame"].set_index("year").loc[2010]
    assert at["fit"] / at["counterfactual"] == pytest.approx(level[0], rel=1e-6)


def test_break_scan_skips_impossible_breaks_and_flags_drops():
    scan = political.break_scan(_synthetic(), range(2000, 2020))
    assert scan["break_year"].min() == 2003 and scan["break_year"].max() == 2017
    chosen = scan.set_index("break_year").loc[2010]
    assert bool(chosen["level_excludes_1"]) and chosen["level_high"] < 1


def test_nb_fit_matches_statsmodels():
    """The array engine (used for the hundreds of fits of the scans) finds the same maximum and the
    same HAC covariance as statsmodels' negative binomial."""
    import warnings

    import statsmodels.api as sm

    from nkbook.analysis import stats

    years = _synthetic(first=1998, last=2019)
    frame = political.shape_frame(years, 2010, 2004)
    terms = political.shape_formula(frame).split("~")[1].replace(" ", "").split("+")
    x = political.design(frame, terms)
    y = frame["total"].to_numpy(float)
    fit = political.nb_fit(y, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ml = sm.NegativeBinomial(y, x).fit(disp=False, maxiter=500)
        hac = stats.nb_hac(frame, political.shape_formula(frame))
    assert fit["llf"] == pytest.approx(ml.llf, abs=1e-6)
    assert fit["aic"] == pytest.approx(ml.aic, abs=1e-5)
    assert fit["beta"] == pytest.approx(np.asarray(ml.params[:-1]), abs=1e-4)
    assert np.sqrt(np.diag(fit["cov"])) == pytest.approx(np.asarray(hac.bse), rel=1e-3)


def test_year_changes_skip_gaps_and_rank():
    d = pd.DataFrame({"year": [2000, 2001, 2002, 2004, 2005], "total": [100, 150, 120, 200, 400]})
    ch = political.year_changes(d)
    assert ch["year"].tolist() == [2001, 2002, 2005]  # no change across the 2003 gap
    assert ch["change"].tolist() == [50, -30, 200]
    assert ch.loc[ch["year"] == 2002, "change_pct"].iloc[0] == pytest.approx(-20.0)
    assert political.rank_of(ch, 2005) == 1 and political.rank_of(ch, 2001) == 2
    assert political.rank_of(ch, 2002, "change_pct", largest=False) == 1
    assert political.rank_of(ch, 2003) is None


def test_exposure_rate_ratio():
    r, lo, hi = political.exposure_rate_ratio(10, 12, 20, 24)
    assert r == pytest.approx(1.0) and lo < 1 < hi
    r, lo, hi = political.exposure_rate_ratio(54, 174, 134, 150)
    assert r == pytest.approx((134 / 150) / (54 / 174))
    assert math.isnan(political.exposure_rate_ratio(0, 12, 5, 12)[0])


def test_elite_rates_use_months_and_check_dates():
    frame = pd.DataFrame(
        {
            "period_id": ["a", "b"],
            "period_start": ["2000-01-01", "2012-01-01"],
            "period_end": ["2000-06-30", "2013-12-31"],
            "duration_months": [6, 24],
            "count": pd.array([3, None], dtype="Int64"),
        }
    )
    d = political.elite_rates(frame).set_index("period_id")
    assert d.loc["a", "per_year"] == pytest.approx(6.0)
    assert math.isnan(d.loc["b", "per_year"])
    frame.loc[1, "duration_months"] = 30
    with pytest.raises(ValueError, match="duration_months"):
        political.elite_rates(frame)


def test_event_year_contrast():
    ch = pd.DataFrame({"year": [2001, 2002, 2003, 2004], "log_change": [0.0, -0.5, 0.0, 0.5]})
    out = political.event_year_contrast(ch, [2001], lag=1)
    assert out["event_years"] == [2002]
    assert out["event_mean_pct"] == pytest.approx(100 * (math.exp(-0.5) - 1))
    assert out["difference"] == pytest.approx(-0.5 - 0.5 / 3)
    assert 0 < out["p_value"] <= 1
    with pytest.raises(ValueError):
        political.event_year_contrast(ch, [1990], lag=1)


def test_survey_points_qualifiers_and_count_shares():
    m = pd.DataFrame(
        {
            "survey_id": ["a", "a", "b", "c", "c"],
            "survey_label": ["A", "A", "B", "C", "C"],
            "publisher": ["Ministry of Unification", "Ministry of Unification", "X", "Y", "Y"],
            "population": ["p", "p", "q", "r", "r"],
            "survey_year": pd.array([2020, 2020, None, 2015, 2015], dtype="Int64"),
            "period_covered": ["2020", "2020", "before 2001", "2015", "2015"],
            "sample_size": pd.array([None] * 5, dtype="Int64"),
            "category": ["x", "y", "z", "u", "v"],
            "category_group": ["political", "economic", "economic", "political", "economic"],
            "share_pct": [20.0, 25.0, 70.0, None, None],
            "share_low_pct": [None, None, None, 10.0, None],
            "share_high_pct": [None, None, 70.0, None, None],
            "approximate": [False, True, True, True, False],
            "count": pd.array([None, None, None, 30, 90], dtype="Int64"),
        }
    )
    pts = political.survey_points(m).set_index("category")
    assert pts.loc["x", "qualifier"] == "as published" and pts.loc["y", "qualifier"] == "about"
    assert pts.loc["z", "qualifier"] == "at most (about)" and pts.loc["z", "sort_year"] == 2001
    assert pts.loc["u", "qualifier"] == "at least" and pts.loc["u", "value"] == 10.0
    assert "v" not in pts.index  # neither a share nor a bound
    assert pts.loc["x", "label"] == "MOU: p"
    shares = political.count_shares(m, "c").set_index("category")["share_of_listed_pct"]
    assert shares.tolist() == pytest.approx([25.0, 75.0])


def test_prose_words():
    assert political.long_date("1994-07-08") == "8 July 1994"
    assert [political.nth_largest(r) for r in (1, 2, 3, 5, 11, 22)] == [
        "the largest",
        "the 2nd largest",
        "the 3rd largest",
        "the 5th largest",
        "the 11th largest",
        "the 22nd largest",
    ]


def test_poisson_ci_and_chart_frames():
    assert political.poisson_ci(0)[0] == 0.0
    lo, hi = political.poisson_ci(10)
    assert lo < 10 < hi
    d = pd.DataFrame({"a": [1.0, np.nan], "b": pd.Series(["x", np.nan], dtype=object)})
    spec = alt.Chart(political.for_chart(d)).mark_point().to_dict()
    json.dumps(spec, allow_nan=False)  # NaN would make the browser drop the chart


def test_missile_counts_are_the_used_series_with_gaps_absent():
    rows = [r for r in _csv("missile_tests") if r["used"] == "true"]
    m = political.missile_counts()
    assert m["year"].tolist() == sorted(int(r["year"]) for r in rows)
    partial = {int(r["year"]) for r in rows if r["partial_year"] == "true"}
    assert set(m.loc[m["partial_year"], "year"]) == partial
    assert m["year"].max() < series.latest_year()  # later years are absent, not zero


# --------------------------------------------------------------------------------------------
# the chapter through compute() (fast tier: no book build)


@pytest.fixture(scope="module")
def res():
    return political.compute(DATA_DIR)


def test_compute_matches_the_published_snapshot(res):
    snapshot = json.loads((DATA_DIR.parent / "results" / "published.json").read_text(encoding="utf-8"))
    snapshot = snapshot.get("results", snapshot)
    prefix = CHAPTER + "."
    published = {k[len(prefix) :]: v for k, v in snapshot.items() if k.startswith(prefix)}
    assert published
    changed = {k: (v, res.get(k)) for k, v in published.items() if k not in MOVED_ON_PURPOSE and res.get(k) != v}
    assert not changed


def test_notebook_is_thin():
    from nkbook.build.notebooks import code_cells
    from nkbook.core import paths

    for line, _tags, source in code_cells(paths.NOTEBOOKS_DIR / f"{CHAPTER}.md"):
        assert not re.search(r"^\s*(def|class)\s", source, flags=re.M), f"def/class at line {line}"
        assert len(source.strip().splitlines()) <= 15, f"code cell at line {line} is over 15 lines"
        assert "alt.Chart" not in source


def test_chart_and_table_builders_run(res):
    for name in [
        "its_chart",
        "break_scan_chart",
        "provocations_chart",
        "elite_chart",
        "motives_chart",
        "perception_chart",
        "songbun_chart",
    ]:
        fig = getattr(political, name)(res)
        assert fig.description and fig.source
        json.dumps(fig.chart.to_dict(), allow_nan=False)
    for name in ["its_table", "claim_table", "diplomat_table"]:
        assert len(getattr(political, name)(res).frame)


def test_chapter_results_follow_the_data(res):
    arrivals = _arrivals()
    assert res["arrivals_2011"] == arrivals[2011] and res["arrivals_2012"] == arrivals[2012]
    assert res["drop_2011_2012_pct"] == pytest.approx(100 * (1 - arrivals[2012] / arrivals[2011]), abs=0.05)
    assert res["break_year"] == 2012 and res["its_first_year"] == res["start_year"] == 1998
    assert res["its_level_rr_low"] < res["its_level_rr"] < res["its_level_rr_high"]
    years = series.window(series.yearly(), res["start_year"], res["end_year"])
    assert res["its_level_rr"] == pytest.approx(political.fit_its(years, 2012)["level"][0], abs=1e-3)
    assert res["its_poisson_dispersion"] > 1  # why the model is negative binomial
    elite = {r["period_id"]: r for r in _csv("elite_defectors")}
    for key, pid in [("pre", "1997h2_2011"), ("post", "2012_2024h1")]:
        r = elite[pid]
        assert res[f"elite_{key}_count"] == int(r["count"])
        assert res[f"elite_{key}_per_year"] == pytest.approx(
            int(r["count"]) / (int(r["duration_months"]) / 12), abs=0.05
        )
    assert res["elite_total_matches_sum"] is True
    nuclear = [r for r in _csv("nuclear_tests") if r["used"] == "true"]
    assert res["n_nuclear_tests"] == len(nuclear)
    full = [int(r["year"]) for r in _csv("missile_tests") if r["used"] == "true" and r["partial_year"] == "false"]
    in_window = [y for y in full if res["start_year"] <= y <= res["end_year"] and y in arrivals]
    assert res["corr_missiles_n"] == len(in_window)
    motives = {(r["survey_id"], r["category"]): r for r in _csv("motive_surveys")}
    assert res["mou2023_regime_pct"] == float(
        motives[("mou_2023_arrivals", "Dislike of the North Korean regime")]["share_pct"]
    )
    assert res["arrivals_2023"] == arrivals[2023]
    increases = sorted(
        (arrivals[y] - arrivals[y - 1] for y in arrivals if y - 1 in arrivals and arrivals[y] > arrivals[y - 1]),
        reverse=True,
    )
    assert res["increase_2011_rank"] == increases.index(arrivals[2011] - arrivals[2010]) + 1
    assert res["essay_successor_claim_supported"] is (res["increase_2011_rank"] == 1)


def test_moving_the_break_year_changes_the_model(res):
    moved = political.compute(DATA_DIR, break_year=2010)
    assert moved["break_year"] == 2010
    assert moved["its_level_rr"] != res["its_level_rr"]
    years = series.window(series.yearly(), moved["start_year"], moved["end_year"])
    assert moved["its_level_rr"] == pytest.approx(political.fit_its(years, 2010)["level"][0], abs=1e-3)
    assert moved["drop_2011_2012_pct"] == res["drop_2011_2012_pct"]


def test_chapter_page_has_charts_and_closing_box(main_book):
    page = main_book["html"] / "notebooks" / f"{CHAPTER}.html"
    raw = page.read_text(encoding="utf-8")
    for name in ["its", "break-scan", "provocations", "elite-rates", "motives", "succession-views", "songbun"]:
        assert f'id="fig-political-push-{name}"' in raw
    for spec in re.findall(r'<script type="application/json" class="nk-spec"[^>]*>(.*?)</script>', raw, flags=re.S):
        json.loads(spec)  # a NaN in a spec leaves the chart blank
    text = page_text(page)
    assert "What the evidence says" in text
    assert "{glue" not in text and "nan%" not in text.lower()


# --------------------------------------------------------------------------------------------
# words that follow the numbers (#16) and windows that build


@pytest.mark.parametrize("window", [dict(start_year=2005, end_year=2016), dict(start_year=2012), dict(end_year=2015)])
def test_window_sweep_builds(window):
    r = political.compute(DATA_DIR, **window)
    nb = (DATA_DIR.parent / "notebooks" / f"{CHAPTER}.md").read_text(encoding="utf-8")
    glued = set(re.findall(r"\{glue:text\}`([a-z0-9_]+)", nb))
    assert glued <= set(r), glued - set(r)
    start, end = r["start_year"], r["end_year"]
    can_break = (
        political.MIN_SIDE_YEARS <= sum(1 for y in range(start, r["break_year"]))
        and sum(1 for y in range(r["break_year"], min(end + 1, political.CLOSURE_YEARS[0]))) >= political.MIN_SIDE_YEARS
    )
    # a window that cannot carry the break says so in a computed sentence, else says nothing
    assert bool(r["its_window_note"]) is (not can_break)
    assert r["grid_n"] > 0


def test_prose_flips_on_perturbed_data(tmp_path, res):
    """Documented perturbation: in motive_surveys the 2023 regime share is set 5 points below the food
    share, and the 2020 regime share 5 points above food (the two orders swap); the 2023 elite count
    'around 10' becomes 6. The glued words must follow the perturbed numbers."""
    data = copy_data(tmp_path / "data")
    motives = {(r["survey_id"], r["category"]): r for r in _csv("motive_surveys")}
    food23 = float(motives[("mou_2023_arrivals", "Food shortage")]["share_pct"])
    food20 = float(motives[("mou_2020", "Food shortage")]["share_pct"])
    edit_csv(
        data / "motive_surveys.csv",
        {"survey_id": "mou_2023_arrivals", "category": "Dislike of the North Korean regime"},
        {"share_pct": f"{food23 - 5:.1f}"},
    )
    edit_csv(
        data / "motive_surveys.csv",
        {"survey_id": "mou_2020", "category": "Dislike of the North Korean regime"},
        {"share_pct": f"{food20 + 5:.1f}"},
    )
    edit_csv(data / "elite_defectors.csv", {"period_id": "2023"}, {"count": "6"})
    mod = political.compute(data)
    assert res["mou2023_lead_words"] == "ahead of" and mod["mou2023_lead_words"] == "behind"
    assert res["mou2020_lead_words"] == "behind" and mod["mou2020_lead_words"] == "ahead of"
    assert mod["mou2023_gap_pts"] == pytest.approx(-5.0, abs=0.05)
    # the elite words are derived from the perturbed count
    post = {r["period_id"]: r for r in _csv("elite_defectors", data)}["2012_2024h1"]
    per_year = int(post["count"]) / (int(post["duration_months"]) / 12)
    assert mod["elite_2023_vs_post_side"] == ("below" if 6 < per_year else "above")
    expected = all(political.elite_2012_2017_floor(int(post["count"]), c) / 6 > c for c in (5, 6, 7))
    assert mod["elite_early_more_robust"] is expected
    assert mod["elite_early_more_verdict"] != res["elite_early_more_verdict"]


def test_nuclear_following_years_against_the_peak(res):
    arrivals = _arrivals()
    peak = max((y for y in arrivals if res["start_year"] <= y <= res["end_year"]), key=arrivals.get)
    following = sorted({int(r["date"][:4]) + 1 for r in _csv("nuclear_tests") if r["used"] == "true"})
    following = [y for y in following if y < political.CLOSURE_YEARS[0] and y in arrivals]
    assert res["arrivals_peak_year"] == peak
    early = [y for y in following if y <= peak]
    if early:  # the false "all in the years of decline after the peak" is not what the text says
        assert str(early[0]) in res["nuclear_following_before_peak_text"]
        assert "do not all fall" in res["nuclear_following_before_peak_text"]


# --------------------------------------------------------------------------------------------
# inference that respects the series (#15)


def test_shape_model_fits_the_year_before_the_break_better(res):
    arrivals = _arrivals()
    last_pre = res["its_last_pre_year"]
    observed = arrivals[last_pre]
    assert abs(res["shape_fit_last_pre"] - observed) < abs(res["its_fit_last_pre"] - observed)
    assert res["shape_counterfactual_at_break"] < res["its_counterfactual_at_break"]
    assert res["shape_aic_better_by"] > 0
    assert abs(res["shape_rho1"]) < abs(res["its_rho1"])
    lo, est, hi = res["shape_level_change_low_pct"], res["shape_level_change_pct"], res["shape_level_change_high_pct"]
    assert lo < est < hi


def test_break_year_profile_and_grid(res):
    prof, grid = res.frames["break_profile"], res.frames["grid"]
    best = int(prof.loc[prof["aic"].idxmin(), "break_year"])
    assert res["profile_best_year"] == best
    assert set(prof.loc[prof["delta_aic"] <= political.PROFILE_CUTOFF, "break_year"]) >= {best}
    assert set(grid["break_year"]) <= set(political.GRID_BREAKS)
    assert set(grid["start"]) <= set(political.GRID_STARTS)
    assert list(grid["p_holm"]) == pytest.approx(
        __import__("nkbook.analysis.stats", fromlist=["holm"]).holm(grid["p_level"])
    )
    assert res["grid_n"] == len(grid) and res["grid_n_holm"] == int(grid["holm_below_05"].sum())
    assert res["grid_holm_verdict"] == political.survival_words(
        res["grid_n_holm"], len(grid), "the same after Holm's correction across the grid"
    )


def test_shape_model_recovers_a_planted_step():
    years = _synthetic(level_ratio=0.5, pre=0.10, post=-0.05, break_year=2010, first=1998, last=2019)
    fit = political.fit_shape(years, 2010, None)
    assert fit["level"][1] < 0.5 < fit["level"][2]
    assert abs(fit["level"][0] - 0.5) < 0.08


def test_two_share_difference_interval_is_wider_than_one_share():
    d, lo, hi = political.multinomial_difference_ci(22.6, 21.4, 196)
    assert d == pytest.approx(1.2)
    one_lo, one_hi = __import__("nkbook.analysis.stats", fromlist=["proportion_ci"]).proportion_ci(44, 196)
    assert (hi - lo) > (one_hi - one_lo)  # the shares are of the same people: the gap is less certain
    assert lo < 0 < hi


def test_elite_conclusion_is_worded_by_the_reading_of_around(res):
    post = {r["period_id"]: r for r in _csv("elite_defectors")}["2012_2024h1"]
    e23 = int({r["period_id"]: r for r in _csv("elite_defectors")}["2023"]["count"])
    holds = {c: political.elite_2012_2017_floor(int(post["count"]), c) / 6 > c for c in (e23 - 1, e23, e23 + 1)}
    assert res["elite_early_more_robust"] is all(holds.values())
    for c, v in holds.items():
        if not all(holds.values()) and not v:
            assert str(c) in res["elite_early_more_verdict"].split("but not")[1]


def test_motive_surveys_are_not_joined(res):
    nb = (DATA_DIR.parent / "notebooks" / f"{CHAPTER}.md").read_text(encoding="utf-8")
    assert "weigh more in the recent surveys than in the older" not in nb
    assert "weigh more in recent surveys" not in nb
    spec = political.motives_chart(res).chart.to_dict()
    assert spec["mark"]["type"] == "point"  # dots, never a line across surveys
