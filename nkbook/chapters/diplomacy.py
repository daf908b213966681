"""Border and diplomatic events against the arrivals record (the diplomacy chapter).

Everything here is driven by the data files: the timeline is whatever ``events.csv`` holds in the
chapter's categories, the event windows are computed for every such event, and the tables of
third countries, repatriations and estimates of North Koreans in China are reshaped from their
CSVs without adding a number. The statistics (permutation p-values, bootstrap intervals, Poisson
rate-ratio intervals) come from :mod:`nkbook.stats` with its fixed seed.
"""

from __future__ import annotations

import calendar
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from nkbook.analysis import stats
from nkbook.core.context import record_file_read
from nkbook.core.paths import BIBLIOGRAPHY

# The chapter's subject: border policy, diplomacy, and the health measures that closed the border.
# Leadership (political) and economic events belong to the political- and economic-push chapters.
TIMELINE_CATEGORIES = ("border", "diplomacy", "health")

BIB_FILE = BIBLIOGRAPHY

_MONTHS = {i: calendar.month_abbr[i] for i in range(1, 13)}


# --------------------------------------------------------------------------------------------
# dates and citations


def parse_date(date: str) -> tuple[int, int | None, int | None]:
    """Split an events.csv date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) into its parts."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", str(date).strip())
    if not m:
        raise ValueError(f"{date!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    y, mo, d = m.groups()
    return int(y), (int(mo) if mo else None), (int(d) if d else None)


def event_position(date: str) -> float:
    """Where a date sits on a yearly axis whose year ``Y`` is a bar centred on ``Y``.

    The year spans ``Y - 0.5`` to ``Y + 0.5``; a month or a day is placed at its share of the year,
    and a date known only to the year sits at the centre of its bar.
    """
    y, mo, d = parse_date(date)
    if mo is None:
        return float(y)
    if d is None:
        frac = (mo - 0.5) / 12
    else:
        days = 366 if calendar.isleap(y) else 365
        frac = (pd.Timestamp(year=y, month=mo, day=d).day_of_year - 0.5) / days
    return y - 0.5 + frac


def date_label(date: str) -> str:
    """A reader's date: '9 Jun 1964', 'Mar 2002', or '1986 (year only)'."""
    y, mo, d = parse_date(date)
    if mo is None:
        return f"{y} (year only)"
    if d is None:
        return f"{_MONTHS[mo]} {y}"
    return f"{d} {_MONTHS[mo]} {y}"


@lru_cache(maxsize=4)
def _bib_labels(bib_file: str) -> dict[str, str]:
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(bib_file).entries.items():
        people = [re.sub(r"[{}]", "", str(p)).strip() for p in entry.persons.get("author", [])]
        if not people:
            who = key
        elif len(people) == 1:
            who = people[0]
        elif len(people) == 2:
            who = f"{people[0]} and {people[1]}"
        else:
            who = ", ".join(people[:-1]) + f" and {people[-1]}"
        year = re.sub(r"[{}]", "", entry.fields.get("year", "n.d.")).strip() or "n.d."
        out[key] = f"{who} ({year})"
    return out


def citation(keys: str, bib_file: str | Path | None = None) -> str:
    """Turn a ';'-separated list of bibliography keys into 'Author (year); ...' for tooltips.

    A key missing from the bibliography is shown as the key itself (the data checks catch it).
    """
    bib = Path(bib_file or BIB_FILE)
    record_file_read(bib)  # the labels depend on it: a bibliography edit re-executes this chapter
    labels = _bib_labels(str(bib))
    parts = [k.strip() for k in str(keys).split(";") if k.strip()]
    return "; ".join(labels.get(k, k) for k in parts)


# --------------------------------------------------------------------------------------------
# the timeline


