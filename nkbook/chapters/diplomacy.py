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

import altair as alt
import numpy as np
import pandas as pd

from nkbook.analysis import series, stats
from nkbook.core.context import record_file_read
from nkbook.core.paths import BIBLIOGRAPHY
from nkbook.data import load, used
from nkbook.present import charts
from nkbook.present.results import Results

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


def timeline_events(
    events: pd.DataFrame, start_year: int, end_year: int, categories=TIMELINE_CATEGORIES, bib_file=None
) -> pd.DataFrame:
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
        rows.append(
            {
                "year": y,
                "before": int(b),
                "after": int(f),
                "ratio": ratio,
                "log_ratio": math.log(ratio) if ratio > 0 else math.nan,
                "low": low,
                "high": high,
            }
        )
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
        "n_event": int(is_event.sum()),
        "n_other": int((~is_event).sum()),
        "mean_event": float(values[is_event].mean()) if is_event.any() else math.nan,
        "mean_other": float(values[~is_event].mean()) if (~is_event).any() else math.nan,
        "difference": diff,
        "low": low,
        "high": high,
        "p": p,
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
    out = pd.DataFrame(
        {"year": a.index.astype(int), "total": a.values.astype(int), "previous": prev.values, "log_growth": g.values}
    )
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
        rows.append(
            {
                "Country": r["country"],
                "Role": r["role"],
                "Policy toward North Koreans": r["policy"],
                "Key events (figures as reported)": "; ".join(items) if items else "none in the data",
                "Events": n_events,
                "Sources": citation(r["source"]),
            }
        )
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
            rows.append(
                {
                    "Country": r["country"],
                    "Date": date_label(e["date"]),
                    "position": event_position(e["date"]),
                    "Event": e["title"],
                    "Figure as reported": num,
                    "Sources": citation(e["source"]),
                }
            )
    out = pd.DataFrame(rows, columns=["Country", "Date", "position", "Event", "Figure as reported", "Sources"])
    order = {c: i for i, c in enumerate(third["country"])}
    out = out.assign(_c=out["Country"].map(order)).sort_values(["_c", "position"])
    return out.drop(columns=["_c", "position"]).reset_index(drop=True)


def thailand_vs_arrivals(thai: pd.DataFrame, arrivals: pd.Series) -> pd.DataFrame:
    """Thailand's counts beside the ROK arrivals of the same year (different definitions!)."""
    t = thai.copy()
    t["year"] = t["year"].astype(int)
    t["rok_arrivals"] = t["year"].map(lambda y: arrivals.get(y, np.nan)).astype(float)
    full = ~t["partial_year"].fillna(False).astype(bool)
    t["count_vs_arrivals_pct"] = np.where(
        full & t["count"].notna(), 100 * t["count"].astype(float) / t["rok_arrivals"], np.nan
    )
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
        rows.append(
            {
                "event_id": eid,
                "date": g["date"].iloc[0],
                "when": date_label(g["date"].iloc[0]),
                "year": parse_date(g["date"].iloc[0])[0],
                "title": titles.get(eid, eid),
                "low": None if pd.isna(low) else int(low),
                "high": None if pd.isna(high) else int(high),
                "open_ended": open_ended,
                "reporters": len(g),
                "with_count": len(counted),
                "reported_by": "; ".join(f"{x.reporter}: {x.estimate_text}" for x in g.itertuples()),
            }
        )
    return pd.DataFrame(rows).sort_values("date").reset_index(drop=True)


def estimate_bounds(frame: pd.DataFrame, low: str = "low", high: str = "high") -> pd.DataFrame:
    """Add ``kind`` ('range', 'at least', 'up to', 'single') and the drawn ends of each estimate."""
    f = frame.copy()
    lo = f[low].astype("Float64").astype(float).to_numpy()
    hi = f[high].astype("Float64").astype(float).to_numpy()
    has_lo, has_hi = ~np.isnan(lo), ~np.isnan(hi)
    both = has_lo & has_hi
    kind = np.select(
        [both & (np.nan_to_num(lo) < np.nan_to_num(hi)), both, has_lo, has_hi],
        ["range", "single", "at least", "up to"],
        default="none",
    )
    f["kind"] = kind
    f["draw_low"] = np.where(has_lo, lo, hi)
    f["draw_high"] = np.where(has_hi, hi, lo)
    return f


def pct(x):
    """A mean log change as a percentage change."""
    return 100 * (math.exp(x) - 1)


