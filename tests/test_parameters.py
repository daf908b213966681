"""Run parameters are checked against the data before anything runs (issue #16, item 5)."""

import pytest

from nkbook.build import driver
from nkbook.data import parameters


@pytest.fixture(scope="module")
def frames():
    return driver.validate()


def test_the_defaults_of_every_chapter_are_valid(frames):
    chapters, _ = driver.load_chapters()
    final = driver.resolve_parameters(chapters, {}, driver.DATA_DIR)
    assert [p for c in chapters for p in parameters.check(c.name, final[c.name], frames)] == []


def test_each_bad_value_is_refused_naming_the_parameter_and_range(frames):
    first, last = parameters.year_range(frames)
    short = parameters.MIN_WINDOW - 1
    cases = {
        "end_year": {"start_year": first + 5, "end_year": first + 4},
        "window": {"start_year": last - short + 1, "end_year": last},
        "end_year=": {"start_year": first, "end_year": last + 1},
        "lag_years": {"start_year": first, "lag_years": parameters.MAX_LAG + 1},
        "event_window": {"start_year": first, "event_window": 0},
        "break_year": {"start_year": first, "break_year": last + 1},
        "border_provinces": {"start_year": first, "border_provinces": ["Atlantis"]},
    }
    for word, params in cases.items():
        problems = parameters.check("x", params, frames)
        assert len(problems) == 1 and word in problems[0], (params, problems)
    # the smallest allowed window is accepted
    assert parameters.check("x", {"start_year": last - parameters.MIN_WINDOW + 1, "end_year": last}, frames) == []


def test_the_build_refuses_before_any_chapter_runs(tmp_path, frames):
    ran = []
    first, last = parameters.year_range(frames)
    with pytest.raises(driver.BuildError, match="lag_years") as err:
        driver.build(
            params=[f"lag_years={parameters.MAX_LAG + 1}"],
            root=tmp_path,
            executor=lambda job: ran.append(job) or {"ok": False},
            render=False,
        )
    assert ran == [] and "nothing was run" in str(err.value)
