"""The arrivals chapter through compute(): the published numbers, a thin notebook, charts without NaN."""

from __future__ import annotations

import json

import pandas as pd
from conftest import ROOT, has_nan

from nkbook.build import published
from nkbook.chapters import arrivals
from nkbook.data import DATA_DIR

CHAPTER = "arrivals"
# keys not (yet) in the snapshot: none since the snapshot was updated on purpose (CHANGELOG)
NEW_KEYS: set[str] = set()


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


def test_bucket_per_year_mean():
    r = arrivals.compute(DATA_DIR)
    assert r["bucket_2001_per_year"] == round(r["bucket_2001_total"] / 3)


def test_chart_specs_have_no_nan():
    r = arrivals.compute(DATA_DIR)
    for build in (arrivals.arrivals_chart, arrivals.share_chart, arrivals.quarterly_chart):
        fig = build(r)
        assert not has_nan(fig.spec()), build.__name__
        json.dumps(fig.spec(), allow_nan=False, default=str)