def compute(data_dir=None, *, start_year=1998, end_year=None, event_window=2, n_perm: int = 10000) -> Results:
    """Every value the chapter's prose glues, with the frames its charts and tables draw."""
    res = Results()
    start_year, end_year = series.resolve_years(start_year, end_year, data_dir)
    event_window = int(event_window)
    years = series.window(series.yearly(data_dir), start_year, end_year)
    arrivals = years.set_index("year")["total"].astype(int)
    events = load("events", data_dir)
    res.put("start_year", start_year)
    res.put("end_year", end_year)
    res.put("event_window", event_window)
    res.put("n_years", len(arrivals))
    res.put("peak_year", int(arrivals.idxmax()))
    N_PERM = int(n_perm)

    timeline = timeline_events(events, start_year, end_year)
    categories = [c for c in TIMELINE_CATEGORIES if c in set(timeline["category"])]
    res.put("events_n_all", len(events))
    res.put("timeline_n_events", len(timeline))
    res.put("timeline_n_before", int((timeline["panel"] == "before").sum()))
    res.put("timeline_first_year", int(timeline["year"].min()))
    res.put("timeline_categories", ", ".join(categories))
    res.put("timeline_n_series", int((timeline["panel"] == "series").sum()))

    legend = alt.Legend(labelLimit=0)
    cat_colour = alt.Color(
        "category:N",
        title="Event type",
        legend=legend,
        scale=alt.Scale(domain=categories, range=charts.PALETTE[1 : 1 + len(categories)]),
    )
    cat_shape = alt.Shape("category:N", title="Event type", legend=legend, scale=alt.Scale(domain=categories))

    shown = timeline.loc[timeline["panel"] == "series"]

    per_year = shown.groupby("year").size()
    res.put("timeline_busiest_year", int(per_year.idxmax()))
    res.put("timeline_busiest_n", int(per_year.max()))

    windows = window_ratios(arrivals, event_window)
    per_event = event_windows(timeline, windows)
    band_low, band_high = np.exp(np.nanpercentile(windows["log_ratio"], [2.5, 97.5]))
    res.put("window_n_years", len(windows))
    res.put("window_band_low", band_low, 2)
    res.put("window_band_high", band_high, 2)
    res.put(
        "window_ratio_by_year", {str(int(y)): round(float(r), 4) for y, r in zip(windows["year"], windows["ratio"])}
    )
    complete = per_event[per_event["complete"]].copy()
    res.put("window_n_events_complete", len(complete))
    res.put("window_n_events_incomplete", int((~per_event["complete"]).sum()))

    event_years = set(timeline.loc[timeline["panel"] == "series", "year"])
    is_ev = windows["year"].isin(event_years).to_numpy()
    cmp_all = compare_years(windows["log_ratio"], is_ev, n_perm=N_PERM)
    ev_years = windows[is_ev]
    outside = ev_years[(ev_years["ratio"] < band_low) | (ev_years["ratio"] > band_high)]
    lo_row = ev_years.loc[ev_years["log_ratio"].idxmin()]
    hi_row = ev_years.loc[ev_years["log_ratio"].idxmax()]
    ref = windows["log_ratio"].to_numpy()
    res.put("n_permutations", N_PERM)
    res.put("window_n_event_years", cmp_all["n_event"])
    res.put("window_n_other_years", cmp_all["n_other"])
    res.put("window_event_mean_ratio", math.exp(cmp_all["mean_event"]), 2)
    res.put("window_other_mean_ratio", math.exp(cmp_all["mean_other"]), 2)
    res.put("window_diff_ratio", math.exp(cmp_all["difference"]), 2)
    res.put("window_diff_low", math.exp(cmp_all["low"]), 2)
    res.put("window_diff_high", math.exp(cmp_all["high"]), 2)
    res.put("window_perm_p", cmp_all["p"], 3)
    res.put("window_n_outside_band", len(outside))
    res.put("window_min_year", int(lo_row["year"]))
    res.put("window_min_ratio", lo_row["ratio"], 3)
    res.put("window_min_rank_pct", 100 * rank_p(lo_row["log_ratio"], ref), 1)
    res.put("window_max_year", int(hi_row["year"]))
    res.put("window_max_ratio", hi_row["ratio"], 3)
    res.put("window_max_rank_pct", 100 * rank_p(hi_row["log_ratio"], ref), 1)
    rows = []
    for cat in categories:
        yrs = set(timeline.loc[(timeline["panel"] == "series") & (timeline["category"] == cat), "year"])
        flag = windows["year"].isin(yrs).to_numpy()
        if flag.sum() == 0 or flag.all():
            continue
        c = compare_years(windows["log_ratio"], flag, n_perm=N_PERM)
        rows.append(
            {
                "Event type": cat,
                "Event years": c["n_event"],
                "Other years": c["n_other"],
                "Ratio, event years": round(math.exp(c["mean_event"]), 2),
                "Ratio, other years": round(math.exp(c["mean_other"]), 2),
                "Event ÷ other": round(math.exp(c["difference"]), 2),
                "Bootstrap 95% from": round(math.exp(c["low"]), 2),
                "to": round(math.exp(c["high"]), 2),
                "Permutation p": round(c["p"], 3),
            }
        )
        res.put(f"window_{cat}_ratio", math.exp(c["difference"]), 2)
        res.put(f"window_{cat}_p", c["p"], 3)
    category_table = pd.DataFrame(rows)
    res.put("window_category_min_p", category_table["Permutation p"].min(), 3)
    window_clear = cmp_all["p"] < 0.05 and (cmp_all["low"] > 0 or cmp_all["high"] < 0)
    res.put(
        "window_verdict",
        "event years as a group differ from other years"
        if window_clear
        else "event years as a group are not distinguishable from randomly chosen years",
    )
    res.frames["category_table"] = category_table

    closure_events = per_event[(per_event["category"] == "health") & per_event["complete"]]
    closure_events = closure_events[closure_events["year"] >= charts.CLOSURE_YEARS[0]]
    if len(closure_events):
        c0 = closure_events.iloc[0]
    else:  # no health event with a full window: use the first closure year itself
        c0 = windows.set_index("year").loc[charts.CLOSURE_YEARS[0]].to_dict() | {"year": charts.CLOSURE_YEARS[0]}
    res.put("closure_year", int(c0["year"]))
    res.put("closure_ratio", c0["ratio"], 4)
    res.put("closure_low", c0["low"], 4)
    res.put("closure_high", c0["high"], 4)
    res.put("closure_rank_pct", 100 * rank_p(math.log(c0["ratio"]), ref), 1)

    third = load("third_countries", data_dir)
    routes = third_country_table(third, events, end_year)
    res.put("n_countries", len(routes))
    res.put("country_list", ", ".join(routes["Country"]))
    res.frames["routes"] = routes

    res.frames["route_events"] = route_events(third, events, end_year)

    thai = load("thailand_transit", data_dir)
    thai = thai[thai["year"] <= end_year]
    tv = thailand_vs_arrivals(thai, series.yearly(data_dir).set_index("year")["total"])
    transit = tv[tv["measure"] == "transit via Thailand"].sort_values("year")
    share = tv[tv["measure"] == "share of ROK arrivals via Thailand"].sort_values("year")
    immig = tv[(tv["measure"] == "Thai immigration arrivals") & ~tv["partial_year"].astype(bool)].sort_values("year")
    res.put("thai_first_year", int(transit["year"].iloc[0]))
    res.put("thai_first_count", int(transit["count"].iloc[0]))
    res.put("thai_last_year", int(transit["year"].iloc[-1]))
    res.put("thai_last_count", int(transit["count"].iloc[-1]))
    res.put("thai_last_vs_arrivals_pct", transit["count_vs_arrivals_pct"].iloc[-1], 1)
    res.put(
        "thai_last_note",
        "more than all of them, so the two series cannot be counting the same people in the same way"
        if transit["count_vs_arrivals_pct"].iloc[-1] > 100
        else "the two series need not count the same people, so the share is only indicative",
    )
    res.put("thai_share_year", int(share["year"].iloc[0]))
    res.put("thai_share_pct", share["share_pct"].iloc[0], 1)
    res.put("thai_share_arrivals", int(share["rok_arrivals"].iloc[0]))
    res.put("thai_share_implied", int(round(share["implied_via_thailand"].iloc[0])))
    res.put("thai_immig_year", int(immig["year"].iloc[-1]))
    res.put("thai_immig_count", int(immig["count"].iloc[-1]))

    repat = load("repatriations", data_dir)
    repat = repat[repat["date"].str[:4].astype(int).between(start_year, end_year)]
    ranges = repatriation_ranges(repat, events)
    hidden = load("china_hidden_estimates", data_dir)
    res.put("repat_n_events", len(ranges))
    res.put("repat_n_reports", len(repat))
    res.put("repat_first_year", int(ranges["year"].min()))
    res.put("repat_last_year", int(ranges["year"].max()))
    gap_from = max(start_year, charts.CLOSURE_YEARS[0])
    missing = [y for y in range(gap_from, int(ranges["year"].max()) + 1) if y not in set(ranges["year"])]
    res.put("repat_years_without", " or ".join(str(y) for y in missing) if missing else "none of the years")
    res.put("repat_total_low", int(ranges["low"].sum()))
    res.put("repat_total_high", int(ranges["high"].sum()))
    big = ranges.loc[ranges["high"].idxmax()]
    res.put("repat_n_open_top", int(ranges["open_ended"].sum()))
    res.put("repat_big_title", big["title"])
    res.put("repat_big_when", big["when"])
    res.put("repat_big_low", int(big["low"]))
    res.put("repat_big_high", int(big["high"]))
    hrw_total = hidden[(hidden["publisher"] == "HRW") & (hidden["measure"] == "repatriated_cumulative")].iloc[0]
    hrw_rows = repat[(repat["reporter"] == "HRW") & (repat["date"].str[:4].astype(int) < int(hrw_total["year"]))]
    res.put("hrw_total_year", int(hrw_total["year"]))
    res.put("hrw_total_low", int(hrw_total["low"]))
    res.put("hrw_itemised_sum", int(hrw_rows["estimate_low"].sum()))
    diff_hrw = int(hrw_rows["estimate_low"].sum()) - int(hrw_total["low"])
    res.put("hrw_compare", "the same as" if diff_hrw == 0 else ("more than" if diff_hrw > 0 else "less than"))

    hb = estimate_bounds(hidden)
    hid = hb[hb["measure"] == "hiding"]
    hr = hid[hid["kind"] == "range"].sort_values("year").iloc[0]
    res.put("hiding_year", int(hr["year"]))
    res.put("hiding_low", int(hr["low"]))
    res.put("hiding_high", int(hr["high"]))
    res.put("hiding_fold", int(round(hr["high"] / hr["low"])))
    res.put("hiding_upto", int(hid[hid["kind"] == "up to"]["high"].iloc[0]))
    un = hb[(hb["measure"] == "detained") & hb["publisher"].str.contains("UN ")].iloc[0]
    res.put("un_detained", int(un["low"]))
    res.put("un_detained_year", int(un["year"]))
    nk = hb[(hb["measure"] == "repatriated_cumulative") & (hb["publisher"] == "NKDB")].iloc[0]
    res.put("nkdb_repatriated", int(nk["low"]))

    nuc = used(load("nuclear_tests", data_dir))
    nuc = nuc[(nuc["date"].dt.year >= start_year) & (nuc["date"].dt.year <= end_year)]
    growth = yearly_growth(arrivals)
    after = [y for y in years_after(nuc["date"]) if y in set(growth["year"])]
    closed = affected_by(growth["year"], charts.CLOSURE_YEARS[0], charts.CLOSURE_YEARS[1])
    growth["group"] = np.where(
        growth["year"].isin(after),
        "Year after a nuclear test",
        np.where(closed, "Compares with a closure year (left out)", "Other year"),
    )

    main_g = growth[~closed]
    cmp_main = compare_years(main_g["log_growth"], main_g["year"].isin(after), n_perm=N_PERM)
    era_from, era_to = int(nuc["date"].dt.year.min()), charts.CLOSURE_YEARS[0] - 1
    era = growth[(growth["year"] >= era_from) & (growth["year"] <= era_to)]
    cmp_era = compare_years(era["log_growth"], era["year"].isin(after), n_perm=N_PERM)
    cmp_every = compare_years(growth["log_growth"], growth["year"].isin(after), n_perm=N_PERM)
    res.put("nuclear_n_tests", len(nuc))
    res.put("nuclear_n_after_years", cmp_main["n_event"])
    res.put("nuclear_n_other_years", cmp_main["n_other"])
    res.put("nuclear_after_growth_pct", pct(cmp_main["mean_event"]), 1)
    res.put("nuclear_other_growth_pct", pct(cmp_main["mean_other"]), 1)
    for tag, c in (("", cmp_main), ("era_", cmp_era), ("all_", cmp_every)):
        res.put(f"nuclear_{tag}diff_pct", pct(c["difference"]), 1)
        res.put(f"nuclear_{tag}{'diff_' if not tag else ''}low_pct", pct(c["low"]), 1)
        res.put(f"nuclear_{tag}{'diff_' if not tag else ''}high_pct", pct(c["high"]), 1)
        res.put(f"nuclear_{tag}{'perm_' if not tag else ''}p", c["p"], 3)
    res.put(
        "nuclear_era_note",
        ": most of the gap in the main comparison comes from years outside the test era, "
        "such as the fast growth of the early 2000s"
        if abs(cmp_era["difference"]) < abs(cmp_main["difference"]) / 2
        else "",
    )
    decisive = all(c["low"] > 0 or c["high"] < 0 for c in (cmp_main, cmp_era, cmp_every)) and all(
        c["p"] < 0.05 for c in (cmp_main, cmp_era, cmp_every)
    )
    res.put("nuclear_can_tell", bool(decisive))
    res.put(
        "nuclear_verdict",
        "the arrivals differ after nuclear tests in every comparison"
        if decisive
        else "the arrivals data cannot tell whether China tightens the border after nuclear tests",
    )

    res.extra["v"] = dict(locals())
    return res


