"""The synthesis chapter through compute(): the closure against the series' shape as a range of
specifications, grades read from the factor chapters, any window of ten years or more, and the
front page's glue (issues #15, #16, #19)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from conftest import ROOT, copy_data, edit_csv, has_nan, snapshot_diff

from nkbook.analysis import grades
from nkbook.build.notebooks import code_cells
from nkbook.chapters import synthesis
from nkbook.data import DATA_DIR, load, used

CHAPTER = "synthesis"
NOTEBOOK = ROOT / "notebooks" / "synthesis.md"
INTRO = ROOT / "book" / "intro.md"
WINDOWS = [(1998, 2015), (2005, 2016), (2012, None), (1998, 2019)]
# Key families of the old layout that this chapter retired on purpose (#15): the model with lagged GDP
# (main_*, drop_*, loo_*), the extended model on a part-year missile count (ext_*), the flat
# counterfactual (cf_first/last_year, cf_observed_total, cf_predicted_*, cf_share_observed_pct), the
# typed grades (strength_*) and the copied evidence values (score_<chapter>__<key>).
RETIRED = re.compile(
    r"^synthesis\.(main_|ext_|drop_|loo_|strength_|score_\w+__|cf_(first|last)_year|cf_observed_total|"
    r"cf_predicted_|cf_share_observed_pct|worst_residual)"
)


def snapshot() -> dict:
    return json.loads((ROOT / "results" / "published.json").read_text(encoding="utf-8"))["results"]


def upstream_from_snapshot() -> dict[str, dict]:
    """The upstream chapters' published results, chapter -> {key: value} (every key they publish)."""
    pub = snapshot()
    return {c: {k.split(".", 1)[1]: v for k, v in pub.items() if k.startswith(c + ".")} for c in synthesis.UPSTREAM}


GRADED = {
    "mobility": {
        "grade_border_origin": "strong",
        "grade_border_origin_why": "robust in 5 of 6 specifications",
        "grade_border_origin_n_specs": 6,
        "grade_border_origin_n_robust": 5,
    },
    "diplomacy": {"grade_repatriation_events": "not detectable", "grade_repatriation_events_why": "robust in none"},
    "economic_push": {"grade_output": "not identifiable", "grade_output_why": "the specifications disagree"},
    "political_push": {"grade_succession": "suggestive", "grade_succession_why": "robust in 2 of 12"},
    "claims": {"n_hold": 3, "n_checkable": 4},
}


@pytest.fixture(scope="module")
def computed():
    return synthesis.compute(DATA_DIR, upstream=upstream_from_snapshot())


@pytest.fixture(scope="module")
def windows():
    return {w: synthesis.compute(DATA_DIR, start_year=w[0], end_year=w[1], upstream=GRADED) for w in WINDOWS}


def glue_keys(text: str, doc: str | None = None) -> set[str]:
    """The keys of every {glue:text} role (of ``doc``'s cross-document glue when given)."""
    keys = set()
    for target in re.findall(r"\{glue:text\}`([^`]+)`", text):
        if "::" in target:
            path, target = target.split("::", 1)
            if doc is None or not path.endswith(doc):
                continue
        elif doc is not None:
            continue
        keys.add(target.split(":", 1)[0])
    return keys


# ---- the snapshot and the notebook


def test_compute_matches_published_snapshot(computed):
    assert snapshot_diff(CHAPTER, computed) == []


def test_notebook_is_thin_and_glues_only_computed_keys(computed, windows):
    for line, _tags, source in code_cells(NOTEBOOK):
        assert not re.search(r"^\s*(def|class)\s", source, re.M), line
        assert len(source.splitlines()) <= 15, line
    keys = glue_keys(NOTEBOOK.read_text(encoding="utf-8"))
    for r in [computed, *windows.values()]:
        missing = keys - set(r) - {"key_findings_md"}
        assert missing == set(), (r["start_year"], r["end_year"], missing)


