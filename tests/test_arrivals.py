"""The arrivals chapter through compute(): the published numbers, a thin notebook, charts without NaN."""

from __future__ import annotations

import json
import math
import re
import shutil

import pandas as pd
import pytest
from conftest import ROOT, edit_csv, has_nan, snapshot_diff

from nkbook.analysis.series import CLOSURE_YEARS
from nkbook.build import appendix
from nkbook.build.notebooks import code_cells
from nkbook.chapters import arrivals
from nkbook.data import DATA_DIR, load
from nkbook.present import charts, notes, words

CHAPTER = "arrivals"
# keys added by issues #15, #16, #18 and #19 (not yet in the snapshot; the integrator adds them)
NOTEBOOK = ROOT / "notebooks" / "arrivals.md"
WINDOWS = [(1998, 2015), (2005, 2016), (2012, None), (1998, 2019), (2010, 2022)]


@pytest.fixture(scope="module")
def r():
    return arrivals.compute(DATA_DIR)


def snapshot() -> dict:
    data = json.loads((ROOT / "results" / "published.json").read_text(encoding="utf-8"))["results"]
    return {k: v for k, v in data.items() if k.startswith(CHAPTER + ".")}


def test_compute_matches_published_snapshot(r):
    assert snapshot_diff(CHAPTER, r) == []


def test_notebook_is_thin():
    for line, _tags, source in code_cells(NOTEBOOK):
        assert not re.search(r"^\s*(def|class)\s", source, re.M), line
        assert len(source.strip().splitlines()) <= 15, line


def glued_keys() -> set[str]:
    text = NOTEBOOK.read_text(encoding="utf-8")
    return set(re.findall(r"\{glue:text\}`([a-z0-9_]+)", text))


def test_derived_quarters_counted_from_the_data():
    q = pd.read_csv(DATA_DIR / "arrivals_quarterly.csv")
    q = q[q["used"] & q["quarter"].notna()]
    r = arrivals.compute(DATA_DIR)
    assert r["n_derived_quarters"] == int(q["derived"].sum())
    assert r["n_derived_quarters"] > 1


def test_bucket_compared_per_year_with_the_peak():
    """#15: the three-year bucket is compared with a single year through its yearly average."""
    y = pd.read_csv(DATA_DIR / "arrivals_yearly.csv")
    b = y[(y["used"]) & (y["period"] == "1999–2001")].iloc[0]
    n = int(b["last_year"]) - int(b["first_year"]) + 1
    per_year = b["total"] / n
    r = arrivals.compute(DATA_DIR)
    assert r["bucket_2001_years"] == n
    assert r["bucket_2001_per_year"] == round(per_year)
    assert r["bucket_to_peak_word"] == ("rose" if r["peak_total"] > per_year else "fell")
    assert r["bucket_to_peak_times"] == words.times(r["peak_total"] / per_year)
    text = (ROOT / "notebooks" / "arrivals.md").read_text(encoding="utf-8")
    assert "bucket_2001_per_year" in text and "bucket_to_peak_word" in text


def test_derived_quarters_agree_in_chapter_chart_and_appendix():
    """#15/#19: one count of derived quarters, computed from the data, in the prose, the chart and the
    data appendix (the chart used to mark three, the prose said one, the appendix two)."""
    q = pd.read_csv(DATA_DIR / "arrivals_quarterly.csv")
    q = q[q["used"] & q["quarter"].notna() & q["derived"]]
    expected = [f"{int(a)} Q{int(b)}" for a, b in zip(q["year"], q["quarter"], strict=True)]
    r = arrivals.compute(DATA_DIR)
    assert r["n_derived_quarters"] == len(expected)
    assert r["derived_quarters_text"] == words.join(expected)
    chart_data = arrivals.quarterly_chart(r).data
    marked = chart_data[chart_data["kind"] == arrivals.DERIVED]["period"].tolist()
    assert marked == expected
    page = appendix.data_page(DATA_DIR, {"arrivals_quarterly": load("arrivals_quarterly", DATA_DIR)})
    assert notes.derived_quarters_sentence(load("arrivals_quarterly", DATA_DIR)) in page
    assert f"{words.plural(len(expected), 'quarter')} ({words.join(expected)})" in page
    # no hard-coded count left in the descriptor's description
    desc = json.loads((DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))
    text = next(r["description"] for r in desc["resources"] if r["name"] == "arrivals_quarterly")
    assert "Q4 2024 and Q2 2025" not in text


