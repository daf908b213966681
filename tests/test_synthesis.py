"""Issue 9: the synthesis chapter: one model, a counterfactual, a scorecard read from the chapters."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, has_nan

from nkbook.build import published
from nkbook.chapters import synthesis
from nkbook.data import DATA_DIR

CHAPTER = "synthesis"


def snapshot() -> dict:
    return json.loads((ROOT / "results" / "published.json").read_text(encoding="utf-8"))["results"]


def upstream_from_snapshot() -> dict[str, dict]:
    """The upstream chapters' published results, chapter -> {key: value}, for the keys the module reads."""
    pub = snapshot()
    return {chapter: {key: pub[f"{chapter}.{key}"] for key in keys} for chapter, keys in synthesis.UPSTREAM.items()}


@pytest.fixture(scope="module")
def computed():
    return synthesis.compute(DATA_DIR, upstream=upstream_from_snapshot())


@pytest.fixture(scope="module")
def computed_2024():
    return synthesis.compute(DATA_DIR, end_year=2024, upstream=upstream_from_snapshot())


def test_compute_matches_published_snapshot(computed):
    pub = {k: v for k, v in snapshot().items() if k.startswith(CHAPTER + ".")}
    assert published.diff(pub, {f"{CHAPTER}.{k}": v for k, v in computed.items()}) == []


def test_scorecard_values_equal_the_upstream_results(computed):
    up = upstream_from_snapshot()
    checked = 0
    for chapter, keys in synthesis.SCORECARD_KEYS.items():
        for key in keys:
            assert computed[f"score_{chapter}__{key}"] == up[chapter][key], (chapter, key)
            checked += 1
    assert checked >= 20
    assert computed["claims_n_hold"] == up["claims"]["n_hold"]
    assert computed["claims_n_checkable"] == up["claims"]["n_checkable"]


def test_every_upstream_key_exists_in_the_snapshot():
    pub = snapshot()
    missing = [f"{c}.{k}" for c, keys in synthesis.UPSTREAM.items() for k in keys if f"{c}.{k}" not in pub]
    assert missing == []


def test_the_model_runs_on_two_windows_and_follows_the_data(computed, computed_2024):
    main, mod = computed, computed_2024
    for r in (main, mod):
        assert r["main_closure_low"] < r["main_closure_rr"] < r["main_closure_high"]
        assert r["cf_predicted_low"] <= r["cf_predicted_total"] <= r["cf_predicted_high"]
    assert mod["end_year"] == 2024 and main["end_year"] > mod["end_year"]
    assert mod["cf_observed_total"] != main["cf_observed_total"]
    frame = synthesis.frame(DATA_DIR, 1998, 2024)
    observed = int(frame.loc[frame["year"] >= 2020, "total"].sum())
    assert mod["cf_observed_total"] == observed


def test_chart_specs_have_no_nan(computed):
    for build in (synthesis.rate_ratio_chart, synthesis.residual_chart, synthesis.counterfactual_chart):
        assert not has_nan(build(computed).spec()), build.__name__


def test_strength_grades():
    assert synthesis.strength(True, True) == "strong"
    assert synthesis.strength(True, False) == "suggestive"
    assert synthesis.strength(False) == "not detectable"


def test_scorecard_reads_only_what_it_is_given():
    res = {
        "mobility": {
            "female_share_cumulative": 70.0,
            "border_low_cumulative_min": 80.0,
            "pre_closure_share": 81.0,
            "share_closure": 50.0,
        },
        "diplomacy": {
            "closure_ratio": 0.5,
            "closure_low": 0.4,
            "closure_high": 1.2,
            "closure_year": 2020,
            "window_perm_p": 0.01,
            "event_window": 2,
        },
        "economic_push": {
            "gdp_slope_pct": 5.0,
            "gdp_slope_pct_low": 1.0,
            "gdp_slope_pct_high": 9.0,
            "twin_ratio": 3.0,
            "twin_ratio_low": 2.0,
            "twin_ratio_high": 4.0,
            "twin_growth_year": 2018,
            "lag_years": 1,
        },
        "political_push": {
            "its_level_change_pct": -10.0,
            "its_level_change_low_pct": -20.0,
            "its_level_change_high_pct": 5.0,
            "scan_n_drop": 1,
            "scan_n_placebo": 10,
            "break_year": 2012,
            "corr_missiles_r": 0.5,
            "corr_missiles_low": 0.1,
            "corr_missiles_high": 0.8,
        },
    }
    card = {row["chapter"]: row for row in synthesis.scorecard(res)}
    assert card["diplomacy"]["strength"].startswith("not detectable for the closure; strong for other events")
    assert card["economic_push"]["strength"].startswith("strong for output")
    assert card["political_push"]["strength"] == "not detectable for the succession; strong for provocations"
    assert "70.0%" in card["mobility"]["evidence"]
    values = synthesis.scorecard_values(res)
    assert values["score_economic_push__gdp_slope_pct"] == 5.0


def test_counterfactual_switches_the_closure_off():
    df = synthesis.frame()
    result, data = synthesis.fit(df, ["post_succession", "closure", "reopening", "gdp_growth_lag"])
    cf = synthesis.counterfactual(result, data, [2020, 2021])
    assert list(cf["year"]) == [2020, 2021]
    assert (cf["predicted"] > cf["observed"]).all()
    assert ((cf["low"] <= cf["predicted"]) & (cf["predicted"] <= cf["high"])).all()
    fitted = result.predict(data[data["year"].isin([2020, 2021])])
    assert (cf["predicted"].to_numpy() > fitted.to_numpy()).all()
