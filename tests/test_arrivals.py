"""The arrivals chapter through compute(): the published numbers, a thin notebook, charts without NaN."""

from __future__ import annotations

import json
import math

import pandas as pd
from conftest import ROOT, has_nan

from nkbook.analysis.series import CLOSURE_YEARS
from nkbook.build import appendix, published
from nkbook.chapters import arrivals
from nkbook.data import DATA_DIR, load
from nkbook.present import words

CHAPTER = "arrivals"
# keys not (yet) in the snapshot: none since the snapshot was updated on purpose (CHANGELOG)
NEW_KEYS_PREFIXES = ("ta_", "time_abroad_")
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
    current = {f"{CHAPTER}.{k}": v for k, v in r.items() if k not in NEW_KEYS and not k.startswith(NEW_KEYS_PREFIXES)}
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
