"""The mobility chapter: its module on tiny frames, and compute() on the real and modified data (no book build)."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest
import yaml
from conftest import (
    MODIFIED_2023,
    MODIFIED_END_YEAR,
    ROOT,
    _shift_cumulative,
    _shift_last_quarter,
    copy_data,
    edit_csv,
    has_nan,
)

from nkbook.build import published
from nkbook.build.notebooks import code_cells
from nkbook.chapters import mobility
from nkbook.data import DATA_DIR, load

CHAPTER = "mobility"


def default_border_provinces() -> list[str]:
    """The chapter's default from chapters.yml (read directly: other notebooks may not exist yet)."""
    spec = yaml.safe_load((ROOT / "chapters.yml").read_text(encoding="utf-8"))
    return list(next(c for c in spec["chapters"] if c["name"] == CHAPTER)["parameters"]["border_provinces"])


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def snapshot(rows: list[dict], sid="s1", population="cumulative", ref_end=None, base=None) -> pd.DataFrame:
    """A tiny origin_province-like frame for one snapshot."""
    out = []
    for r in rows:
        out.append(
            {
                "snapshot_id": r.get("sid", sid),
                "population": population,
                "ref_label": "test",
                "ref_end": pd.Timestamp(ref_end) if ref_end else None,
                "province": r["province"],
                "level": r.get("level", "province"),
                "count": r.get("count"),
                "share_pct": r.get("share"),
                "share_qualifier": r.get("q"),
                "base_count": base,
            }
        )
    f = pd.DataFrame(out)
    f["count"] = f["count"].astype("Float64")
    f["share_pct"] = f["share_pct"].astype("float64")
    f["base_count"] = f["base_count"].astype("Float64")
    return f


# --------------------------------------------------------------------------------------------
# module: province labels


@pytest.mark.parametrize(
    "label, expected",
    [
        ("North Hamgyong", {"North Hamgyong"}),
        ("Ryanggang + Jagang", {"Ryanggang", "Jagang"}),
        ("Hamgyong (North + South)", {"North Hamgyong", "South Hamgyong"}),
        ("Pyongan (North + South, as published)", {"North Pyongan", "South Pyongan"}),
        ("Ryanggang + Hamgyong (North + South)", {"Ryanggang", "North Hamgyong", "South Hamgyong"}),
        (
            "Border area as published (North Hamgyong + Ryanggang + South Hamgyong)",
            {"North Hamgyong", "Ryanggang", "South Hamgyong"},
        ),
    ],
)
def test_constituents_parses_groups(label, expected):
    assert mobility.constituents(label) == frozenset(expected)


def test_constituents_other_is_not_itemised():
    assert mobility.constituents("Other") is None
    assert mobility.classify("Other", ["North Hamgyong"]) == "unknown"


def test_default_border_provinces_match_the_csv_labels_and_classification():
    """The chapters.yml default uses the CSV's own labels and reproduces its border_province column."""
    provinces = default_border_provinces()
    frame = load("origin_province")
    assert mobility.check_provinces(provinces, frame) == provinces
    expected = {"yes": "in", "no": "out", "mixed": "mixed", "unknown": "unknown"}
    for _, row in frame.iterrows():
        assert mobility.classify(row["province"], provinces) == expected[row["border_province"]], row["province"]


def test_unknown_province_label_is_refused_with_the_known_labels():
    with pytest.raises(ValueError, match="Yanggang.*not found.*Ryanggang"):
        mobility.check_provinces(["Yanggang"], load("origin_province"))


# --------------------------------------------------------------------------------------------
# module: shares within one snapshot


def test_composition_never_adds_an_aggregate_to_its_parts():
    rows = snapshot(
        [
            {"province": "A", "count": 50},
            {"province": "A + B", "count": 70, "level": "aggregate"},
            {"province": "C", "count": 10},
            {"province": "B + C", "count": 25, "level": "aggregate"},
        ],
        base=100,
    )
    comp = mobility.composition(rows, ["A", "B"], 100.0)
    assert comp["known_in"] == pytest.approx(70.0)  # A + B once, not 50 + 70
    assert comp["known_out"] == pytest.approx(10.0)  # C; B + C overlaps B and is skipped
    assert comp["not_itemised"] == pytest.approx(20.0)
    assert (comp["lower"], comp["upper"]) == (pytest.approx(70.0), pytest.approx(90.0))


