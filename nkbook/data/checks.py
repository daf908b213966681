"""Cross-checks that make the datasets consistent with each other.

Each check takes the validated frames (by resource name) and returns a list of
:class:`nkbook.data.Problem`. A check whose datasets are absent is skipped (the missing file is
reported by the loader).
"""

from __future__ import annotations

import pandas as pd

from .problems import Problem


def _line(frame: pd.DataFrame, pos: int) -> int | None:
    lines = frame.attrs.get("lines")
    return lines[pos] if lines and pos < len(lines) else None


def _fmt(n) -> str:
    return f"{int(n):,}"


def _used_positions(frame: pd.DataFrame) -> list[int]:
    if "used" not in frame.columns:
        return list(range(len(frame)))
    return [i for i, u in enumerate(frame["used"].tolist()) if u is True]


def sex_sums(frame: pd.DataFrame, key_cols: list[str]) -> list[Problem]:
    """male + female = total wherever all three are given (on the rows the analysis uses)."""
    problems: list[Problem] = []
    if not {"male", "female", "total"} <= set(frame.columns):
        return problems
    keep = set(_used_positions(frame))  # a variant kept as published (used=false) may carry its typo
    for i, row in enumerate(frame.itertuples(index=False)):
        if i not in keep:
            continue
        m, f, t = row.male, row.female, row.total
        if pd.notna(m) and pd.notna(f) and pd.notna(t) and m + f != t:
            key = ", ".join(f"{k} {getattr(row, k)}" for k in key_cols)
            problems.append(
                Problem(
                    frame.attrs["file"],
                    f"male + female = {_fmt(m + f)} but total = {_fmt(t)}",
                    line=_line(frame, i),
                    key=key,
                    column="total",
                )
            )
    return problems


def one_used_per_key(frame: pd.DataFrame, key_cols: list[str]) -> list[Problem]:
    """Where a dataset keeps variants, exactly one row per key is the one the analysis uses."""
    if "used" not in frame.columns:
        return []
    problems = []
    for key, group in frame.groupby(key_cols, dropna=False, sort=False):
        n = int(group["used"].fillna(False).astype(bool).sum())
        if n != 1:
            pos = frame.index.get_loc(group.index[0])
            label = ", ".join(f"{c} {v}" for c, v in zip(key_cols, key if isinstance(key, tuple) else (key,)))
            problems.append(
                Problem(
                    frame.attrs["file"],
                    f"{n} rows are marked used=true for this key; exactly one must be",
                    line=_line(frame, pos),
                    key=label,
                    column="used",
                )
            )
    return problems


def arrivals_buckets(frame: pd.DataFrame) -> list[Problem]:
    """Buckets and single years never overlap; years inside a bucket add up to at most the bucket."""
    problems, file = [], frame.attrs["file"]
    used = frame.iloc[_used_positions(frame)]
    top = used[used["part_of"].isna()]
    spans = []
    for pos, row in zip(top.index, top.itertuples(index=False)):
        first = row.first_year if pd.notna(row.first_year) else -(10**6)
        spans.append((first, row.last_year, row.period, frame.index.get_loc(pos)))
    spans.sort()
    for (_a0, a1, ap, _), (b0, _b1, bp, bpos) in zip(spans, spans[1:]):
        if b0 <= a1:
            problems.append(
                Problem(
                    file,
                    f"period {bp!r} overlaps period {ap!r}: a single year inside a bucket "
                    f"must name the bucket in part_of",
                    line=_line(frame, bpos),
                    key=f"period {bp}",
                    column="part_of",
                )
            )
    periods = dict(zip(top["period"], top.itertuples(index=False)))
    for pos, row in zip(used.index, used.itertuples(index=False)):
        if pd.isna(row.part_of):
            continue
        i = frame.index.get_loc(pos)
        parent = periods.get(row.part_of)
        if parent is None:
            problems.append(
                Problem(
                    file,
                    f"part_of names {row.part_of!r}, which is not a used period",
                    line=_line(frame, i),
                    key=f"period {row.period}",
                    column="part_of",
                )
            )
            continue
        lo = parent.first_year if pd.notna(parent.first_year) else -(10**6)
        if not (lo <= row.first_year and row.last_year <= parent.last_year):
            problems.append(
                Problem(
                    file,
                    f"years {row.first_year}-{row.last_year} are outside bucket {row.part_of!r}",
                    line=_line(frame, i),
                    key=f"period {row.period}",
                    column="part_of",
                )
            )
    for bucket, parent in periods.items():
        inner = used[used["part_of"] == bucket]
        if inner.empty:
            continue
        s = int(inner["total"].sum())
        covered = set()
        for r in inner.itertuples(index=False):
            covered |= set(range(int(r.first_year), int(r.last_year) + 1))
        full = pd.notna(parent.first_year) and covered == set(range(int(parent.first_year), int(parent.last_year) + 1))
        pos = frame.index.get_loc(top.index[list(top["period"]).index(bucket)])
        if s > parent.total or (full and s != parent.total):
            rule = "equal" if full else "be at most"
            problems.append(
                Problem(
                    file,
                    f"the single years inside bucket {bucket!r} add up to {_fmt(s)}, "
                    f"which should {rule} the bucket total {_fmt(parent.total)}",
                    line=_line(frame, pos),
                    key=f"period {bucket}",
                    column="total",
                )
            )
    return problems