def test_checkpoint_gap_years_from_the_data():
    """#15: the list of cumulative checkpoints that differ from the running sum is computed
    (it used to omit 2003, 2009 and 2017)."""
    c = pd.read_csv(DATA_DIR / "arrivals_cumulative.csv")
    c = c[c["used"]]
    gaps = c[["gap_total", "gap_male", "gap_female"]].fillna(0)
    years = sorted({int(d[:4]) for d in c[(gaps != 0).any(axis=1)]["as_of"]})
    assert {2003, 2009, 2017} <= set(years)
    r = arrivals.compute(DATA_DIR)
    assert r["checkpoint_gap_years_text"] == words.year_list(years)
    assert r["n_checkpoint_gap_years"] == len(years)


def test_chart_specs_have_no_nan():
    r = arrivals.compute(DATA_DIR)
    for build in (arrivals.arrivals_chart, arrivals.share_chart, arrivals.quarterly_chart):
        fig = build(r)
        assert not has_nan(fig.spec()), build.__name__
        json.dumps(fig.spec(), allow_nan=False, default=str)


def _time_abroad_rows():
    return pd.read_csv(DATA_DIR / "time_abroad.csv")


def test_time_abroad_lag_range_from_the_data():
    """#18 item 3: the lag range the economic chapter cites, recomputed from time_abroad.csv."""
    t = _time_abroad_rows()
    shares = t[(t["measure"] == "share_pct") & t["value"].notna()]
    avg_years = t[t["measure"] == "average_months"]["value"].dropna() / 12
    full_ids = [sid for sid, g in t[t["measure"] == "share_pct"].groupby("statement_id") if g["value"].notna().all()]
    full = t[(t["statement_id"] == sorted(full_ids)[0]) & (t["measure"] == "share_pct")].sort_values("bucket_low_years")
    median_top = full[full["value"].cumsum() >= 50].iloc[0]["bucket_high_years"]
    r = arrivals.compute(DATA_DIR)
    assert r["time_abroad_lag_min"] == int(shares[shares["value"] > 0]["bucket_low_years"].min())
    assert r["time_abroad_lag_max"] == max(math.ceil(round(avg_years.max(), 2)), int(median_top))
    lag_max = r["time_abroad_lag_max"]
    tail = full[full["bucket_low_years"] >= lag_max + 1]["value"].sum()
    assert f"{r['time_abroad_lag_min']} to {lag_max} years" in r["time_abroad_lag_sentence"]
    assert f"all but {tail:.1f}%" in r["time_abroad_lag_sentence"]
    for key in ("time_abroad_lag_min", "time_abroad_lag_max", "time_abroad_lag_sentence"):
        assert isinstance(r[key], (int, str))


def test_time_abroad_latest_statement_against_the_closure():
    t = _time_abroad_rows()
    q = t[(t["measure"] == "qualitative") & t["bucket_low_years"].notna() & t["bucket_high_years"].isna()]
    latest = q.sort_values("statement_year").iloc[-1]
    left_by = int(latest["statement_year"] - latest["bucket_low_years"])
    r = arrivals.compute(DATA_DIR)
    assert r["ta_latest_left_by"] == left_by
    assert f"in {left_by} or earlier" in r["ta_closure_sentence"]
    assert r["ta_latest_before_closure"] is (left_by <= CLOSURE_YEARS[0])


def test_time_abroad_table_keeps_missing_bands_missing():
    r = arrivals.compute(DATA_DIR)
    table = r.frames["time_abroad"]
    t = _time_abroad_rows()
    n_missing = int((t["measure"].eq("share_pct") & t["value"].isna()).sum())
    cells = table.drop(columns="Time abroad before arrival").to_numpy().ravel()
    assert sum("not published" in str(c) for c in cells) >= n_missing
    assert "Source:" in arrivals.time_abroad_table(r).caption


# --------------------------------------------------------------------------------------------
# #18 item 4: quarterly updates, half-years shown as half-years, checkpoints