# ---- #15: trends, the break scan, the counterfactual range, no post-treatment control


def test_models_have_no_post_treatment_control_and_readable_terms(computed):
    terms = set(computed.frames["coef"]["term"])
    assert terms <= set(synthesis.TERMS)
    assert not any("gdp" in t or "growth" in t for t in terms)
    assert computed.frames["coef"]["label"].notna().all()
    table = synthesis.coefficient_table_view(computed)._repr_html_()
    for label in computed.frames["coef"]["label"]:
        assert label in table
    assert "95% interval (HAC)" in table and "–" in table


def test_first_quarter_of_the_closure_year_is_read_from_the_data(computed):
    q = used(load("arrivals_quarterly", DATA_DIR))
    first = int(q[(q["year"] == synthesis.CLOSURE[0]) & (q["quarter"] == 1)]["total"].iloc[0])
    year = synthesis.frame(DATA_DIR)
    total = int(year.loc[year["year"] == synthesis.CLOSURE[0], "total"].iloc[0])
    assert computed["q1_first_closure_year"] == first
    assert computed["total_first_closure_year"] == total
    rows = synthesis.rows(year, "q2", 2012, first)
    split = rows[rows["year"] == synthesis.CLOSURE[0]]
    assert list(split["total"]) == [first, total - first]
    assert list(split["closure"]) == [0, 1]
    assert math.isclose(float(split["exposure"].sum()), 1.0)


def test_the_scan_is_shown_and_the_best_break_enters_the_grid(computed):
    scan = computed.frames["scan"]
    best = int(scan.loc[scan["aic"].idxmin(), "break_year"])
    assert computed["scan_best_year"] == best
    breaks = {s["break_year"] for s in computed.extra["specs"]}
    assert best in breaks and synthesis.REGIME_FROM in breaks
    assert str(best) in computed["scan_sentence"]
    assert synthesis.scan_chart(computed) is not None


def test_counterfactual_is_a_range_with_prediction_intervals(computed):
    specs = computed.extra["specs"]
    assert computed["cf_n_specs"] == len(specs) >= 4
    assert {s["family"] for s in specs} == {synthesis.WITHOUT, synthesis.WITH}
    assert {s["dating"] for s in specs} == {"years", "q2"}
    for s in specs:
        assert s["low"] <= s["expected"] <= s["high"]
        assert s["nb_low"] <= s["expected"] <= s["nb_high"]
        assert "not counted in the closure's shortfall" in s["reopening"]
        assert s["_closed"]["closure"].eq(1).all()
    shares = [s["share_pct"] for s in specs]
    assert computed["cf_share_min_pct"] == round(min(shares), 1)
    assert computed["cf_share_max_pct"] == round(max(shares), 1)
    table = computed.frames["specs"]
    assert len(table) == len(specs) and "Reopening years" in table.columns


def test_closure_graded_once_by_the_rule(computed):
    specs = computed.extra["specs"]
    robust = [s["observed"] < s["low"] for s in specs]
    expected = grades.grade([math.log(s["share_pct"] / 100) for s in specs], robust, log_scale=True)
    assert computed["grade_closure"] == expected["grade"]
    assert computed["grade_closure_n_robust"] == sum(robust)
    assert computed["grade_closure_n_specs"] == len(specs)
    card = computed.frames["scorecard"]
    assert (card["piece"] == "closure").sum() == 1  # graded once, in one row
    assert computed["grade_rule"] == grades.RULE
    # the closure row compares the closure years with their projection, naming them (the old row said
    # "in 2020" of a ratio of 2021–22 to 2018–19)
    row = card[card["piece"] == "closure"].iloc[0]
    years = synthesis.frame(DATA_DIR)
    closed = years[years["year"].between(*synthesis.CLOSURE)]
    whole = next(s for s in specs if s["dating"] == "years")
    assert whole["observed"] == int(closed["total"].sum())
    assert f"{synthesis.CLOSURE[0]} to {synthesis.CLOSURE[1]}" in row["evidence"]
    assert f"{computed['cf_share_min_pct']:.1f}–{computed['cf_share_max_pct']:.1f}%" in row["evidence"]