def yearly_running_sum(yearly: pd.DataFrame) -> pd.DataFrame:
    """Cumulative arrivals at the end of each year from the used, non-overlapping periods."""
    used = yearly.iloc[_used_positions(yearly)]
    top = used[used["part_of"].isna()].sort_values("last_year")
    out = top[["last_year", "male", "female", "total"]].copy()
    for c in ["male", "female", "total"]:
        out[c] = out[c].cumsum()
    return out.rename(columns={"last_year": "year"}).reset_index(drop=True)


def _within_year(quarterly: pd.DataFrame | None, year: int, month: int) -> dict[str, int | None] | None:
    """Arrivals from 1 January to the end of ``month`` of ``year`` from the quarterly file (used rows),
    or None when the quarters and half-years published do not cover exactly that span."""
    if quarterly is None or month % 3:
        return None
    q = quarterly.iloc[_used_positions(quarterly)]
    q = q[q["year"] == year]
    k = month // 3
    if "period" in q.columns:
        half = q[q["period"] == "H1"]
        if k == 2 and len(half) == 1:
            return {
                c: (None if pd.isna(half[c].iloc[0]) else int(half[c].iloc[0])) for c in ["total", "male", "female"]
            }
        q = q[q["quarter"].notna()]
    inner = q[q["quarter"] <= k]
    if inner["quarter"].nunique() != k:
        return None
    return {c: (None if inner[c].isna().any() else int(inner[c].sum())) for c in ["total", "male", "female"]}


def cumulative_checkpoints(
    yearly: pd.DataFrame, cumulative: pd.DataFrame, quarterly: pd.DataFrame | None = None
) -> list[Problem]:
    """Each published cumulative checkpoint matches the running sum of the yearly series.

    A year-end checkpoint must equal the running sum, give or take the ``gap_*`` the data explain
    in ``note``. A checkpoint at the end of a quarter or half-year whose arrivals since 1 January
    are in the quarterly file must equal the previous year-end running sum plus those arrivals
    (same ``gap_*`` rule). Any other mid-year checkpoint must lie between the previous and the
    current year-end running sums.
    """
    problems, file = [], cumulative.attrs["file"]
    running = yearly_running_sum(yearly).set_index("year")
    gaps = [c for c in ("gap_total", "gap_male", "gap_female") if c in cumulative.columns]
    stated_gap_rows = [i for i in range(len(cumulative)) if cumulative.iloc[i][gaps].notna().any()] if gaps else []
    for i in sorted(
        set(_used_positions(cumulative)) | set(stated_gap_rows)
    ):  # a variant with its gap stated is checked too
        row = cumulative.iloc[i]
        as_of = pd.Timestamp(row["as_of"])
        year = as_of.year
        label = f"as_of {row.get('as_of_label', as_of.date())}"
        year_end = as_of.month == 12 and as_of.day == 31
        if year_end:
            if year not in running.index:
                continue
            for col in ["total", "male", "female"]:
                value = row.get(col)
                expected = running.at[year, col]
                if pd.isna(value) or pd.isna(expected):
                    continue
                gap = row.get(f"gap_{col}")
                gap = 0 if gap is None or pd.isna(gap) else int(gap)
                if int(expected) - int(value) != gap:
                    explained = f" (the data explain a gap of {gap})" if gap else ""
                    problems.append(
                        Problem(
                            file,
                            f"checkpoint {col} = {_fmt(value)} but the yearly series adds up to {_fmt(expected)} "
                            f"by the end of {year}{explained}",
                            line=_line(cumulative, i),
                            key=label,
                            column=col,
                        )
                    )
        elif (
            (part := _within_year(quarterly, year, as_of.month)) is not None
            and (as_of + pd.Timedelta(days=1)).day == 1
            and (year - 1) in running.index
        ):
            for col in ["total", "male", "female"]:
                value, since = row.get(col), part[col]
                base = running.at[year - 1, col]
                if pd.isna(value) or since is None or pd.isna(base):
                    continue
                expected = int(base) + since
                gap = row.get(f"gap_{col}")
                gap = 0 if gap is None or pd.isna(gap) else int(gap)
                if expected - int(value) != gap:
                    explained = f" (the data explain a gap of {gap})" if gap else ""
                    problems.append(
                        Problem(
                            file,
                            f"checkpoint {col} = {_fmt(value)} but the yearly series to the end of {year - 1} "
                            f"({_fmt(base)}) plus the {_fmt(since)} arrivals of {year} to {as_of.date()} in the "
                            f"quarterly file add up to {_fmt(expected)}{explained}",
                            line=_line(cumulative, i),
                            key=label,
                            column=col,
                        )
                    )
        else:
            prev = running.loc[running.index < year, "total"]
            cur = running.loc[running.index <= year, "total"]
            if prev.empty or year not in running.index:
                continue
            lo, hi = int(prev.iloc[-1]), int(cur.iloc[-1])
            if pd.notna(row["total"]) and not (lo <= row["total"] <= hi):
                problems.append(
                    Problem(
                        file,
                        f"mid-year checkpoint total = {_fmt(row['total'])} is outside the yearly series' range "
                        f"{_fmt(lo)}-{_fmt(hi)} for {year}",
                        line=_line(cumulative, i),
                        key=label,
                        column="total",
                    )
                )
    return problems