def test_composition_mixed_group_gives_no_lower_bound():
    rows = snapshot(
        [{"province": "Ryanggang + Hamgyong (North + South)", "share": 70.0}, {"province": "Pyongyang", "count": 25}],
        base=196,
    )
    comp = mobility.composition(rows, ["North Hamgyong", "Ryanggang"], 196.0)
    assert comp["known_in"] == 0
    assert comp["mixed"] == pytest.approx(70.0)
    assert comp["upper"] == pytest.approx(100 - 100 * 25 / 196)


def test_shares_are_computed_within_one_population_only():
    two = pd.concat(
        [
            snapshot([{"province": "A", "count": 5}], sid="cohort_x", population="cohort"),
            snapshot([{"province": "A", "count": 500}], sid="cum_y"),
        ]
    )
    with pytest.raises(ValueError, match="one population at a time"):
        mobility.composition(two, ["A"], 100.0)
    with pytest.raises(ValueError, match="one population at a time"):
        mobility.snapshot_base(two)


def test_snapshot_base_order_of_preference():
    published = snapshot([{"province": "A", "count": 5}], base=50)
    assert mobility.snapshot_base(published) == (50.0, "published")
    year_end = snapshot([{"province": "A", "count": 5}], ref_end="2016-12-31")
    assert mobility.snapshot_base(year_end, {2016: 200})[0] == 200.0
    itemised = snapshot(
        [{"province": "A", "count": 5}, {"province": "Other", "count": 15}], population="cohort", ref_end="2003-08-31"
    )
    assert mobility.snapshot_base(itemised, {2003: 999}) == (20.0, "sum of the itemised counts")
    partial = snapshot([{"province": "A", "count": 5}], population="cohort")
    assert mobility.snapshot_base(partial)[0] is None


def test_a_changed_cumulative_snapshot_moves_only_its_own_share(tmp_path):
    data = copy_data(tmp_path / "data")
    before = mobility.snapshot_table(data, default_border_provinces()).set_index("snapshot_id")
    edit_csv(
        data / "origin_province.csv", {"snapshot_id": "cumulative_2018_08", "province": "Ryanggang"}, {"count": "2061"}
    )
    after = mobility.snapshot_table(data, default_border_provinces()).set_index("snapshot_id")
    changed = [sid for sid in before.index if abs(before.at[sid, "lower"] - after.at[sid, "lower"]) > 1e-9]
    assert changed == ["cumulative_2018_08"]
    assert after.at["cumulative_2018_08", "lower"] == pytest.approx(100 * (19145 + 2061) / 32042)


# --------------------------------------------------------------------------------------------
# module: shares by sex and small helpers


def test_within_sex_shares_and_female_share_of_category():
    f = pd.DataFrame(
        {
            "snapshot_id": "s",
            "age_group": ["a", "a", "b", "b", "total"],
            "sex": ["female", "male", "female", "male", "total"],
            "count": [30, 10, 70, 40, 150],
        }
    )
    out = mobility.within_sex(f, "age_group").set_index(["age_group", "sex"])
    assert out.at[("a", "female"), "share_within_sex_pct"] == pytest.approx(30.0)
    assert out.at[("a", "male"), "share_within_sex_pct"] == pytest.approx(20.0)
    assert out.at[("b", "male"), "female_pct_of_category"] == pytest.approx(100 * 70 / 110)


def test_seven_in_ten_and_first_year_from():
    s = pd.Series([60.0, 66.0, 71.0, 64.0, 72.0, 74.9, 75.0], index=range(2000, 2007))
    assert mobility.seven_in_ten(s) == [2001, 2002, 2004, 2005]
    assert mobility.first_year_from(s, 65) == 2004
    assert mobility.first_year_from(s, 80) is None
    assert mobility.year_ranges([2004, 2005, 2006, 2011, 2012, 2020]) == "2004–2006, 2011–2012 and 2020"
    assert mobility.join_words(["a", "b", "c"]) == "a, b and c"


