"""The scorecard's grading rule, on grids whose grade follows from the rule's stated constants."""

import math

import pytest

from nkbook.analysis import grades


def test_grade_follows_the_stated_shares():
    n = 10
    need = math.ceil(grades.STRONG_SHARE * n)
    assert grades.grade([-0.5] * n, [True] * need + [False] * (n - need))["grade"] == "strong"
    assert grades.grade([-0.5] * n, [True] * (need - 1) + [False] * (n - need + 1))["grade"] == "suggestive"
    assert grades.grade([-0.5] * n, [False] * n)["grade"] == "not detectable"


def test_direction_or_spread_makes_it_not_identifiable():
    assert grades.grade([-0.5, 0.4], [True, True])["grade"] == "not identifiable"
    # a sign change among non-robust specifications does not count
    assert grades.grade([-0.5, 0.4], [True, False])["grade"] == "suggestive"
    wide = math.log(grades.UNSTABLE_FACTOR) + 0.01
    assert grades.grade([0.0, -wide], [True, True], log_scale=True)["grade"] == "not identifiable"
    narrow = math.log(grades.UNSTABLE_FACTOR) - 0.01
    assert grades.grade([-0.01, -narrow], [True, True], log_scale=True)["grade"] == "strong"


def test_grade_refuses_a_malformed_grid():
    with pytest.raises(ValueError):
        grades.grade([0.1, 0.2], [True])
    with pytest.raises(ValueError):
        grades.grade([float("nan")], [True])