def timeline_events(events: pd.DataFrame, start_year: int, end_year: int,
                    categories=TIMELINE_CATEGORIES, bib_file=None) -> pd.DataFrame:
    """The events of the chosen categories up to ``end_year``, ready to draw.

    Adds ``position`` (fractional year), ``when`` (readable date), ``citation``, ``panel``
    ('before' for events earlier than ``start_year``, drawn beside the arrivals series, which they
    precede; 'series' for the rest) and ``lane`` (a row within the category so that close events
    do not hide each other). Sorted by date.
    """
    ev = events[events["category"].isin(list(categories)) & (events["year"] <= end_year)].copy()
    ev["year"] = ev["year"].astype(int)
    ev["position"] = ev["date"].map(event_position)
    ev["when"] = ev["date"].map(date_label)
    ev["citation"] = ev["source"].map(lambda s: citation(s, bib_file))
    ev["number_text"] = ev["number_text"].fillna("")
    ev["panel"] = np.where(ev["year"] < start_year, "before", "series")
    ev = ev.sort_values(["position", "event_id"]).reset_index(drop=True)
    ev["lane"] = 0
    for _, idx in ev.groupby(["category", "panel"]).groups.items():
        ev.loc[idx, "lane"] = lanes(ev.loc[idx, "position"].tolist())
    return ev


def lanes(positions, min_gap: float = 0.45) -> list[int]:
    """Spread close points over lanes: each point takes the lowest lane whose last point is at
    least ``min_gap`` earlier (positions are taken in the order given, which should be sorted)."""
    last: list[float] = []
    out = []
    for p in positions:
        for i, q in enumerate(last):
            if p - q >= min_gap:
                last[i] = p
                out.append(i)
                break
        else:
            last.append(p)
            out.append(len(last) - 1)
    return out


# --------------------------------------------------------------------------------------------
# event windows


def window_ratios(arrivals: pd.Series, window: int) -> pd.DataFrame:
    """For every year with a full window: arrivals in the ``window`` years before and after.

    ``arrivals`` is indexed by year. The event year itself is left out of both sides (an event in
    March and one in December would otherwise count the same year differently). Columns: year,
    before, after, ratio (after / before), log_ratio, and the Poisson interval ``low``/``high`` of
    :func:`nkbook.stats.rate_ratio_ci` (counting noise only).
    """
    if window < 1:
        raise ValueError("event_window must be at least 1 year")
    a = arrivals.astype(float)
    first, last = int(a.index.min()), int(a.index.max())
    rows = []
    for y in range(first + window, last - window + 1):
        before_years = list(range(y - window, y))
        after_years = list(range(y + 1, y + window + 1))
        if not all(t in a.index for t in before_years + after_years):
            continue
        b, f = a.loc[before_years].sum(), a.loc[after_years].sum()
        ratio, low, high = stats.rate_ratio_ci(b, f)
        rows.append({"year": y, "before": int(b), "after": int(f), "ratio": ratio,
                     "log_ratio": math.log(ratio) if ratio > 0 else math.nan, "low": low, "high": high})
    return pd.DataFrame(rows, columns=["year", "before", "after", "ratio", "log_ratio", "low", "high"])


def rank_p(log_ratio: float, reference: np.ndarray) -> float:
    """Share of reference years whose window moved at least as far (either way) as this one."""
    ref = np.asarray(reference, float)
    ref = ref[~np.isnan(ref)]
    if math.isnan(log_ratio) or not len(ref):
        return math.nan
    return float(np.mean(np.abs(ref) >= abs(log_ratio) - 1e-12))