def test_share_table_cumulative_counts_from_the_start_of_the_records():
    t = mobility.share_table(DATA_DIR, 2010, 2012).set_index("year")
    assert list(t.index) == [2010, 2011, 2012]
    rows = [
        r
        for r in read_csv(DATA_DIR / "arrivals_yearly.csv")
        if r["used"] == "true" and not r["part_of"] and int(r["last_year"]) <= 2012
    ]
    women, total = sum(int(r["female"]) for r in rows), sum(int(r["total"]) for r in rows)
    assert t.at[2012, "share_cum"] == pytest.approx(100 * women / total)


# --------------------------------------------------------------------------------------------
# the chapter on the real data


def expected_shares(data_dir, end_year=None) -> dict:
    """Yearly and cumulative female shares straight from the CSV (not through the package)."""
    rows = [r for r in read_csv(data_dir / "arrivals_yearly.csv") if r["used"] == "true" and not r["part_of"]]
    rows.sort(key=lambda r: int(r["last_year"]))
    if end_year:
        rows = [r for r in rows if int(r["last_year"]) <= end_year]
    women = total = 0
    cum, year = {}, {}
    for r in rows:
        women += int(r["female"])
        total += int(r["total"])
        cum[int(r["last_year"])] = 100 * women / total
        if r["granularity"] == "year":
            year[int(r["last_year"])] = 100 * int(r["female"]) / int(r["total"])
    return {"cum": cum, "year": year}


@pytest.fixture(scope="module")
def res():
    """compute() on the real data with the chapters.yml defaults."""
    return mobility.compute(DATA_DIR, start_year=1998, end_year=None, border_provinces=default_border_provinces())


# Keys whose snapshot value predates the data commit 911e164 (variants added to arrivals_yearly.csv on
# 2026-12-01, after results/published.json was written on 2026-11-22): the notebook before the
# re-layout computes the same new values. They are checked against the data below instead.
# the revision counts were re-published on purpose after new ministry variant rows (CHANGELOG)
STALE_IN_SNAPSHOT: set[str] = set()


def test_compute_reproduces_every_published_value(res):
    snapshot = json.loads((ROOT / "results" / "published.json").read_text(encoding="utf-8"))["results"]
    pub = {k: v for k, v in snapshot.items() if k.startswith(f"{CHAPTER}.") and k not in STALE_IN_SNAPSHOT}
    cur = {f"{CHAPTER}.{k}": v for k, v in res.items() if f"{CHAPTER}.{k}" not in STALE_IN_SNAPSHOT}
    assert len(pub) > 100
    assert published.diff(pub, {k: v for k, v in cur.items() if k in pub}) == []
    # every computed value is published (a new key needs `make update-results`, on purpose)
    assert {k for k in cur if k not in snapshot} == set()


def test_revision_values_come_from_the_variant_rows(res):
    rows = read_csv(DATA_DIR / "arrivals_yearly.csv")
    used_rows = {r["period"]: r for r in rows if r["used"] == "true" and r["female"] and r["male"]}
    diffs = []
    for r in rows:
        if r["used"] != "true" and r["female"] and r["male"] and r["period"] in used_rows:
            u = used_rows[r["period"]]
            v = 100 * int(r["female"]) / (int(r["female"]) + int(r["male"]))
            diffs.append(abs(v - 100 * int(u["female"]) / int(u["total"])))
    assert res["revision_n"] == len(diffs)
    assert res["revision_max_points"] == pytest.approx(max(diffs), abs=0.05)


def test_notebook_is_prose_and_short_calls():
    cells = code_cells(ROOT / "notebooks" / f"{CHAPTER}.md")
    assert len(cells) >= 5
    for line, _tags, source in cells:
        assert not re.search(r"^\s*(def|class)\s", source, re.MULTILINE), f"def/class in the cell at line {line}"
        assert len(source.strip().splitlines()) <= 15, f"cell at line {line} is over 15 lines"
        assert "alt." not in source and "altair" not in source, f"inline Altair in the cell at line {line}"


