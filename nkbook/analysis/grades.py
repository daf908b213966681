"""Grades of evidence, computed by one stated rule from a chapter's sensitivity grid.

Each factor chapter examines a piece of evidence over a pre-specified grid of specifications (lags,
windows, break years, closure dating) and records, for every specification, an estimate on an
additive scale where 0 means "no association" (a slope, or the log of a rate ratio) and whether a
dependence-aware (HAC, GLS, block or circular-shift) interval or test excludes "no association" at
the 5% level. :func:`grade` turns that grid into the word the scorecard shows. Poisson
counting-noise intervals never enter a grid.

The rule (quoted in the book as :data:`RULE`):

- *not identifiable*: the specifications disagree about the direction (robust estimates of both
  signs), or, on a log scale, the estimate moves by more than a factor of :data:`UNSTABLE_FACTOR`
  across specifications;
- *strong*: the robust interval excludes no association in at least :data:`STRONG_SHARE` of the
  specifications ("nearly every");
- *suggestive*: it does in at least one;
- *not detectable*: it does in none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

STRONG_SHARE = 0.8
UNSTABLE_FACTOR = 3.0
GRADES = ("strong", "suggestive", "not detectable", "not identifiable")

RULE = (
    f"strong when a dependence-aware interval excludes no association in at least {STRONG_SHARE:.0%} of the "
    "specifications of the chapter's grid, suggestive when it does in at least one, not detectable when it does "
    "in none, and not identifiable when the specifications disagree on the direction or, for a rate ratio, "
    f"when the estimate moves by more than a factor of {UNSTABLE_FACTOR:g} across them"
)


def grade(estimates: Sequence[float], robust: Sequence[bool], log_scale: bool = False) -> dict:
    """The grade of one piece of evidence over its grid, with the counts it rests on.

    ``estimates[i]`` is specification i's estimate (0 = no association; the log of a ratio when
    ``log_scale``), ``robust[i]`` whether its dependence-aware interval excludes 0.
    """
    est = [float(e) for e in estimates]
    rob = [bool(x) for x in robust]
    if not est or len(est) != len(rob):
        raise ValueError("a grade needs one robustness flag for each specification, and at least one")
    if any(math.isnan(e) for e in est):
        raise ValueError("a grid estimate is missing: leave the specification out and say so")
    n, n_robust = len(est), sum(rob)
    signs = {math.copysign(1, e) for e, r in zip(est, rob) if r and e != 0}
    spread = math.exp(max(est) - min(est)) if log_scale else None
    if len(signs) > 1:
        word, why = "not identifiable", "the specifications disagree on the direction"
    elif spread is not None and spread > UNSTABLE_FACTOR:
        word, why = "not identifiable", f"the estimate moves by a factor of {spread:.1f} across specifications"
    elif n_robust >= STRONG_SHARE * n:
        word, why = "strong", f"robust in {n_robust} of {n} specifications"
    elif n_robust >= 1:
        word, why = "suggestive", f"robust in {n_robust} of {n} specifications"
    else:
        word, why = "not detectable", f"robust in none of {n} specifications"
    return {"grade": word, "why": why, "n_specs": n, "n_robust": n_robust, "spread": spread}


def ungraded(why: str) -> dict:
    """A piece the window cannot grade (no specification of the grid can be fitted), with the reason."""
    return {"grade": "not detectable", "why": why, "n_specs": 0, "n_robust": 0, "spread": None}


def result_keys(piece: str, graded: dict) -> dict:
    """The four results a chapter publishes for one piece of evidence (read by the scorecard)."""
    return {
        f"grade_{piece}": graded["grade"],
        f"grade_{piece}_why": graded["why"],
        f"grade_{piece}_n_specs": int(graded["n_specs"]),
        f"grade_{piece}_n_robust": int(graded["n_robust"]),
    }