HALVES = {"H1": (1, 2), "H2": (3, 4)}


def _year_totals(yearly: pd.DataFrame) -> pd.DataFrame:
    y = yearly.iloc[_used_positions(yearly)]
    return y[(y["granularity"] == "year") & y["part_of"].isna()].set_index("first_year")


def _is_half(period) -> bool:
    return isinstance(period, str) and period in HALVES


def quarter_periods(quarterly: pd.DataFrame) -> list[Problem]:
    """A quarter row (period Q1-Q4) names its quarter; a half-year row (H1/H2) has no quarter."""
    problems: list[Problem] = []
    file = quarterly.attrs["file"]
    if "period" not in quarterly.columns:
        return problems
    for i, row in enumerate(quarterly.itertuples(index=False)):
        label = f"year {row.year}, period {row.period}"
        if _is_half(row.period):
            if pd.notna(row.quarter):
                problems.append(
                    Problem(
                        file,
                        f"a half-year row ({row.period}) must leave quarter empty, never split "
                        f"into quarters (found {row.quarter})",
                        line=_line(quarterly, i),
                        key=label,
                        column="quarter",
                    )
                )
        elif pd.isna(row.quarter) or f"Q{int(row.quarter)}" != row.period:
            problems.append(
                Problem(
                    file,
                    f"period {row.period} but quarter = {row.quarter}",
                    line=_line(quarterly, i),
                    key=label,
                    column="quarter",
                )
            )
    return problems


def quarters_sum(yearly: pd.DataFrame, quarterly: pd.DataFrame) -> list[Problem]:
    """Quarters and half-years agree with each other and with the year.

    All four quarters add up to the year; fewer add up to at most the year. A half-year equals its
    two quarters where both are given and is at most the year; two halves add up to the year.
    """
    problems: list[Problem] = []
    file = quarterly.attrs["file"]
    q = quarterly.iloc[_used_positions(quarterly)]
    if "period" in q.columns:
        halves = q[q["period"].map(_is_half)]
        q = q[~q["period"].map(_is_half)]
    else:
        halves = q.iloc[0:0]
    y = _year_totals(yearly)

    def flag(rows: pd.DataFrame, col: str, rule: str) -> None:
        pos = quarterly.index.get_loc(rows.index[-1])
        row = quarterly.iloc[pos]
        key = f"year {row['year']}" + (f", period {row['period']}" if "period" in quarterly.columns else "")
        problems.append(Problem(file, rule, line=_line(quarterly, pos), key=key, column=col))

    for year, group in q.groupby("year"):
        if year not in y.index:
            continue
        for col in ["total", "male", "female"]:
            if group[col].isna().any() or pd.isna(y.at[year, col]):
                continue
            s, yv = int(group[col].sum()), int(y.at[year, col])
            if group["quarter"].nunique() == 4 and s != yv:
                flag(group, col, f"the four quarters' {col} add up to {_fmt(s)} but the year's {col} is {_fmt(yv)}")
            elif s > yv:
                flag(
                    group,
                    col,
                    f"the {group['quarter'].nunique()} quarters' {col} add up to {_fmt(s)}, above the "
                    f"year's {col} {_fmt(yv)}",
                )
    for pos_label, row in halves.iterrows():
        year, period = row["year"], row["period"]
        one = halves.loc[[pos_label]]
        inner = q[(q["year"] == year) & q["quarter"].isin(HALVES[period])]
        for col in ["total", "male", "female"]:
            hv = row[col]
            if pd.isna(hv):
                continue
            if inner["quarter"].nunique() == 2 and inner[col].notna().all() and int(inner[col].sum()) != int(hv):
                a, b = HALVES[period]
                flag(
                    one,
                    col,
                    f"half-year {period} {col} = {_fmt(hv)} but quarters Q{a} + Q{b} add up to "
                    f"{_fmt(inner[col].sum())}",
                )
            if year in y.index and pd.notna(y.at[year, col]) and int(hv) > int(y.at[year, col]):
                flag(
                    one, col, f"half-year {period} {col} = {_fmt(hv)} is above the year's {col} {_fmt(y.at[year, col])}"
                )
    for year, group in halves.groupby("year"):
        if group["period"].nunique() != 2 or year not in y.index:
            continue
        for col in ["total", "male", "female"]:
            if group[col].isna().any() or pd.isna(y.at[year, col]):
                continue
            if int(group[col].sum()) != int(y.at[year, col]):
                flag(
                    group,
                    col,
                    f"the two half-years' {col} add up to {_fmt(group[col].sum())} but the year's "
                    f"{col} is {_fmt(y.at[year, col])}",
                )
    return problems