def test_every_chart_builder_returns_a_figure_without_nan(res):
    from nkbook.present import charts

    names = set()
    for build in mobility.CHARTS:
        fig = build(res)
        assert isinstance(fig, charts.Figure), build.__name__
        spec = fig.spec()
        assert not has_nan(spec), build.__name__
        assert "NaN" not in json.dumps(spec), build.__name__
        assert fig.source and fig.description
        names.add(fig.name)
    assert len(names) == len(mobility.CHARTS) == 6
    for build in mobility.TABLES:
        tab = build(res)
        assert isinstance(tab, charts.Table) and len(tab.frame) > 0
        assert "<table" in tab._repr_html_()


def test_chapter_glues_the_gender_results_computed_from_the_data(res):

    exp = expected_shares(DATA_DIR)
    last = max(exp["cum"])
    assert res["cumulative_year"] == last
    assert res["female_share_cumulative"] == pytest.approx(exp["cum"][last], abs=0.05)
    first_band = next(y for y in sorted(exp["cum"]) if all(65 <= exp["cum"][z] < 75 for z in exp["cum"] if z >= y))
    assert res["seven_in_ten_cumulative_from"] == first_band
    majority = min(y for y, s in exp["year"].items() if s > 50)
    assert res["first_majority_year"] == majority
    reversal = [y for y, s in exp["year"].items() if y >= majority and s <= 50]
    assert res["n_reversal_years"] == len(reversal)
    top = max(exp["year"], key=exp["year"].get)
    assert (res["top_share_year"], res["top_share_pct"]) == (top, pytest.approx(exp["year"][top], abs=0.05))
    assert res["seven_in_ten_yearly_n"] == sum(65 <= s < 75 for s in exp["year"].values())


def test_chapter_border_shares_come_from_one_snapshot_each(res):
    rows = [r for r in read_csv(DATA_DIR / "origin_province.csv") if r["snapshot_id"] == "cumulative_2018_08"]
    border = set(default_border_provinces())
    known = sum(int(r["count"]) for r in rows if r["province"] in border)
    base = int(rows[0]["base_count"])
    assert res["border_low_cumulative_2018_08"] == pytest.approx(100 * known / base, abs=0.05)
    elsewhere = sum(int(r["count"]) for r in rows if r["level"] == "province" and r["province"] not in border)
    assert res["border_high_cumulative_2018_08"] == pytest.approx(100 - 100 * elsewhere / base, abs=0.05)


def test_chapter_says_which_population_the_essays_70_percent_describes(res):
    rows = read_csv(DATA_DIR / "origin_province.csv")
    group = frozenset(mobility.ESSAY_GROUP)
    near_70 = [
        r
        for r in rows
        if mobility.constituents(r["province"]) == group and r["share_pct"] and abs(float(r["share_pct"]) - 70) <= 2.5
    ]
    assert len(near_70) == 1
    assert res["essay_70_population"] == near_70[0]["ref_label"]
    assert res["essay_70_population_kind"] == near_70[0]["population"] == "cohort"
    assert res["essay_70_holds_for_all_defectors"] is False
    assert res["essay_group_cumulative_consistent_n"] == 0


# --------------------------------------------------------------------------------------------
# the chapter on other data and other parameters


def modified_data(target):
    """The modified folder of conftest's modified_book: 2023 changed, checkpoints kept consistent."""
    data = copy_data(target)
    edit_csv(data / "arrivals_yearly.csv", {"period": "2023", "variant": "final"}, MODIFIED_2023)
    _shift_cumulative(data / "arrivals_cumulative.csv", 2023, MODIFIED_2023)
    _shift_last_quarter(data / "arrivals_quarterly.csv", 2023, MODIFIED_2023)
    return data


def test_modified_data_changes_the_glued_shares(res, tmp_path):
    data = modified_data(tmp_path / "data")
    before = res
    after = mobility.compute(data, end_year=MODIFIED_END_YEAR, border_provinces=default_border_provinces())
    exp = expected_shares(data, MODIFIED_END_YEAR)
    assert after["end_year"] == MODIFIED_END_YEAR
    assert after["cumulative_year"] == MODIFIED_END_YEAR
    assert after["female_share_cumulative"] == pytest.approx(exp["cum"][MODIFIED_END_YEAR], abs=0.05)
    assert after["female_share_cumulative"] != before["female_share_cumulative"]
    post = [s for y, s in exp["year"].items() if y > 2022]
    assert after["share_post_closure"] != before["share_post_closure"]
    assert after["post_closure_min_pct"] == pytest.approx(min(post), abs=0.05)


