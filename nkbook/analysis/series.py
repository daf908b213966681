"""The arrival series every chapter measures against, built one way for all of them."""

from __future__ import annotations

import pandas as pd

from nkbook.data import load, used

# North Korea's COVID-19 border closure, January 2020 to the 2023 reopening: the one home of these
# years (charts draw the band from here, chapters split their series here).
CLOSURE_YEARS = (2020, 2022)


def yearly(data_dir=None) -> pd.DataFrame:
    """One row per single year of arrival (the years the ministry publishes alone).

    Columns: year, male, female, total (nullable integers), female_share_pct (NaN where the split
    by sex was not published, i.e. 1998–2001), in_bucket (the bucket label a year belongs to).
    The multi-year buckets themselves are in :func:`buckets`; they are never spread over years.
    """
    frame = used(load("arrivals_yearly", data_dir))
    years = frame[frame["granularity"] == "year"].copy()
    years["year"] = years["first_year"].astype(int)
    years = years.sort_values("year").reset_index(drop=True)
    out = years[["year", "male", "female", "total"]].copy()
    out["in_bucket"] = years["part_of"]
    share = out["female"].astype("Float64") / out["total"].astype("Float64") * 100
    out["female_share_pct"] = share.astype("float64")
    return out


def buckets(data_dir=None) -> pd.DataFrame:
    """The ministry's multi-year buckets ('≤1998', '1999–2001') with their split by sex."""
    frame = used(load("arrivals_yearly", data_dir))
    b = frame[frame["granularity"] == "bucket"].copy()
    b["female_share_pct"] = (b["female"].astype("Float64") / b["total"].astype("Float64") * 100).astype("float64")
    return b[["period", "first_year", "last_year", "male", "female", "total", "female_share_pct"]].reset_index(
        drop=True
    )


def cumulative(data_dir=None) -> pd.DataFrame:
    """Everyone who has arrived, by the end of each year, from the non-overlapping periods."""
    from nkbook.data.checks import yearly_running_sum

    return yearly_running_sum(load("arrivals_yearly", data_dir))


def window(frame: pd.DataFrame, start_year: int | None, end_year: int | None, col: str = "year") -> pd.DataFrame:
    """Rows with start_year <= year <= end_year (None = open)."""
    lo = start_year if start_year is not None else frame[col].min()
    hi = end_year if end_year is not None else frame[col].max()
    return frame[(frame[col] >= lo) & (frame[col] <= hi)].reset_index(drop=True)


def latest_year(data_dir=None) -> int:
    return int(yearly(data_dir)["year"].max())


def resolve_years(start_year, end_year, data_dir=None) -> tuple[int, int]:
    """Fill an open end (None) with the latest year in the data and check the range."""
    last = latest_year(data_dir)
    end = last if end_year is None else int(end_year)
    start = int(start_year)
    if start > end:
        raise ValueError(f"start_year {start} is after end_year {end}")
    if end > last:
        raise ValueError(f"end_year {end} is after the latest year in the data ({last})")
    return start, end


def derived_quarters(quarterly: pd.DataFrame) -> list[str]:
    """Labels ('2024 Q4') of the used quarter rows flagged derived, in file order.

    The one count of derived quarters: the arrivals chapter's prose, its quarterly chart and the
    data appendix all use it, so they cannot disagree.
    """
    q = used(quarterly)
    q = q[q["quarter"].notna() & q["derived"].fillna(False).astype(bool)]
    return [f"{int(y)} Q{int(k)}" for y, k in zip(q["year"], q["quarter"], strict=True)]
