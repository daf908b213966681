"""The arrivals chapter through compute(): the published numbers, a thin notebook, charts without NaN."""

from __future__ import annotations

import json

import pandas as pd
from conftest import ROOT, has_nan

from nkbook.build import appendix, published
from nkbook.chapters import arrivals
from nkbook.data import DATA_DIR, load
from nkbook.present import words

CHAPTER = "arrivals"
# keys not (yet) in the snapshot: none since the snapshot was updated on purpose (CHANGELOG)
NEW_KEYS: set[str] = {
    "bucket_2001_years",
    "bucket_to_peak_word",
    "bucket_to_peak_times",
    "n_checkpoint_gap_years",
    "checkpoint_gap_years_text",
}


def snapshot() -> dict:
    data = json.loads((ROOT / "results" / "published.json").read_text(encoding="utf-8"))["results"]
    return {k: v for k, v in data.items() if k.startswith(CHAPTER + ".")}


def test_compute_matches_published_snapshot():
    r = arrivals.compute(DATA_DIR)
    current = {f"{CHAPTER}.{k}": v for k, v in r.items() if k not in NEW_KEYS}
    assert published.diff(snapshot(), current) == []


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
    assert arrivals.derived_quarters_sentence(load("arrivals_quarterly", DATA_DIR)) in page
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