def timeline_chart(r: Results) -> charts.Figure:
    v = r.extra["v"]
    arrivals = v["arrivals"]
    cat_colour = v["cat_colour"]
    cat_shape = v["cat_shape"]
    categories = v["categories"]
    end_year = v["end_year"]
    shown = v["shown"]
    start_year = v["start_year"]
    timeline = v["timeline"]
    years = v["years"]
    lane = alt.YOffset("lane:O", scale=alt.Scale(paddingInner=0.1))
    event_tooltip = [
        alt.Tooltip("when:N", title="Date"),
        alt.Tooltip("category:N", title="Type"),
        alt.Tooltip("title:N", title="Event"),
        alt.Tooltip("description:N", title="What happened"),
        alt.Tooltip("number_text:N", title="Figure as reported"),
        alt.Tooltip("citation:N", title="Sources"),
    ]
    pick = alt.selection_point(fields=["event_id"], on="pointerover", empty=False, clear="pointerout")
    x_title = "Year (of the event; of arrival in South Korea)"
    x_dom = alt.Scale(domain=[start_year - 0.5, end_year + 0.5], nice=False, zero=False)
    y_cat = alt.Y("category:N", title=None, scale=alt.Scale(domain=categories), axis=alt.Axis(labelFontSize=11))
    tl_cols = [
        "event_id",
        "when",
        "year",
        "position",
        "lane",
        "category",
        "title",
        "description",
        "number_text",
        "citation",
        "panel",
    ]
    n_lanes = int(timeline["lane"].max()) + 1
    shown = timeline.loc[timeline["panel"] == "series", tl_cols]
    strip = (
        alt.Chart(shown)
        .mark_point(filled=True, size=90, opacity=0.85)
        .encode(
            x=alt.X("position:Q", title=None, scale=x_dom, axis=alt.Axis(format="d", tickMinStep=1, labels=False)),
            y=y_cat,
            yOffset=lane,
            color=cat_colour,
            shape=cat_shape,
            tooltip=event_tooltip,
        )
        .add_params(pick)
        .properties(
            width=620,
            height=12 * n_lanes * len(categories) + 12,
            title=alt.TitleParams("Events (point at the date; a year-only date sits mid-year)", fontSize=12),
        )
    )
    bars = (
        alt.Chart(years[["year"]].assign(total=years["total"].astype(int)))
        .mark_bar(color=charts.PALETTE[4], opacity=0.8, size=max(4, int(560 / len(years))))
        .encode(
            x=alt.X("year:Q", title=x_title, scale=x_dom, axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("total:Q", title="People arriving in South Korea (per year)"),
            tooltip=[
                alt.Tooltip("year:Q", title="Year", format="d"),
                alt.Tooltip("total:Q", title="Arrivals", format=","),
            ],
        )
    )
    rule = (
        alt.Chart(shown)
        .mark_rule(color=charts.HIGHLIGHT, strokeWidth=2)
        .encode(x=alt.X("position:Q", scale=x_dom, title=x_title), tooltip=event_tooltip)
        .transform_filter(pick)
    )
    band = charts.closure_band().encode(x=alt.X("start:Q", scale=x_dom, title=x_title))
    lower = (band + bars + rule).properties(width=620, height=260)
    main = alt.vconcat(strip, lower, spacing=4)
    before = timeline.loc[timeline["panel"] == "before", tl_cols]
    if len(before):
        early = (
            alt.Chart(before)
            .mark_point(filled=True, size=90, opacity=0.85)
            .encode(
                x=alt.X("year:O", title="Before the series"),
                y=y_cat,
                yOffset=lane,
                color=cat_colour,
                shape=cat_shape,
                tooltip=event_tooltip,
            )
            .properties(
                width=28 * before["year"].nunique() + 20,
                height=12 * n_lanes * len(categories) + 12,
                title=alt.TitleParams("Earlier", fontSize=12),
            )
        )
        chart: alt.TopLevelMixin = alt.hconcat(early, main, spacing=12)
    else:
        chart = main
    chart = chart.properties(
        title=alt.TitleParams(
            f"Border and diplomatic events and yearly arrivals, {start_year}–{end_year}",
            subtitle="Hover over an event for its date, description and sources; the grey band is the border closure",
        )
    )
    timeline_table = timeline[["when", "category", "title", "description", "number_text", "citation"]].rename(
        columns={
            "when": "Date",
            "category": "Type",
            "title": "Event",
            "description": "What happened",
            "number_text": "Figure as reported",
            "citation": "Sources",
        }
    )
    return charts.show(
        chart,
        name="diplomacy-timeline",
        description=(
            f"Timeline of {len(timeline)} border, diplomatic and health events above bars of yearly arrivals in "
            f"South Korea, {start_year} to {end_year}; {len(before)} events before {start_year} are in a "
            f"separate panel on the left. Arrivals rise to {int(arrivals.max()):,} in {int(arrivals.idxmax())} "
            f"and fall to {int(arrivals.min()):,} in {int(arrivals.idxmin())}."
        ),
        source="Events: the book's events table, each event with its sources (in the tooltip and the table); "
        "arrivals: Ministry of Unification.",
        data=timeline_table,
    )


def event_windows_chart(r: Results) -> charts.Figure:
    v = r.extra["v"]
    band_high = v["band_high"]
    band_low = v["band_low"]
    cat_colour = v["cat_colour"]
    cat_shape = v["cat_shape"]
    complete = v["complete"]
    event_window = v["event_window"]
    windows = v["windows"]
    complete["label"] = complete["when"] + " · " + complete["title"]
    complete = complete.assign(
        ratio=complete["ratio"].round(3),
        low=complete["low"].round(3),
        high=complete["high"].round(3),
        rank_p=complete["rank_p"].round(3),
    )
    ref_band = pd.DataFrame(
        {"lo": [band_low], "hi": [band_high], "label": [f"95% of all {len(windows)} years' window ratios"]}
    )
    order = list(complete["label"])
    y_ev = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=330, labelFontSize=11))
    ratio_title = f"Arrivals in the {event_window} years after ÷ the {event_window} years before (log scale)"
    x_ratio = alt.X("ratio:Q", title=ratio_title, scale=alt.Scale(type="log"))
    shade = (
        alt.Chart(ref_band)
        .mark_rect(color=charts.MUTED, opacity=0.18)
        .encode(
            x=alt.X("lo:Q", scale=alt.Scale(type="log"), title=ratio_title),
            x2="hi:Q",
            tooltip=[
                alt.Tooltip("label:N", title="Band"),
                alt.Tooltip("lo:Q", title="From", format=".2f"),
                alt.Tooltip("hi:Q", title="To", format=".2f"),
            ],
        )
    )
    one = alt.Chart(pd.DataFrame({"ratio": [1.0]})).mark_rule(color="#444", strokeDash=[3, 3]).encode(x=x_ratio)
    win_tooltip = [
        alt.Tooltip("when:N", title="Date"),
        alt.Tooltip("title:N", title="Event"),
        alt.Tooltip("before:Q", title="Arrivals before", format=","),
        alt.Tooltip("after:Q", title="Arrivals after", format=","),
        alt.Tooltip("ratio:Q", title="Ratio after/before", format=".2f"),
        alt.Tooltip("low:Q", title="Poisson interval from", format=".2f"),
        alt.Tooltip("high:Q", title="Poisson interval to", format=".2f"),
        alt.Tooltip("rank_p:Q", title="Share of all years moving as much", format=".2f"),
        alt.Tooltip("same_year_events:Q", title="Events sharing this year"),
    ]
    ticks = (
        alt.Chart(complete)
        .mark_rule(strokeWidth=2)
        .encode(
            y=y_ev,
            x=alt.X("low:Q", scale=alt.Scale(type="log"), title=ratio_title),
            x2="high:Q",
            color=cat_colour,
            tooltip=win_tooltip,
        )
    )
    dots = (
        alt.Chart(complete)
        .mark_point(filled=True, size=60)
        .encode(y=y_ev, x=x_ratio, color=cat_colour, shape=cat_shape, tooltip=win_tooltip)
    )
    wchart = (shade + one + ticks + dots).properties(
        width=420,
        height=15 * max(len(complete), 1),
        title=alt.TitleParams(
            f"Arrivals {event_window} years after each event relative to {event_window} years before",
            subtitle="Grey band: the range of the same ratio around any year; dashed line: no change",
        ),
    )
    return charts.show(
        wchart,
        name="diplomacy-event-windows",
        description=(
            f"Dot plot of the after-to-before arrivals ratio for {len(complete)} events with a complete "
            f"{event_window}-year window, on a log scale, against a grey band from {band_low:.2f} to "
            f"{band_high:.2f} that holds 95% of the ratios around any year. Events in the same year share a value."
        ),
        source="Ministry of Unification arrivals; events from the book's events table; ratios and intervals computed here.",
        data=complete[
            [
                "when",
                "title",
                "category",
                "year",
                "before",
                "after",
                "ratio",
                "low",
                "high",
                "rank_p",
                "same_year_events",
            ]
        ],
    )


