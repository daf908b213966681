"""The wording helper: each word is derived from the values it describes."""

from __future__ import annotations

import pytest

from nkbook.present import words


def test_direction_and_compare():
    assert words.direction(1, 2) == "rose"
    assert words.direction(2, 1) == "fell"
    assert words.direction(2, 2) == "was unchanged"
    assert words.compare(3, 2) == "higher than"
    assert words.compare(2, 3, more="ahead of", less="behind") == "behind"


def test_extent_uses_the_stated_thresholds():
    assert words.extent(100, 100 * (1 - words.CLOSE)) == "close to"
    assert words.extent(100, 100 * (1 - words.CLOSE) - 1) == "above"
    assert words.extent(100 * words.FAR, 100) == "far above"
    assert words.extent(100, 100 * words.FAR) == "far below"


def test_majority_and_plural():
    assert words.majority(68.6) == "a majority"
    assert words.majority(47.8) == "a minority"
    assert words.majority(50) == "exactly half"
    assert words.plural(1, "year") == "1 year"
    assert words.plural(3, "year") == "3 years"
    assert words.plural(2, "country", "countries") == "2 countries"


def test_year_lists_and_exceptions():
    assert words.year_list([2022, 2020, 2021, 2006]) == "2006 and 2020–2022"
    assert words.year_list([2006, 2007]) == "2006 and 2007"
    holds = {y: y not in (2020, 2021) for y in range(2002, 2025)}
    assert words.every_year_except(holds) == "every year except 2020 and 2021"
    assert words.every_year_except({y: True for y in range(2000, 2010)}) == "every year"
    assert words.every_year_except({2000: False, 2001: False, 2002: True}) == "only in 2002"
    assert words.every_year_except({2000: False}) == "in no year"


def test_rank_and_missing():
    assert words.rank_word(5, [1, 5, 3]) == "the highest"
    assert words.rank_word(1, [1, 5, 3]) == "the lowest"
    assert words.rank_word(3, [1, 5, 3]) is None
    with pytest.raises(ValueError):
        words.direction(float("nan"), 1)