def test_every_model_reports_its_residual_autocorrelation(computed):
    from nkbook.analysis import stats

    rhos = [computed["without_rho1"], computed["with_rho1"]] + [s["rho1"] for s in computed.extra["specs"]]
    assert all(-1 <= x <= 1 for x in rhos)
    assert computed["rho1_max"] == round(max(rhos), 2)
    assert f"{max(rhos):.2f}" in computed["autocorr_sentence"]
    k = len(computed.extra["specs"][0]["_closed"])
    assert computed["cf_sum_variance_factor"] == round(synthesis.sum_variance_factor(max(rhos[2:]), k), 2)
    assert synthesis.sum_variance_factor(0.0, 3) == 1.0
    assert stats.lag1_autocorrelation(computed.frames["residuals"]["pearson_residual"]) == pytest.approx(
        computed["with_rho1"], abs=0.02
    )


def test_extended_model_is_cut_with_its_counts_from_the_data(computed):
    m = used(load("missile_tests", DATA_DIR))
    m = m[m["measure"] == "missiles"]
    full = set(m.loc[~m["partial_year"].astype(bool), "year"].astype(int))
    part = set(m.loc[m["partial_year"].astype(bool), "year"].astype(int))
    t = used(load("china_trade", DATA_DIR))
    trade = set(t.loc[t["total_usd_bn"].notna(), "year"].astype(int))
    years = set(synthesis.frame(DATA_DIR)["year"])
    assert computed["ext_n_points"] == len(years & full & trade)
    assert not any(k.startswith("ext_") and k.endswith("_rr") for k in computed)
    for y in part:
        assert str(y) in computed["extended_sentence"] and "part of the year" in computed["extended_sentence"]


# ---- #15 item 5: the scorecard reads grades, never types them


def test_scorecard_reads_grades_and_says_when_a_chapter_gave_none(windows):
    r = windows[(2012, None)]
    card = {row["piece"]: row for row in r.frames["scorecard"].to_dict("records")}
    assert card["border_origin"]["grade"] == "strong"
    assert card["border_origin"]["evidence"].count("5 of 6") == 1  # the counts once, not repeated
    assert card["output"]["grade"] == "not identifiable"
    assert card["provocations"]["grade"] == ""  # political_push gave no grade_provocations
    assert "gave no grid" in card["provocations"]["evidence"]
    assert r["score_provocations"] == "not graded"
    for row in card.values():
        assert synthesis.RIVALS[row["piece"]] in row["suggests"]
    assert r["claims_n_hold"] == 3


def test_conclusion_names_each_piece_once_and_pastes_no_table_cells(computed, windows):
    for r in [computed, *windows.values()]:
        card = r.frames["scorecard"].to_dict("records")
        sentence = r["conclusion_sentence"]
        for row in card:
            assert sentence.count(row["what"]) == 1, row["what"]
            assert row["evidence"] not in sentence
        groups: dict[str, list[str]] = {}
        for row in card:
            groups.setdefault(row["grade"] or "not graded in this build", []).append(row["what"])
        for grade, items in groups.items():
            assert f"{grade} on {items[0]}" in sentence
        # the old bug: table cells ("... for output; strong for the closure paradox and ...")
        assert " for output" not in sentence and "paradox" not in sentence
        assert sentence.count(";") == len(groups) - 1


# ---- #16: any window, computed words, the prose-flip


