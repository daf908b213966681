"""time_abroad.csv and nkbook.analysis.time_abroad: expected values recomputed from the CSV."""

import csv
import itertools
import shutil

import pytest

from nkbook.analysis import time_abroad
from nkbook.core.paths import DATA_DIR


def _rows():
    with open(DATA_DIR / "time_abroad.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _bands(sid):
    rows = [r for r in _rows() if r["statement_id"] == sid and r["measure"] == "share_pct"]
    return sorted(rows, key=lambda r: float(r["bucket_low_years"]))


def _within(sid, k):
    return sum(
        float(r["value"])
        for r in _bands(sid)
        if r["value"] and r["bucket_high_years"] and float(r["bucket_high_years"]) <= k
    )


def test_complete_distribution_sums_to_about_100():
    complete = {r["statement_id"] for r in _rows() if r["measure"] == "share_pct"}
    complete = [s for s in complete if all(b["value"] for b in _bands(s))]
    assert complete, "at least one fully published distribution"
    for sid in complete:
        total = sum(float(b["value"]) for b in _bands(sid))
        assert abs(total - 100) <= 1.5, (sid, total)


def test_partial_distribution_never_exceeds_100():
    for sid in {r["statement_id"] for r in _rows() if r["measure"] == "share_pct"}:
        assert sum(float(b["value"]) for b in _bands(sid) if b["value"]) <= 100.0 + 1e-9


def test_bands_do_not_overlap_and_only_top_is_open():
    for sid in {r["statement_id"] for r in _rows() if r["measure"] == "share_pct"}:
        b = _bands(sid)
        for lo, hi in itertools.pairwise(b):
            assert float(lo["bucket_high_years"]) <= float(hi["bucket_low_years"]), sid
        assert all(x["bucket_high_years"] for x in b[:-1]), sid


@pytest.mark.parametrize("sid", ["kpdi_2003_dist", "kpdi_2002_dist"])
def test_within_k_recomputed(sid):
    d = time_abroad.distribution(statement_id=sid)
    for k in (1, 2, 3):
        assert d[f"within_{k}"]["low"] == pytest.approx(_within(sid, k))
        assert d[f"within_{k}"]["high"] >= d[f"within_{k}"]["low"]
    published = sum(float(b["value"]) for b in _bands(sid) if b["value"])
    assert d["published_total"] == pytest.approx(published)


def test_median_band_recomputed():
    sid = "kpdi_2003_dist"
    cum, median = 0.0, None
    for b in _bands(sid):
        cum += float(b["value"])
        if cum >= 50:
            median = b["bucket"]
            break
    assert time_abroad.distribution(statement_id=sid)["median_bucket"] == median


def test_lag_range_support_against_csv():
    s = time_abroad.lag_range_support()
    rows = _rows()
    full = sorted(
        {
            r["statement_id"]
            for r in rows
            if r["measure"] == "share_pct" and all(b["value"] for b in _bands(r["statement_id"]))
        }
    )
    assert s["first_full_id"] in full
    sid = s["first_full_id"]
    assert s["first_full_within_3"] == pytest.approx(_within(sid, 3))
    avgs = [float(r["value"]) / 12 for r in rows if r["measure"] == "average_months" and r["value"]]
    assert s["average_years_min"] == pytest.approx(min(avgs), abs=0.01)
    assert s["average_years_max"] == pytest.approx(max(avgs), abs=0.01)
    q = [r for r in rows if r["measure"] == "qualitative" and r["bucket_low_years"] and not r["bucket_high_years"]]
    latest = max(q, key=lambda r: int(r["statement_year"]))
    thr = float(latest["bucket_low_years"])
    beyond = sum(float(b["value"]) for b in _bands(sid) if float(b["bucket_low_years"]) >= thr)
    assert s["latest_threshold_years"] == thr
    assert s["first_full_share_at_or_beyond_threshold"] == pytest.approx(beyond)
    assert s["later_stays_longer"] is (beyond < 50)
    assert s["trend_mixed"] is (len({r["trend"] for r in rows if r["trend"]}) > 1)


def test_summary_carries_the_numbers():
    s = time_abroad.lag_range_support()
    text = time_abroad.summary()
    assert f"{s['first_full_within_3']:g}%" in text
    assert f"{s['first_full_n']}" in text


def test_flips_when_latest_statement_threshold_is_short(tmp_path):
    """A latest statement of 'mostly 1+ years' is no sign of longer stays: the boolean must flip."""
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    path = folder / "time_abroad.csv"
    text = path.read_text(encoding="utf-8")
    old = "mou_2025q1_long,4.10,2025-Q1 arrivals,2025,qualitative,5+,5,"
    assert old in text
    path.write_text(text.replace(old, "mou_2025q1_long,4.10,2025-Q1 arrivals,2025,qualitative,5+,1,"), encoding="utf-8")
    assert time_abroad.lag_range_support()["later_stays_longer"] is True
    assert time_abroad.lag_range_support(folder)["later_stays_longer"] is False