def census_sums(census: pd.DataFrame) -> list[Problem]:
    """Census rows add up: the provinces of a census give its national household total, a part is
    at most its province, and male + female + sex_unallocated = population where all are given."""
    problems, file = [], census.attrs["file"]
    keep = _used_positions(census)
    used = census.iloc[keep]
    for i in keep:
        row = census.iloc[i]
        label = f"census_year {row['census_year']}, province {row['province']}"
        parts = [row.get("male"), row.get("female"), row.get("sex_unallocated")]
        if pd.notna(row["population"]) and all(pd.notna(v) for v in parts):
            s = int(sum(int(v) for v in parts))
            if s != int(row["population"]):
                problems.append(
                    Problem(
                        file,
                        f"male + female + sex_unallocated = {_fmt(s)} but population = {_fmt(row['population'])}",
                        line=_line(census, i),
                        key=label,
                        column="population",
                    )
                )
        if row["level"] == "part":
            parent = used[
                (used["census_year"] == row["census_year"])
                & (used["province"] == row["part_of"])
                & (used["level"] == "province")
            ]
            if parent.empty:
                problems.append(
                    Problem(
                        file,
                        f"part_of names {row['part_of']!r}, which is not a province of the {row['census_year']} census",
                        line=_line(census, i),
                        key=label,
                        column="part_of",
                    )
                )
            elif (
                pd.notna(row["population"])
                and pd.notna(parent["population"].iloc[0])
                and row["population"] > parent["population"].iloc[0]
            ):
                problems.append(
                    Problem(
                        file,
                        f"population {_fmt(row['population'])} is above its province's "
                        f"{_fmt(parent['population'].iloc[0])}",
                        line=_line(census, i),
                        key=label,
                        column="population",
                    )
                )
    for year, group in used.groupby("census_year"):
        provinces = group[group["level"] == "province"]
        for basis, national in group[group["level"] == "national"].groupby("basis"):
            inner = (
                provinces[provinces["basis"].isin([basis, "as_published"])]
                if basis == "total"
                else provinces[provinces["basis"] == basis]
            )
            if inner.empty or pd.isna(national["population"].iloc[0]):
                continue
            total = int(national["population"].iloc[0])
            s = int(inner["population"].sum())
            complete = inner["population"].notna().all()
            pos = census.index.get_loc(national.index[0])
            if (complete and s != total) or s > total:
                rule = "equal" if complete else "be at most"
                problems.append(
                    Problem(
                        file,
                        f"the {len(inner)} provinces of the {year} census add up to "
                        f"{_fmt(s)}, which should {rule} the national {basis} total "
                        f"{_fmt(total)}",
                        line=_line(census, pos),
                        key=f"census_year {year}, province {national['province'].iloc[0]}",
                        column="population",
                    )
                )
    return problems


def run_all(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    problems: list[Problem] = []
    yearly = frames.get("arrivals_yearly")
    if yearly is not None:
        problems += sex_sums(yearly, ["period", "variant"])
        problems += one_used_per_key(yearly, ["period"])
        problems += arrivals_buckets(yearly)
    quarterly = frames.get("arrivals_quarterly")
    if quarterly is not None:
        problems += sex_sums(quarterly, ["year", "period"] if "period" in quarterly.columns else ["year", "quarter"])
        problems += quarter_periods(quarterly)
        if yearly is not None:
            problems += quarters_sum(yearly, quarterly)
    cumulative = frames.get("arrivals_cumulative")
    if cumulative is not None:
        problems += sex_sums(cumulative, ["as_of"])
        if yearly is not None:
            problems += cumulative_checkpoints(yearly, cumulative, quarterly)
    census = frames.get("population_census")
    if census is not None:
        problems += one_used_per_key(census, ["census_year", "province", "basis"])
        problems += census_sums(census)
    return problems