def test_any_window_of_ten_years_builds_and_says_what_it_left_out(windows):
    for (start, end), r in windows.items():
        assert r["start_year"] == start
        for build in (synthesis.rate_ratio_chart, synthesis.residual_chart, synthesis.scan_chart):
            fig = build(r)
            assert fig is None or not has_nan(fig.spec()), (start, end, build.__name__)
        if end is not None and end < synthesis.CLOSURE[0]:
            assert r["cf_n_specs"] == 0 and "grade_closure" not in r
            assert "the closure term" in r["terms_sentence"]
            assert synthesis.counterfactual_chart(r) is None
            assert r["score_closure"] == "not graded"
    assert "the 2012 break" in windows[(2012, None)]["terms_sentence"]
    assert "0 open years before 2012" in windows[(2012, None)]["terms_sentence"]
    with pytest.raises(ValueError, match="at least 10 years"):
        synthesis.compute(DATA_DIR, start_year=2010, end_year=2015, upstream=GRADED)


def test_chart_specs_have_no_nan_and_the_rate_ratio_chart_has_a_legend(computed):
    for build in (synthesis.rate_ratio_chart, synthesis.residual_chart, synthesis.counterfactual_chart):
        assert not has_nan(build(computed).spec()), build.__name__
    spec = json.dumps(synthesis.rate_ratio_chart(computed).spec())
    assert '"Without trends"' in spec and '"With trends"' in spec and '"legend"' in spec


@pytest.fixture(scope="module")
def flipped(tmp_path_factory):
    """Closure years raised above any projection: 2021 and 2022 at 3,000 arrivals each."""
    data = copy_data(tmp_path_factory.mktemp("flip") / "data")
    for year in ("2021", "2022"):
        edit_csv(
            data / "arrivals_yearly.csv",
            {"period": year, "variant": "final"},
            {"male": "600", "female": "2400", "total": "3000"},
        )
    return data, synthesis.compute(data, upstream=GRADED)


def test_prose_flips_with_the_data(computed, flipped):
    data, r = flipped
    years = synthesis.frame(data)
    peak, low = years.loc[years["total"].idxmax()], years.loc[years["total"].idxmin()]
    if int(low["year"]) > int(peak["year"]):
        assert f"fell to {int(low['total']):,} in {int(low['year'])}" in r["front_show"]
    else:
        assert f"rose from {int(low['total']):,} in {int(low['year'])}" in r["front_show"]
    specs = r.extra["specs"]
    n_robust = sum(s["observed"] < s["low"] for s in specs)
    assert f"below the prediction interval in {n_robust} of the {len(specs)}" in r["cf_sentence"]
    assert n_robust < computed["cf_n_robust"]
    assert r["grade_closure"] != computed["grade_closure"]
    assert r["grade_closure"] in r["closure_grade_sentence"]


# ---- the front page (#16, #19)


def test_front_page_glues_every_number_from_computed_keys(computed):
    text = INTRO.read_text(encoding="utf-8")
    assert "while the economy shrank" not in text
    assert "key_findings_html" in text and "../notebooks/synthesis.ipynb" in text
    finding = text[text.index("**What the book finds") : text.index("```{glue} fig_arrivals")]
    prose = re.sub(r"\{glue:text\}`[^`]+`", "", finding)
    assert not re.search(r"\d", prose), "a number typed in the front page's finding"
    keys = glue_keys(text, "synthesis.ipynb")
    for target in re.findall(r"\{glue:text\}`([^`]+::[^`]+)`", text):
        # myst-nb splits the format off at the last colon: a cross-document role needs one (":s")
        assert re.search(r"::\w+:[^:]+$", target), target
    assert {"front_show", "front_rank"} <= keys
    assert keys - set(computed) == set()
    assert "attempts" in computed["front_rank"] and "neither" in computed["front_rank"]
    html = synthesis.findings_html(computed)
    assert html.count("<li>") == len(computed["key_findings"]) and 3 <= len(computed["key_findings"]) <= 5


def test_findings_are_built_from_the_results(computed):
    assert computed["key_findings"][0] == computed["front_show"]
    assert computed["conclusion_sentence"] in computed["key_findings"]
    assert np.isfinite(computed["cf_share_min_pct"])