def test_quarterly_file_holds_the_updates(r):
    """The sheet's updates are in the quarterly frame the chart draws (facts.md 2.10-2.12, 5.1-5.5)."""
    q = arrivals.quarter_frame(DATA_DIR).set_index("period")
    for period, men, women in [("2023 Q1", 5, 29), ("2023 Q2", 18, 47), ("2023 Q4", 6, 51), ("2021 Q3", 9, 3)]:
        assert (q.at[period, "male"], q.at[period, "female"]) == (men, women), period
    assert (q.at["2025 Q1", "total"], q.at["2025 Q1", "male"], q.at["2025 Q1", "female"]) == (38, 1, 37)
    assert (q.at["2025 H1", "total"], q.at["2025 H1", "male"], q.at["2025 H1", "female"]) == (96, 8, 88)
    assert q.at["2025 H1", "kind"] == arrivals.HALF_YEAR and pd.isna(q.at["2025 H1", "quarter"])
    for period in ("2021 Q4", "2025 Q2"):
        assert q.at[period, "kind"] == arrivals.DERIVED
    assert q.at["2025 Q2", "total"] == q.at["2025 H1", "total"] - q.at["2025 Q1", "total"]
    raw = pd.read_csv(DATA_DIR / "arrivals_quarterly.csv")
    first = raw[(raw["year"] == 2021) & (raw["period"] == "Q2") & (raw["variant"] == "first_announced")]
    assert first["total"].tolist() == [2] and not first["used"].iloc[0]


def test_half_year_drawn_as_a_half_year_never_split(r):
    fig = arrivals.quarterly_chart(r)
    spec = fig.spec()
    halves = fig.data[fig.data["kind"] == arrivals.HALF_YEAR]
    raw = pd.read_csv(DATA_DIR / "arrivals_quarterly.csv")
    raw_halves = raw[raw["used"] & raw["quarter"].isna()]
    assert len(halves) == len(raw_halves) == r["n_half_years"]
    # the half-year spans six months and keeps its published total (it is not divided into quarters)
    for h in halves.itertuples():
        months = (pd.Timestamp(h.end) - pd.Timestamp(h.start)).days
        assert 180 <= months <= 182
        assert h.total in raw_halves["total"].tolist()
    assert "half-year" in json.dumps(spec)
    assert "never split into quarters" in r["half_year_sentence"]


def test_checkpoints_checked_against_the_running_sum(r):
    """33,916 / 33,981 / 34,352 / 34,410 (quarter and half-year ends) equal the running sum."""
    cp = r.frames["checkpoints"].set_index("As of")
    c = pd.read_csv(DATA_DIR / "arrivals_cumulative.csv")
    c = c[c["used"]].set_index("as_of")
    for as_of in ("2023-03-31", "2023-06-30", "2025-03-31", "2025-06-30"):
        assert cp.at[as_of, "Published total"] == c.at[as_of, "total"]
        assert cp.at[as_of, "Running sum of the series"] == c.at[as_of, "total"]
        assert cp.at[as_of, "Running sum minus published"] == "none"
    # a year-end with a stated gap shows it, with the sign the data state
    assert cp.at["2003-12-31", "Running sum minus published"] == f"total {int(c.at['2003-12-31', 'gap_total']):+,}"
    assert r["n_checkpoints"] == len(c)


def test_half_year_contradicting_its_quarters_or_year_is_refused(tmp_path):
    from nkbook.data import DataError, validate_folder

    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    path = folder / "arrivals_quarterly.csv"
    edit_csv(path, {"year": "2025", "period": "H1"}, {"total": "97", "female": "89"})
    line = 1 + next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines()) if t.startswith("2025,,H1"))
    with pytest.raises(DataError) as err:
        validate_folder(folder)
    msg = str(err.value)
    assert f"arrivals_quarterly.csv line {line}" in msg and "column total" in msg and "Q1 + Q2" in msg


# --------------------------------------------------------------------------------------------
# #16 / #19: any window, computed words, a prose flip, key findings, colours


@pytest.mark.parametrize("window", WINDOWS)
def test_every_window_builds_and_glues_every_key(window):
    start, end = window
    w = arrivals.compute(DATA_DIR, start_year=start, end_year=end)
    missing = glued_keys() - set(w)
    assert not missing, (window, missing)
    for build in (arrivals.arrivals_chart, arrivals.share_chart, arrivals.quarterly_chart):
        fig = build(w)
        assert not has_nan(fig.spec()), (window, build.__name__)
    years = pd.read_csv(DATA_DIR / "arrivals_yearly.csv")
    years = years[years["used"] & (years["granularity"] == "year")]
    last = int(years["first_year"].max()) if end is None else end
    shown = years[(years["first_year"] >= start) & (years["first_year"] <= last)]
    assert w["n_years"] == len(shown)
    assert w["peak_total"] == shown["total"].max()
    closed = shown["first_year"].between(*CLOSURE_YEARS).any()
    assert ("outside the years shown" in w["record_closure_sentence"]) is (not closed)
    assert ("outside the years shown" in w["record_succession_sentence"]) is not (
        {2011, 2012} <= set(shown["first_year"])
    )
    assert 3 <= len(w["key_findings"]) <= 5