def thailand_chart(r: Results) -> charts.Figure:
    v = r.extra["v"]
    data_dir = v["data_dir"]
    transit = v["transit"]
    tv = v["tv"]
    plot = tv.copy()
    plot["people"] = (
        plot["count"].astype("Float64").fillna(pd.Series(plot["implied_via_thailand"], index=plot.index).round())
    )
    plot["series"] = plot["measure"].replace(
        {"share of ROK arrivals via Thailand": "Implied from the reported share (derived)"}
    )
    plot.loc[plot["partial_year"].astype(bool), "series"] = plot["series"] + " (part year: " + plot["period"] + ")"
    plot["people"] = plot["people"].astype(float)
    plot["rok_arrivals"] = plot["rok_arrivals"].astype(float)
    plot = plot.dropna(subset=["people"])
    plot = plot.assign(note=plot["note"].fillna(""))[
        ["year", "measure", "period", "people", "share_pct", "rok_arrivals", "note", "series"]
    ]
    span = series.window(series.yearly(data_dir), int(plot["year"].min()), int(plot["year"].max()))
    span = span[["year"]].assign(total=span["total"].astype(int))
    domain = list(dict.fromkeys(plot["series"]))
    tbars = (
        alt.Chart(plot)
        .mark_bar(opacity=0.85)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("series:N", scale=alt.Scale(domain=domain)),
            y=alt.Y("people:Q", title="North Koreans (per year)"),
            color=alt.Color(
                "series:N",
                title="Thailand's measure",
                legend=alt.Legend(labelLimit=0, columns=2),
                scale=alt.Scale(domain=domain, range=charts.PALETTE[: len(domain)]),
            ),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("people:Q", title="People", format=","),
                alt.Tooltip("share_pct:Q", title="Share of ROK arrivals (%)"),
                alt.Tooltip("rok_arrivals:Q", title="Arrivals in South Korea", format=","),
                alt.Tooltip("note:N", title="Note"),
            ],
        )
    )
    tline = (
        alt.Chart(span)
        .mark_line(point=True, color=charts.TOTAL, strokeDash=[4, 2])
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("total:Q", title="North Koreans (per year)"),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("total:Q", title="Arrivals in South Korea", format=","),
            ],
        )
    )
    tchart = (tbars + tline).properties(
        width=620,
        height=280,
        title=alt.TitleParams(
            "North Koreans passing through Thailand, by the measure reported",
            subtitle="Bars: Thailand's figures; dashed line: arrivals in South Korea in the same year",
        ),
    )
    return charts.show(
        tchart,
        name="diplomacy-thailand",
        description=(
            f"Bar chart of North Koreans transiting Thailand, {int(plot['year'].min())} to "
            f"{int(plot['year'].max())}, by measure, with arrivals in South Korea as a dashed line. "
            f"Transit grows from {int(transit['count'].iloc[0]):,} in {int(transit['year'].iloc[0])} "
            f"to {int(transit['count'].iloc[-1]):,} in {int(transit['year'].iloc[-1])}; years without a bar were not reported."
        ),
        source="Wikipedia (tertiary, for transit 2004–2011); Thailand Immigration Bureau via Reuters (2016–2017); "
        "Ministry of Unification (arrivals).",
        data=tv[
            [
                "year",
                "measure",
                "period",
                "count",
                "share_pct",
                "partial_year",
                "rok_arrivals",
                "count_vs_arrivals_pct",
                "implied_via_thailand",
            ]
        ].round(1),
    )


