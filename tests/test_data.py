"""Issue 3: the data layer. Every bad input gets a clear error naming file, line, column and rule."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, copy_data, edit_csv

from nkbook.data import DATA_DIR, DataError, describe, load, resources, validate_folder


@pytest.fixture
def data(tmp_path):
    return copy_data(tmp_path / "data")


def problems_of(folder) -> list[str]:
    with pytest.raises(DataError) as info:
        validate_folder(folder)
    return [str(p) for p in info.value.problems]


def line_of(path: Path, **match) -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            if all(row[k] == v for k, v in match.items()):
                return i
    raise AssertionError(match)


def test_committed_data_is_valid():
    frames = validate_folder()
    assert set(frames) == set(resources())


def test_descriptor_matches_the_files():
    assert describe.drift() == [], "run `make describe` after editing data/"


def test_every_resource_has_sources_and_license():
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
    for name, res in resources().items():
        assert res.get("sources"), name
        assert res.get("licenses"), name
        for src in res["sources"]:
            assert src.get("bib") in keys, (name, src)
            assert src.get("path", "").startswith("http") or src.get("via"), (name, src)
            if src.get("path", "").startswith("http"):  # a web source says when it was read
                assert re.match(r"\d{4}-\d{2}-\d{2}$", src.get("accessed", "")), (name, src)
        assert res.get("hash", "").startswith("sha256:"), name


def test_every_row_cites_a_known_source():
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
    for name in resources():
        frame = load(name)
        if "source" not in frame.columns:
            continue
        for cell in frame["source"]:
            for key in str(cell).split(";"):
                assert key.strip() in keys, f"{name}: unknown source key {key!r}"


def test_missing_file(data):
    (data / "gdp_growth.csv").unlink()
    msgs = problems_of(data)
    assert any("gdp_growth.csv" in m and "missing" in m for m in msgs), msgs


def test_empty_file(data):
    (data / "markets.csv").write_text("", encoding="utf-8")
    msgs = problems_of(data)
    assert any("markets.csv" in m and "empty" in m for m in msgs), msgs


def test_renamed_column(data):
    path = data / "arrivals_yearly.csv"
    text = path.read_text(encoding="utf-8").replace(",total,", ",Total,", 1)
    path.write_text(text, encoding="utf-8")
    msgs = problems_of(data)
    assert any("arrivals_yearly.csv line 1" in m and "column total" in m and "'Total'" in m for m in msgs), msgs


@pytest.mark.parametrize("bad, expected", [("1,047", "thousands separators"), ("n/a", "leave a missing value empty")])
def test_number_written_as_text(data, bad, expected):
    path = data / "arrivals_yearly.csv"
    edit_csv(path, {"period": "2019", "variant": "final"}, {"total": bad})
    line = line_of(path, period="2019", variant="final")
    msgs = problems_of(data)
    assert any(
        f"arrivals_yearly.csv line {line} (period 2019" in m and "column total" in m and expected in m for m in msgs
    ), msgs


def test_negative_count(data):
    path = data / "sea_arrivals.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    count_col = next(c for c in rows[0] if c in ("people", "count", "persons"))
    first = rows[0]
    edit_csv(path, {k: first[k] for k in list(first)[:1]}, {count_col: "-3"})
    msgs = problems_of(data)
    assert any("sea_arrivals.csv line 2" in m and f"column {count_col}" in m and "negative" in m for m in msgs), msgs


def test_duplicated_year(data):
    path = data / "gdp_growth.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines + [lines[1]]), encoding="utf-8")
    msgs = problems_of(data)
    assert any(f"gdp_growth.csv line {len(lines) + 1}" in m and "duplicated key" in m for m in msgs), msgs


def test_year_in_the_future(data):
    import datetime

    next_year = str(datetime.date.today().year + 1)
    path = data / "arrivals_yearly.csv"
    edit_csv(path, {"period": "2025", "variant": "revised"}, {"first_year": next_year, "last_year": next_year})
    msgs = problems_of(data)
    assert any(
        "arrivals_yearly.csv" in m and "column last_year" in m and f"year {next_year} is in the future" in m
        for m in msgs
    ), msgs


def test_male_plus_female_not_total(data):
    path = data / "arrivals_yearly.csv"
    edit_csv(path, {"period": "2013", "variant": "final"}, {"total": "1500"})
    line = line_of(path, period="2013", variant="final")
    msgs = problems_of(data)
    assert any(
        f"arrivals_yearly.csv line {line} (period 2013, variant final), column total: "
        f"male + female = 1,514 but total = 1,500" in m
        for m in msgs
    ), msgs


def test_checkpoint_contradicts_yearly_series(data):
    path = data / "arrivals_cumulative.csv"
    edit_csv(path, {"as_of": "2024-12-31", "variant": "published"}, {"total": "34400", "male": "", "female": ""})
    line = line_of(path, as_of="2024-12-31", variant="published")
    msgs = problems_of(data)
    assert any(
        f"arrivals_cumulative.csv line {line}" in m and "column total" in m and "34,400" in m and "34,314" in m
        for m in msgs
    ), msgs


def test_bucket_overlapping_single_year(data):
    path = data / "arrivals_yearly.csv"
    edit_csv(path, {"period": "2000", "variant": "final"}, {"part_of": ""})
    msgs = problems_of(data)
    assert any("overlaps" in m and "2000" in m for m in msgs), msgs


def test_resource_missing_from_another_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "arrivals_yearly.csv").write_bytes((DATA_DIR / "arrivals_yearly.csv").read_bytes())
    msgs = problems_of(folder)
    assert any("gdp_growth.csv" in m and "chapters need" in m for m in msgs), msgs
    assert not any("arrivals_yearly.csv" in m for m in msgs), msgs


def test_bom_and_windows_line_endings_are_accepted(data):
    path = data / "arrivals_yearly.csv"
    raw = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + raw)
    frames = validate_folder(data)
    assert frames["arrivals_yearly"].equals(load("arrivals_yearly"))


def test_markup_is_accepted_as_plain_text(data):
    path = data / "arrivals_yearly.csv"
    edit_csv(
        path, {"period": "2019", "variant": "final"}, {"note": "<script>alert(1)</script><img src=x onerror=alert(2)>"}
    )
    frame = validate_folder(data)["arrivals_yearly"]
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in set(frame["note"].dropna())


def test_cli_refuses_bad_data_and_names_the_cell(data, tmp_path):
    edit_csv(data / "arrivals_yearly.csv", {"period": "2013", "variant": "final"}, {"total": "1500"})
    proc = subprocess.run(
        [sys.executable, "-m", "nkbook", "build", "--data-dir", str(data), "--build-dir", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "arrivals_yearly.csv line" in proc.stderr and "column total" in proc.stderr
    assert not (tmp_path / "b" / "html").exists()  # nothing ran, nothing written


# --------------------------------------------------------------------------------------------
# issue 18 item 1: the 2008 census by province


def test_census_provinces_sum_to_the_national_household_total():
    rows = list(csv.DictReader(open(DATA_DIR / "population_census.csv", encoding="utf-8")))
    used_2008 = [r for r in rows if r["census_year"] == "2008" and r["used"] == "true" and r["basis"] == "household"]
    national = [int(r["population"]) for r in used_2008 if r["level"] == "national"]
    provinces = [r for r in used_2008 if r["level"] == "province"]
    assert national == [23349859]
    assert len(provinces) == 10
    assert sum(int(r["population"]) for r in provinces) == national[0]
    # the known gaps stay gaps: Samchon's people are unallocated by sex, never estimated
    sh = next(r for r in provinces if r["province"] == "South Hwanghae")
    assert int(sh["male"]) + int(sh["female"]) + int(sh["sex_unallocated"]) == int(sh["population"])
    assert int(sh["sex_unallocated"]) > 0
    assert all(r["derived"] == "true" for r in provinces)  # the sex split is our aggregation
    # a part (Rason) is inside its province, never a province of its own
    assert not any(r["province"] == "Rason" for r in provinces)
    census = load("population_census")
    assert set(census["census_year"]) == {1993, 2008}


def test_census_province_contradicting_the_national_total_is_refused(data):
    path = data / "population_census.csv"
    edit_csv(path, {"census_year": "2008", "province": "Kangwon"}, {"population": "1477682", "sex_unallocated": "100"})
    line = line_of(path, census_year="2008", province="North Korea", basis="household")
    msgs = problems_of(data)
    assert any(
        f"population_census.csv line {line}" in m
        and "column population" in m
        and "23,349,959" in m
        and "23,349,859" in m
        for m in msgs
    ), msgs


def test_census_sex_split_must_add_up(data):
    path = data / "population_census.csv"
    edit_csv(path, {"census_year": "2008", "province": "South Hwanghae"}, {"sex_unallocated": "0"})
    line = line_of(path, census_year="2008", province="South Hwanghae")
    msgs = problems_of(data)
    assert any(
        f"population_census.csv line {line}" in m and "column population" in m and "sex_unallocated" in m for m in msgs
    ), msgs


# --------------------------------------------------------------------------------------------
# issue 18 item 4: quarterly updates, half-year rows, cumulative checkpoints


def test_half_year_row_is_accepted_and_agrees_with_quarters_and_year():
    q = load("arrivals_quarterly")
    used_q = q[q["used"].astype(bool)]
    half = used_q[used_q["period"] == "H1"]
    assert len(half[half["year"] == 2025]) == 1
    h1 = half[half["year"] == 2025].iloc[0]
    assert pd.isna(h1["quarter"])  # a half-year is never split into quarters
    quarters = used_q[(used_q["year"] == 2025) & used_q["quarter"].isin([1, 2])]
    for col in ["total", "male", "female"]:
        assert int(quarters[col].sum()) == int(h1[col])
    y = load("arrivals_yearly")
    y2025 = y[(y["period"] == "2025") & y["used"].astype(bool)].iloc[0]
    assert int(h1["total"]) <= int(y2025["total"])
    # quarter rows keep working for code that filters them
    assert (
        used_q[used_q["quarter"].notna()]["period"]
        == "Q" + used_q[used_q["quarter"].notna()]["quarter"].astype(int).astype(str)
    ).all()


@pytest.mark.parametrize(
    "changes, column, expected",
    [
        ({"total": "97", "female": "89"}, "total", "quarters Q1 + Q2 add up to 96"),
        ({"male": "9", "female": "87"}, "male", "quarters Q1 + Q2 add up to 8"),
    ],
)
def test_half_year_contradicting_its_quarters_is_refused(data, changes, column, expected):
    path = data / "arrivals_quarterly.csv"
    edit_csv(path, {"year": "2025", "period": "H1"}, changes)
    line = line_of(path, year="2025", period="H1")
    msgs = problems_of(data)
    assert any(
        f"arrivals_quarterly.csv line {line} (year 2025, period H1), column {column}" in m and expected in m
        for m in msgs
    ), msgs


def test_half_year_contradicting_its_year_is_refused(data):
    path = data / "arrivals_quarterly.csv"
    # drop the derived Q2 so only the year can contradict the half-year
    rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(r for r in rows if not r.startswith("2025,2,Q2,")), encoding="utf-8")
    edit_csv(path, {"year": "2025", "period": "H1"}, {"total": "300", "male": "100", "female": "200"})
    line = line_of(path, year="2025", period="H1")
    msgs = problems_of(data)
    assert any(
        f"arrivals_quarterly.csv line {line} (year 2025, period H1), column total" in m
        and "above the year's total 223" in m
        for m in msgs
    ), msgs


def test_half_year_row_with_a_quarter_is_refused(data):
    path = data / "arrivals_quarterly.csv"
    edit_csv(path, {"year": "2025", "period": "H1"}, {"quarter": "2"})
    line = line_of(path, year="2025", period="H1")
    msgs = problems_of(data)
    assert any(
        f"arrivals_quarterly.csv line {line}" in m and "column quarter" in m and "half-year" in m for m in msgs
    ), msgs


def test_quarter_and_half_year_checkpoints_follow_the_running_sum():
    from nkbook.data.checks import yearly_running_sum

    y, q, c = load("arrivals_yearly"), load("arrivals_quarterly"), load("arrivals_cumulative")
    running = yearly_running_sum(y).set_index("year")["total"]
    q = q[q["used"].astype(bool)]
    c = c.set_index(c["as_of"].dt.strftime("%Y-%m-%d"))["total"]

    def upto(year, periods):
        return int(running[year - 1]) + int(q[(q["year"] == year) & q["period"].isin(periods)]["total"].sum())

    assert c["2023-03-31"] == upto(2023, ["Q1"]) == 33916
    assert c["2023-06-30"] == upto(2023, ["Q1", "Q2"]) == 33981
    assert c["2025-03-31"] == upto(2025, ["Q1"]) == 34352
    assert c["2025-06-30"] == upto(2025, ["H1"]) == 34410


def test_quarter_checkpoint_contradicting_the_running_sum_is_refused(data):
    path = data / "arrivals_cumulative.csv"
    edit_csv(path, {"as_of": "2025-06-30"}, {"total": "34420"})
    line = line_of(path, as_of="2025-06-30")
    msgs = problems_of(data)
    assert any(
        f"arrivals_cumulative.csv line {line}" in m and "column total" in m and "34,420" in m and "34,410" in m
        for m in msgs
    ), msgs


# --------------------------------------------------------------------------------------------
# issue 17 item 5: variants, attributions, descriptor sources


def test_descriptor_lists_every_source_its_rows_cite():
    for name, res in resources().items():
        frame = load(name)
        if "source" not in frame.columns:
            continue
        cited = {k.strip() for cell in frame["source"] for k in str(cell).split(";")}
        listed = {s["bib"] for s in res["sources"]}
        assert cited <= listed, (name, sorted(cited - listed))


def test_missing_variants_are_kept_unused():
    y = load("arrivals_yearly")
    release = y[y["source"] == "mou_release_2012_01_11"]
    assert not release["used"].any()
    assert set(release["period"]) >= {"≤1998", "1999–2001", *map(str, range(2002, 2012))}
    r2009 = release[release["period"] == "2009"].iloc[0]
    assert (r2009["male"], r2009["female"], r2009["total"]) == (666, 2261, 2927)
    assert (
        int(release[release["period"] != "≤1998"]["total"].sum() + release[release["period"] == "≤1998"]["total"].sum())
        == 23100
    )
    assert ((y["period"] == "2012") & (y["total"] == 1508) & (y["variant"] == "provisional")).any()
    v2015 = y[(y["period"] == "2015") & (y["total"] == 1277)].iloc[0]
    assert v2015["female"] == 1025 and not v2015["used"]
    final2012 = y[(y["period"] == "2012") & y["used"].astype(bool)].iloc[0]
    assert "datasom_2023" not in final2012["source"]


def test_arrivals_to_1989_inside_the_first_bucket():
    early = load("arrivals_early")
    row = early[early["period"] == "≤1989"].iloc[0]
    assert (row["male"], row["female"]) == (564, 43)
    assert row["total"] == row["male"] + row["female"] and row["derived"]
    y = load("arrivals_yearly")
    bucket = y[(y["period"] == "≤1998") & y["used"].astype(bool)].iloc[0]
    assert early["total"].sum() <= bucket["total"]


def test_notes_use_bibliography_keys_not_fact_sheet_ids():
    pattern = re.compile(r"\b(S\d{1,3}|S-MOU-\d+|CHN-\d+|MOU-\d+)\b")
    for name in resources():
        if name == "claims":
            continue
        frame = load(name)
        for col in ("note", "as_of_label"):
            if col in frame.columns:
                hits = [v for v in frame[col].dropna() if pattern.search(str(v))]
                assert not hits, (name, col, hits)


def test_cumulative_gaps_filled_where_explained():
    c = load("arrivals_cumulative")
    end2017 = c[(c["as_of"] == "2017-12-31") & c["used"].astype(bool)].iloc[0]
    assert end2017["gap_total"] == 0 and end2017["gap_female"] == 1
    first = c[(c["as_of"] == "2025-12-31") & (c["variant"] == "first_announced")].iloc[0]
    assert (first["gap_total"], first["gap_male"], first["gap_female"]) == (-1, -1, 0)


# --------------------------------------------------------------------------------------------
# issue 14 item 8: the standard agrees, and the loader enforces every declared constraint


def test_frictionless_validates_the_descriptor():
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(DATA_DIR / "datapackage.json"))
    assert report.valid, report.flatten(["title", "rowNumber", "fieldName", "note"])[:10]
    for res in resources().values():
        assert res["dialect"]["delimiter"] == ","


def test_claim_id_breaking_its_pattern_is_refused(data):
    path = data / "claims.csv"
    first = next(csv.DictReader(open(path, encoding="utf-8")))
    edit_csv(path, {"claim_id": first["claim_id"]}, {"claim_id": "Bad ID!"})
    msgs = problems_of(data)
    assert any(
        "claims.csv line 2" in m and "column claim_id" in m and "'Bad ID!'" in m and "pattern" in m for m in msgs
    ), msgs


@pytest.mark.parametrize(
    "constraint, value, expected",
    [
        ({"pattern": "^[a-z]+$"}, "abc1", "does not match the pattern"),
        ({"minLength": 5}, "abc", "shorter than 5"),
        ({"maxLength": 2}, "abc", "longer than 2"),
        ({"enum": ["x", "y"]}, "abc", "is not one of"),
        ({"madeUp": 1}, "abc", "does not know"),
    ],
)
def test_every_declared_string_constraint_is_enforced(tmp_path, constraint, value, expected):
    from nkbook.data import read_resource

    (tmp_path / "t.csv").write_text(f"name\n{value}\n", encoding="utf-8")
    resource = {
        "name": "t",
        "path": "t.csv",
        "schema": {"fields": [{"name": "name", "type": "string", "constraints": constraint}]},
    }
    with pytest.raises(DataError) as info:
        read_resource(resource, tmp_path)
    msgs = [str(p) for p in info.value.problems]
    assert any("t.csv line 2" in m and "column name" in m and expected in m for m in msgs), msgs


@pytest.mark.parametrize(
    "constraint, value, expected",
    [
        ({"exclusiveMinimum": 3}, "3", "must be above 3"),
        ({"exclusiveMaximum": 3}, "3", "must be below 3"),
        ({"maximum": 3}, "4", "above the maximum 3"),
    ],
)
def test_every_declared_numeric_constraint_is_enforced(tmp_path, constraint, value, expected):
    from nkbook.data import read_resource

    (tmp_path / "t.csv").write_text(f"n\n{value}\n", encoding="utf-8")
    resource = {
        "name": "t",
        "path": "t.csv",
        "schema": {"fields": [{"name": "n", "type": "integer", "constraints": constraint}]},
    }
    with pytest.raises(DataError) as info:
        read_resource(resource, tmp_path)
    assert any("line 2" in str(p) and expected in str(p) for p in info.value.problems)


def test_loader_knows_every_constraint_the_descriptor_uses():
    from nkbook.data.load import KNOWN_CONSTRAINTS

    used_constraints = {
        k for r in resources().values() for f in r["schema"]["fields"] for k in f.get("constraints", {})
    }
    assert used_constraints <= KNOWN_CONSTRAINTS


def test_a_reading_of_an_unknown_claim_is_refused_before_anything_runs(tmp_path):
    from nkbook.build import driver

    data = copy_data(tmp_path / "data")
    first = next(csv.DictReader(open(data / "claims_readings.csv", encoding="utf-8")))
    edit_csv(data / "claims_readings.csv", {"reading_id": first["reading_id"]}, {"claim_id": "no_such_claim"})
    with pytest.raises(DataError) as err:
        driver.validate(data)
    text = str(err.value)
    assert "claims_readings.csv" in text and "claim_id" in text and "no_such_claim" in text


def test_a_dataset_read_twice_is_read_once_and_each_caller_gets_its_own_frame(tmp_path):
    """load() keeps what it validated, by the file's state: a copy per call, a changed file re-read."""
    data = copy_data(tmp_path / "data")
    first = load("gdp_growth", data)
    original = first.copy()
    first.loc[first.index[0], first.columns[1]] = -999  # a caller changing its frame
    again = load("gdp_growth", data)
    pd.testing.assert_frame_equal(again, original)
    edit_csv(data / "gdp_growth.csv", {"year": str(int(original["year"].iloc[-1]))}, {"growth_pct": "9.9"})
    changed = load("gdp_growth", data)
    assert changed["growth_pct"].iloc[-1] == 9.9


def test_row_lines_survive_pandas_operations_without_being_copied(tmp_path):
    """The file line of each row rides in attrs; pandas copies attrs on every operation, so the
    lines are an immutable tuple that is its own copy (and still the right lines)."""
    import copy

    frame = load("gdp_growth", DATA_DIR)
    lines = frame.attrs["lines"]
    assert copy.deepcopy(lines) is lines
    derived = frame[frame["year"] > frame["year"].min()].reset_index(drop=True)
    assert derived.attrs["lines"] is lines  # the same object, not a copy
    assert list(lines) == list(range(2, len(frame) + 2))  # header on line 1, one row per line