def event_windows(timeline: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """One row per timeline event with its year's window ratio (NaN when the window is incomplete)."""
    ref = windows["log_ratio"].to_numpy()
    out = timeline[["event_id", "date", "when", "year", "category", "title"]].merge(windows, on="year", how="left")
    out["rank_p"] = [rank_p(v, ref) if pd.notna(v) else math.nan for v in out["log_ratio"]]
    out["complete"] = out["ratio"].notna()
    out["same_year_events"] = out.groupby("year")["event_id"].transform("count")
    return out


def mean_difference(values: np.ndarray, is_event: np.ndarray) -> float:
    """Mean of ``values`` in event years minus the mean in the other years."""
    values, is_event = np.asarray(values, float), np.asarray(is_event, bool)
    if is_event.all() or not is_event.any():
        return math.nan
    return float(values[is_event].mean() - values[~is_event].mean())


def compare_years(values, is_event, n_perm: int = 10000, n_boot: int = 5000) -> dict:
    """Event years against the other years of one series.

    Returns the two group means, their difference, a two-sided permutation p-value (random
    relabelling of which years are event years, :func:`nkbook.stats.permutation_pvalue`) and a
    percentile bootstrap interval of the difference (years resampled with replacement,
    :func:`nkbook.stats.bootstrap_ci`; resamples that lose a group are dropped).
    """
    values = np.asarray(values, float)
    is_event = np.asarray(is_event, bool)
    ok = ~np.isnan(values)
    values, is_event = values[ok], is_event[ok]
    diff = mean_difference(values, is_event)
    rows = np.column_stack([values, is_event.astype(float)])

    def boot(sample):
        return mean_difference(sample[:, 0], sample[:, 1] > 0.5)

    p = stats.permutation_pvalue(values, is_event, mean_difference, n=n_perm) if not math.isnan(diff) else math.nan
    low, high = stats.bootstrap_ci(rows, boot, n=n_boot) if not math.isnan(diff) else (math.nan, math.nan)
    return {
        "n_event": int(is_event.sum()), "n_other": int((~is_event).sum()),
        "mean_event": float(values[is_event].mean()) if is_event.any() else math.nan,
        "mean_other": float(values[~is_event].mean()) if (~is_event).any() else math.nan,
        "difference": diff, "low": low, "high": high, "p": p,
    }


# --------------------------------------------------------------------------------------------
# provocations: growth in the year after a nuclear test


def yearly_growth(arrivals: pd.Series) -> pd.DataFrame:
    """Year-on-year change of arrivals: ``log(A_y / A_{y-1})`` and the same in percent."""
    a = arrivals.astype(float).sort_index()
    prev = a.shift(1)
    prev.index = a.index
    consecutive = pd.Series(a.index, index=a.index).diff() == 1
    g = np.log(a / prev).where(consecutive)
    out = pd.DataFrame({"year": a.index.astype(int), "total": a.values.astype(int), "previous": prev.values,
                        "log_growth": g.values})
    out["growth_pct"] = 100 * (np.exp(out["log_growth"]) - 1)
    return out.dropna(subset=["log_growth"]).reset_index(drop=True)


def years_after(dates: pd.Series) -> list[int]:
    """The calendar years that follow each date (distinct, sorted)."""
    return sorted({int(pd.Timestamp(d).year) + 1 for d in dates})


def affected_by(years: pd.Series, first: int, last: int) -> pd.Series:
    """True where a growth year ``y`` compares with a year inside ``first``–``last`` (y or y-1 inside)."""
    y = years.astype(int)
    return ((y >= first) & (y <= last)) | ((y - 1 >= first) & (y - 1 <= last))


# --------------------------------------------------------------------------------------------
# third countries, repatriations, estimates


def third_country_table(third: pd.DataFrame, events: pd.DataFrame, end_year: int | None = None) -> pd.DataFrame:
    """Each route country with its policy and its key events (dated titles, figures as reported).

    Event ids that are not in ``events`` are listed as such rather than dropped.
    """
    ev = events.set_index("event_id")
    rows = []
    for _, r in third.iterrows():
        items, n_events = [], 0
        for eid in [e.strip() for e in str(r["key_events"] or "").split(";") if e.strip()]:
            if eid not in ev.index:
                items.append(f"{eid} (not in events.csv)")
                continue
            e = ev.loc[eid]
            if end_year is not None and int(e["year"]) > end_year:
                continue
            n_events += 1
            num = e["number_text"] if isinstance(e["number_text"], str) and e["number_text"] else ""
            items.append(f"{date_label(e['date'])}: {e['title']}" + (f" [{num}]" if num else ""))
        rows.append({"Country": r["country"], "Role": r["role"], "Policy toward North Koreans": r["policy"],
                     "Key events (figures as reported)": "; ".join(items) if items else "none in the data",
                     "Events": n_events, "Sources": citation(r["source"])})
    return pd.DataFrame(rows)


def route_events(third: pd.DataFrame, events: pd.DataFrame, end_year: int | None = None) -> pd.DataFrame:
    """The key events of each route country, one row per event (long form), in date order."""
    ev = events.set_index("event_id")
    rows = []
    for _, r in third.iterrows():
        for eid in [e.strip() for e in str(r["key_events"] or "").split(";") if e.strip()]:
            if eid not in ev.index:
                continue
            e = ev.loc[eid]
            if end_year is not None and int(e["year"]) > end_year:
                continue
            num = e["number_text"] if isinstance(e["number_text"], str) else ""
            rows.append({"Country": r["country"], "Date": date_label(e["date"]), "position": event_position(e["date"]),
                         "Event": e["title"], "Figure as reported": num, "Sources": citation(e["source"])})
    out = pd.DataFrame(rows, columns=["Country", "Date", "position", "Event", "Figure as reported", "Sources"])
    order = {c: i for i, c in enumerate(third["country"])}
    out = out.assign(_c=out["Country"].map(order)).sort_values(["_c", "position"])
    return out.drop(columns=["_c", "position"]).reset_index(drop=True)


def html_table(frame: pd.DataFrame):
    """A frame as an escaped HTML table without the index (cells are data, shown as text)."""
    from IPython.display import HTML

    return HTML(frame.to_html(index=False, escape=True, border=0, na_rep="—", classes="nk-data-table"))


def thailand_vs_arrivals(thai: pd.DataFrame, arrivals: pd.Series) -> pd.DataFrame:
    """Thailand's counts beside the ROK arrivals of the same year (different definitions!)."""
    t = thai.copy()
    t["year"] = t["year"].astype(int)
    t["rok_arrivals"] = t["year"].map(lambda y: arrivals.get(y, np.nan)).astype(float)
    full = ~t["partial_year"].fillna(False).astype(bool)
    t["count_vs_arrivals_pct"] = np.where(full & t["count"].notna(),
                                          100 * t["count"].astype(float) / t["rok_arrivals"], np.nan)
    t["implied_via_thailand"] = np.where(t["share_pct"].notna(), t["share_pct"] / 100 * t["rok_arrivals"], np.nan)
    return t


def repatriation_ranges(repat: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per repatriation event: the lowest and highest figure reported, and by whom.

    ``high`` is the largest upper bound or, where a reporter gave only 'more than N', N itself;
    ``open_ended`` says the top of the range is such a lower bound. Reporters that only confirm
    the date (no count) are counted in ``reporters`` but give no number.
    """
    r = repat.copy()
    r["top"] = r["estimate_high"].astype("Float64").fillna(r["estimate_low"].astype("Float64"))
    rows = []
    titles = events.set_index("event_id")["title"] if "title" in events else pd.Series(dtype=object)
    for eid, g in r.groupby("event_id", sort=False):
        counted = g[g["estimate_low"].notna()]
        low = counted["estimate_low"].min() if len(counted) else pd.NA
        high = counted["top"].max() if len(counted) else pd.NA
        at_top = counted[counted["top"] == high]
        open_ended = bool(at_top["estimate_high"].isna().any())
        rows.append({
            "event_id": eid, "date": g["date"].iloc[0], "when": date_label(g["date"].iloc[0]),
            "year": parse_date(g["date"].iloc[0])[0], "title": titles.get(eid, eid),
            "low": None if pd.isna(low) else int(low), "high": None if pd.isna(high) else int(high),
            "open_ended": open_ended, "reporters": len(g), "with_count": len(counted),
            "reported_by": "; ".join(f"{x.reporter}: {x.estimate_text}" for x in g.itertuples()),
        })
    return pd.DataFrame(rows).sort_values("date").reset_index(drop=True)


def estimate_bounds(frame: pd.DataFrame, low: str = "low", high: str = "high") -> pd.DataFrame:
    """Add ``kind`` ('range', 'at least', 'up to', 'single') and the drawn ends of each estimate."""
    f = frame.copy()
    lo = f[low].astype("Float64").astype(float).to_numpy()
    hi = f[high].astype("Float64").astype(float).to_numpy()
    has_lo, has_hi = ~np.isnan(lo), ~np.isnan(hi)
    both = has_lo & has_hi
    kind = np.select([both & (np.nan_to_num(lo) < np.nan_to_num(hi)), both, has_lo, has_hi],
                     ["range", "single", "at least", "up to"], default="none")
    f["kind"] = kind
    f["draw_low"] = np.where(has_lo, lo, hi)
    f["draw_high"] = np.where(has_hi, hi, lo)
    return f