def repatriations_chart(r: Results) -> charts.Figure:
    v = r.extra["v"]
    big = v["big"]
    ranges = v["ranges"]
    repat = v["repat"]
    pts = repat.merge(ranges[["event_id", "when", "title"]], on="event_id")
    pts = pts[pts["estimate_low"].notna()].copy()
    pts["label"] = pts["when"] + " · " + pts["title"]
    pts["low"] = pts["estimate_low"].astype(int)
    pts["high"] = pts["estimate_high"].astype("Float64").fillna(pts["estimate_low"]).astype(int)
    pts["kind"] = np.where(
        pts["estimate_high"].isna(),
        "more than (lower bound)",
        np.where(pts["low"] < pts["high"], "range", "single figure"),
    )
    pts["citation"] = pts["source"].map(citation)
    pts["note"] = pts["note"].fillna("")
    rep_x_title = "People returned to North Korea (as reported)"
    rep_order = list(dict.fromkeys(pts.sort_values("date")["label"]))
    y_rep = alt.Y("label:N", title=None, sort=rep_order, axis=alt.Axis(labelLimit=420))
    rep_tt = [
        alt.Tooltip("label:N", title="Event"),
        alt.Tooltip("reporter:N", title="Reported by"),
        alt.Tooltip("estimate_text:N", title="As worded"),
        alt.Tooltip("citation:N", title="Source"),
        alt.Tooltip("note:N", title="Note"),
    ]
    span_rule = (
        alt.Chart(ranges.assign(label=ranges["when"] + " · " + ranges["title"]))
        .mark_rule(color=charts.MUTED, strokeWidth=8, opacity=0.35)
        .encode(
            y=y_rep,
            x=alt.X("low:Q", title=rep_x_title),
            x2="high:Q",
            tooltip=[
                alt.Tooltip("label:N", title="Event"),
                alt.Tooltip("low:Q", title="Lowest figure"),
                alt.Tooltip("high:Q", title="Highest figure"),
                alt.Tooltip("reported_by:N", title="Reports"),
            ],
        )
    )
    rep_pts = (
        alt.Chart(pts)
        .mark_point(filled=True, size=80)
        .encode(
            y=y_rep,
            x=alt.X("low:Q", title=rep_x_title),
            yOffset=alt.YOffset("reporter:N"),
            color=alt.Color("reporter:N", title="Reported by"),
            shape=alt.Shape(
                "kind:N",
                title="Kind of figure",
                scale=alt.Scale(
                    domain=["single figure", "range", "more than (lower bound)"],
                    range=["circle", "square", "triangle-right"],
                ),
            ),
            tooltip=rep_tt,
        )
    )
    rep_hi = (
        alt.Chart(pts[pts["kind"] == "range"])
        .mark_rule(strokeWidth=2)
        .encode(
            y=y_rep,
            yOffset=alt.YOffset("reporter:N"),
            x=alt.X("low:Q", title=rep_x_title),
            x2="high:Q",
            color="reporter:N",
            tooltip=rep_tt,
        )
    )
    rchart = (span_rule + rep_hi + rep_pts).properties(
        width=400,
        height=60 * len(ranges),
        title=alt.TitleParams(
            "Forced repatriations from China: every reported figure per event",
            subtitle="Grey bar: lowest to highest figure; a right-pointing triangle is a 'more than' figure",
        ),
    )
    return charts.show(
        rchart,
        name="diplomacy-repatriations",
        description=(
            f"Dot plot of {len(pts)} reported counts for {len(ranges)} repatriation events from "
            f"{int(ranges['year'].min())} to {int(ranges['year'].max())}, coloured by reporter. The largest "
            f"event is reported at {int(big['low']):,} to {int(big['high']):,} people."
        ),
        source="Human Rights Watch, Radio Free Asia, Justice for North Korea, Yonhap, North Korean People's "
        "Liberation Front, as compiled in the book's repatriations table.",
        data=repat[["date", "event_id", "reporter", "estimate_low", "estimate_high", "estimate_text", "note"]],
    )


