"""The chapters' run parameters, checked against the data before anything runs.

One home for what a parameter may be. The build driver calls :func:`check` after the data folder
validated and before any kernel starts, so an invalid value is refused at once, naming the
parameter and its valid range, and the last good book stays. The rules:

- ``start_year`` / ``end_year``: years inside the arrival record (``end_year`` may be None, the
  latest year), ``start_year`` not after ``end_year``, and a window of at least
  :data:`MIN_WINDOW` years;
- ``lag_years``: a whole number of years from 0 to :data:`MAX_LAG`;
- ``event_window``: a whole number of years from 1 to :data:`MAX_EVENT_WINDOW`;
- ``break_year``: a year of the record (a break the window cannot identify, e.g. at its very start,
  is said so in the chapter's text rather than refused);
- ``border_provinces``: names of provinces in ``origin_province.csv``.
"""

from __future__ import annotations

import pandas as pd

from nkbook.data import provinces

MIN_WINDOW = 10
MAX_LAG = 5
MAX_EVENT_WINDOW = 3


def year_range(frames: dict[str, pd.DataFrame]) -> tuple[int, int]:
    """First and last year of the arrival record (the ≤1998 bucket ends in 1998)."""
    y = frames["arrivals_yearly"]
    y = y[y["used"].astype(bool)] if "used" in y else y
    return int(pd.to_numeric(y["last_year"]).min()), int(pd.to_numeric(y["last_year"]).max())


def _whole(name: str, value, low: int, high: int, what: str = "years") -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{name}={value!r}: must be a whole number of {what} from {low} to {high}"]
    if not low <= value <= high:
        return [f"{name}={value}: out of range; valid {what}: {low} to {high}"]
    return []


def check(chapter: str, params: dict, frames: dict[str, pd.DataFrame]) -> list[str]:
    """Problems with one chapter's parameters (empty when every value is valid)."""
    first, last = year_range(frames)
    out: list[str] = []
    start = params.get("start_year", first)
    end = params.get("end_year")
    if isinstance(start, int) and isinstance(end, int) and end < start:
        return [f"chapter {chapter!r}: end_year={end} is before start_year={start}"]
    out += _whole("start_year", start, first, last)
    if end is not None:
        out += _whole("end_year", end, first, last)
    if not out and "start_year" in params:
        stop = last if end is None else end
        if start > stop:
            out.append(f"end_year={stop} is before start_year={start}")
        elif stop - start + 1 < MIN_WINDOW:
            out.append(
                f"start_year={start}, end_year={stop}: a window of {stop - start + 1} years; "
                f"the chapters need at least {MIN_WINDOW} consecutive years ({first} to {last} in the data)"
            )
    if "lag_years" in params:
        out += _whole("lag_years", params["lag_years"], 0, MAX_LAG)
    if "event_window" in params:
        out += _whole("event_window", params["event_window"], 1, MAX_EVENT_WINDOW)
    if "break_year" in params:  # a break the window cannot identify is said so by the chapter
        out += _whole("break_year", params["break_year"], first, last)
    if "border_provinces" in params:
        value = params["border_provinces"]
        op = frames.get("origin_province")
        known = provinces.known_provinces(op) if op is not None else []
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            out.append(f"border_provinces={value!r}: must be a non-empty list of province names")
        else:
            unknown = [v for v in value if v not in known]
            if unknown:
                out.append(f"border_provinces: {unknown} not in origin_province.csv; provinces: {known}")
    return [f"chapter {chapter!r}: {p}" for p in out]