def _majority_words(data_dir, start=1998, end=None):
    y = pd.read_csv(data_dir / "arrivals_yearly.csv")
    y = y[y["used"] & (y["granularity"] == "year") & y["female"].notna()]
    if end is not None:
        y = y[y["first_year"] <= end]
    y = y[y["first_year"] >= start]
    holds = {int(a): b / c * 100 > 50 for a, b, c in zip(y["first_year"], y["female"], y["total"], strict=True)}
    span = f"every year from {min(holds)} to {max(holds)}"
    return f"Women were the majority of arrivals {words.every_year_except(holds, span=span)}"


def test_women_majority_words_follow_the_data(r):
    assert r["women_majority_sentence"] == _majority_words(DATA_DIR)
    # the old typed sentence ("every year from 2002 except during the closure") was false for 2020
    assert "except during the closure" not in NOTEBOOK.read_text(encoding="utf-8")


def test_prose_flips_when_women_are_a_minority_in_one_more_year(tmp_path):
    """Perturbation: swap men and women of 2010 (a year women were the majority). The sentence must
    change, and the expected words are derived from the perturbed file."""
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    path = folder / "arrivals_yearly.csv"
    y = pd.read_csv(path)
    row = y[y["used"] & (y["period"] == "2010")].iloc[0]
    assert row["female"] > row["male"]
    edit_csv(
        path, {"period": "2010", "used": "true"}, {"male": str(int(row["female"])), "female": str(int(row["male"]))}
    )
    before = arrivals.compute(DATA_DIR)
    after = arrivals.compute(folder)
    assert after["women_majority_sentence"] != before["women_majority_sentence"]
    assert after["women_majority_sentence"] == _majority_words(folder)
    assert "2010" in after["women_majority_sentence"]
    assert after["n_women_minority_years"] == before["n_women_minority_years"] + 1
    assert after["women_majority_sentence"] in " ".join(after["key_findings"])


def test_prose_flips_when_a_later_year_tops_the_peak(tmp_path):
    """Perturbation: 2016 raised above the 2009 peak: the peak words and chart title follow."""
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    path = folder / "arrivals_yearly.csv"
    y = pd.read_csv(path)
    peak = int(y[y["used"] & (y["granularity"] == "year")]["total"].max())
    row = y[y["used"] & (y["period"] == "2016")].iloc[0]
    extra = peak + 100 - int(row["total"])
    edit_csv(
        path,
        {"period": "2016", "used": "true"},
        {"female": str(int(row["female"]) + extra), "total": str(int(row["total"]) + extra)},
    )
    after = arrivals.compute(folder)
    assert after["peak_year"] == 2016 and after["peak_total"] == peak + 100
    assert after["arrivals_title"].startswith(f"Arrivals peaked at {peak + 100:,} in 2016")
    per_year = after["bucket_2001_total"] / after["bucket_2001_years"]
    assert after["bucket_to_peak_times"] == words.times((peak + 100) / per_year)


def test_colours_and_no_hover_instructions(r):
    spec = json.dumps(arrivals.arrivals_chart(r).spec())
    for name in ("Women", "Men", "Total"):
        assert charts.SERIES_COLOURS[name] in spec
    share = json.dumps(arrivals.share_chart(r).spec())
    assert charts.SERIES_COLOURS["Women"] in share
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert "hover" not in text.lower()
    for build in (arrivals.arrivals_chart, arrivals.share_chart, arrivals.quarterly_chart):
        assert "hover" not in build(r).description.lower()


def test_key_findings_box_and_interval_view():
    text = NOTEBOOK.read_text(encoding="utf-8")
    title = text.index("# The arrivals record")
    assert text.index("```{glue:md} key_findings_md") - title < 120
    assert text.count("one realisation of a process") == 1
    assert "counting noise only" in text and "family groups" in text


def test_no_typed_direction_next_to_chart_numbers(r):
    """Chart titles state the finding in computed words."""
    assert arrivals.arrivals_chart(r).chart.to_dict()["title"]["text"] == r["arrivals_title"]
    assert r["share_title"] == r["women_majority_sentence"]
    assert words.direction(r["q1_2020"], r["q2_2020"]) in r["quarterly_title"]