def china_estimates_chart(r: Results) -> charts.Figure:
    v = r.extra["v"]
    hb = v["hb"]
    hidden = v["hidden"]
    hr = v["hr"]
    hb = hb.assign(
        label=hb["publisher"] + " · " + hb["reference_period"],
        citation=hb["source"].map(citation),
        note=hb["note"].fillna(""),
        measure_label=hb["measure"].map(
            {
                "hiding": "Living in hiding in China",
                "detained": "Detained in China",
                "repatriated_cumulative": "Returned over a period (cumulative)",
            }
        ),
    )
    hb = hb[hb["kind"] != "none"]
    est_tt = [
        alt.Tooltip("publisher:N", title="Estimate by"),
        alt.Tooltip("reference_period:N", title="Refers to"),
        alt.Tooltip("text:N", title="As worded"),
        alt.Tooltip("kind:N", title="Kind"),
        alt.Tooltip("citation:N", title="Source"),
        alt.Tooltip("note:N", title="Note"),
    ]
    est_order = list(hb.sort_values(["measure", "year"])["label"])
    ey = alt.Y("label:N", title=None, sort=est_order, axis=alt.Axis(labelLimit=420))
    ex = alt.X("draw_low:Q", title="People (log scale)", scale=alt.Scale(type="log"))
    erule = (
        alt.Chart(hb)
        .mark_rule(strokeWidth=3)
        .encode(
            y=ey,
            x=ex,
            x2="draw_high:Q",
            color=alt.Color("measure_label:N", title="Estimate of", legend=alt.Legend(labelLimit=0)),
            tooltip=est_tt,
        )
    )
    eshape = alt.Shape(
        "kind:N",
        title="Kind of figure",
        scale=alt.Scale(
            domain=["range", "single", "at least", "up to"],
            range=["circle", "diamond", "triangle-right", "triangle-left"],
        ),
    )
    elo = (
        alt.Chart(hb)
        .mark_point(filled=True, size=80)
        .encode(y=ey, x=ex, color="measure_label:N", shape=eshape, tooltip=est_tt)
    )
    ehi = (
        alt.Chart(hb[hb["kind"] == "range"])
        .mark_point(filled=True, size=80)
        .encode(
            y=ey,
            x=alt.X("draw_high:Q", scale=alt.Scale(type="log"), title="People (log scale)"),
            color="measure_label:N",
            shape=eshape,
            tooltip=est_tt,
        )
    )
    echart = (erule + elo + ehi).properties(
        width=380,
        height=26 * len(hb),
        title=alt.TitleParams(
            "North Koreans hiding in, detained in and returned from China: published estimates",
            subtitle="Each as its author gave it; triangles mark 'more than' (▶) and 'up to' (◀) figures",
        ),
    )
    return charts.show(
        echart,
        name="diplomacy-china-estimates",
        description=(
            f"Range plot of {len(hb)} published estimates on a log scale: people hiding in China "
            f"({int(hr['low']):,} to {int(hr['high']):,} in {int(hr['year'])}), people detained, and people "
            f"returned over a period; the widest range spans a factor of {hr['high'] / hr['low']:.0f}."
        ),
        source="UNHCR working paper, Human Rights Watch, UN Special Rapporteur, NKDB, Justice for North Korea and "
        "others, as compiled in the book's table of China estimates.",
        data=hidden[["year", "reference_period", "publisher", "measure", "low", "high", "text", "note"]],
    )