def test_border_provinces_parameter_changes_the_border_share():
    res = mobility.compute(DATA_DIR, border_provinces=["North Hamgyong"])
    rows = [r for r in read_csv(DATA_DIR / "origin_province.csv") if r["snapshot_id"] == "cumulative_2018_08"]
    nh = next(r for r in rows if r["province"] == "North Hamgyong")
    assert res["border_low_cumulative_2018_08"] == pytest.approx(
        100 * int(nh["count"]) / int(nh["base_count"]), abs=0.05
    )
    assert res["border_provinces_text"] == "North Hamgyong"


def test_chapter_on_changed_origin_and_arrival_data(tmp_path):
    """A changed province count and a changed year move the glued shares, and the essay verdict follows."""
    data = copy_data(tmp_path / "data")
    edit_csv(data / "arrivals_yearly.csv", {"period": "2025", "variant": "revised"}, {"male": "45", "female": "178"})
    edit_csv(
        data / "arrivals_cumulative.csv",
        {"as_of": "2025-12-31", "variant": "revised"},
        {"male": "9613", "female": "24924"},
    )
    edit_csv(
        data / "origin_province.csv",
        {"snapshot_id": "cumulative_2016", "province": "North Hamgyong + Ryanggang"},
        {"count": "21138"},
    )
    res = mobility.compute(data, border_provinces=default_border_provinces())
    exp = expected_shares(data)
    assert res["female_share_cumulative"] == pytest.approx(exp["cum"][max(exp["cum"])], abs=0.05)
    assert res["female_share_latest"] == pytest.approx(exp["year"][max(exp["year"])], abs=0.05)
    rows = {r["province"]: r for r in read_csv(data / "origin_province.csv") if r["snapshot_id"] == "cumulative_2016"}
    # the 2016 snapshot has no published base: everyone arrived by the end of 2016, from the yearly series
    yearly = [
        r
        for r in read_csv(data / "arrivals_yearly.csv")
        if r["used"] == "true" and not r["part_of"] and int(r["last_year"]) <= 2016
    ]
    base = sum(int(r["total"]) for r in yearly)
    known = int(rows["North Hamgyong + Ryanggang"]["count"]) + int(rows["Jagang + North Pyongan"]["count"])
    assert res["border_low_cumulative_2016"] == pytest.approx(100 * known / base, abs=0.05)
    # North Hamgyong + Ryanggang is now about 70% of everyone arrived by 2016: the essay's figure is no longer ruled out
    assert res["essay_70_holds_for_all_defectors"] is True
    assert res["essay_group_cumulative_consistent_n"] >= 1


def test_majority_sentence_does_not_call_a_majority_closure_year_an_exception(res):
    exp = expected_shares(DATA_DIR)["year"]
    first = min(y for y, s in exp.items() if s > 50)
    assert res["majority_sentence"].startswith(f"a majority every year from {first}")
    for y in (2020, 2021, 2022):
        if y in exp and exp[y] > 50:  # a closure year in which women were still the majority is named as such
            assert f"{exp[y]:.1f}% in {y}" in res["majority_sentence"]
    assert "except" in res["majority_sentence"]


def test_closure_sentence_for_a_window_before_the_closure():
    from nkbook.present.results import Results

    shares = mobility.share_table(DATA_DIR, 2005, 2016)
    sexed = shares.dropna(subset=["share_year"])
    r = Results()
    mobility._closure_words(r, sexed, shares, 2016)
    assert "share_pre_closure" not in r and "share_closure" not in r
    assert "end before the border closure" in r["closure_sentence"]
    r = Results()
    mobility._majority_words(r, sexed[sexed["year"] >= 2005], [], 2005)
    assert r["majority_sentence"] == "a majority every year from 2005"