def nuclear_chart(r: Results) -> charts.Figure:
    v = r.extra["v"]
    cmp_main = v["cmp_main"]
    growth = v["growth"]
    nuc = v["nuc"]
    gplot = growth.assign(growth_pct=growth["growth_pct"].round(1), previous=growth["previous"].astype(int))
    tests = nuc.assign(
        position=nuc["date"].dt.strftime("%Y-%m-%d").map(event_position),
        when=nuc["date"].dt.strftime("%-d %b %Y"),
        label="Nuclear test " + nuc["test_no"].astype(str),
        yield_text=nuc["yield_text"].fillna(""),
    )[["position", "when", "label", "magnitude", "yield_text"]]
    gdomain = ["Year after a nuclear test", "Other year", "Compares with a closure year (left out)"]
    gbars = (
        alt.Chart(gplot)
        .mark_bar(size=max(4, int(560 / len(gplot))))
        .encode(
            x=charts.year_axis(title="Year of arrival in South Korea"),
            y=alt.Y("growth_pct:Q", title="Change in arrivals from the year before (%)"),
            color=alt.Color(
                "group:N",
                title=None,
                legend=alt.Legend(labelLimit=0),
                scale=alt.Scale(domain=gdomain, range=[charts.HIGHLIGHT, charts.PALETTE[0], charts.MUTED]),
            ),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("growth_pct:Q", title="Change (%)", format=".1f"),
                alt.Tooltip("total:Q", title="Arrivals", format=","),
                alt.Tooltip("previous:Q", title="Year before", format=","),
            ],
        )
    )
    trules = (
        alt.Chart(tests)
        .mark_rule(color="#333", strokeDash=[2, 2])
        .encode(
            x=alt.X("position:Q", title="Year of arrival in South Korea"),
            tooltip=[
                alt.Tooltip("label:N", title="Test"),
                alt.Tooltip("when:N", title="Date"),
                alt.Tooltip("magnitude:Q", title="Magnitude"),
                alt.Tooltip("yield_text:N", title="Yield"),
            ],
        )
    )
    zero = (
        alt.Chart(pd.DataFrame({"y": [0]}))
        .mark_rule(color="#444")
        .encode(y=alt.Y("y:Q", title="Change in arrivals from the year before (%)"))
    )
    nchart = (gbars + zero + trules).properties(
        width=620,
        height=300,
        title=alt.TitleParams(
            "Yearly change in arrivals, and the years after North Korea's nuclear tests",
            subtitle="Dotted lines: test dates; orange bars: the year after a test",
        ),
    )
    return charts.show(
        nchart,
        name="diplomacy-nuclear-tests",
        description=(
            f"Bar chart of the yearly percentage change in arrivals, {int(growth['year'].min())} to "
            f"{int(growth['year'].max())}, with the {cmp_main['n_event']} years after a nuclear test highlighted "
            f"and the test dates marked. Their average change is {pct(cmp_main['mean_event']):.1f}%, against "
            f"{pct(cmp_main['mean_other']):.1f}% in the other years outside the closure."
        ),
        source="Ministry of Unification (arrivals); Business Standard and others (test dates); changes computed here.",
        data=gplot[["year", "total", "previous", "growth_pct", "group"]],
    )


def category_table(r: Results) -> charts.Table:
    return charts.table(r.frames["category_table"])


def routes_table(r: Results) -> charts.Table:
    return charts.table(r.frames["routes"][["Country", "Role", "Policy toward North Koreans", "Events", "Sources"]])


def route_events_table(r: Results) -> charts.Table:
    return charts.table(r.frames["route_events"])
