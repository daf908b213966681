"""Words that depend on numbers, computed from them: the one home of every such word.

A sentence of the book that says "rose", "the highest", "a majority", "every year except 2020" or
"close to" must stay true when the data change. Each such word is computed here from the values
it describes, and the chapter glues the word beside the number. The thresholds for words of
extent are stated once, below, and the book's method note quotes them.

Every function returns plain text (no markup), so it can be glued with ``{glue:text}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

# Words of extent, stated once. Two values are "close to" each other when they differ by at most
# CLOSE relative to the larger; one is "far above/below" another when the ratio of the larger to
# the smaller is at least FAR.
CLOSE = 0.05
FAR = 2.0


def _num(x) -> float:
    v = float(x)
    if math.isnan(v):
        raise ValueError("a word cannot be computed from a missing value")
    return v


def direction(before, after, up: str = "rose", down: str = "fell", same: str = "was unchanged") -> str:
    """'rose' when ``after`` > ``before``, 'fell' when lower, ``same`` when equal."""
    a, b = _num(before), _num(after)
    if b > a:
        return up
    if b < a:
        return down
    return same


def sign_word(value, positive: str = "positive", negative: str = "negative", zero: str = "zero") -> str:
    v = _num(value)
    return positive if v > 0 else negative if v < 0 else zero


def compare(a, b, more: str = "higher than", less: str = "lower than", same: str = "the same as") -> str:
    """How ``a`` stands against ``b``: 'higher than', 'lower than' or 'the same as'."""
    x, y = _num(a), _num(b)
    return more if x > y else less if x < y else same


def is_close(a, b, tolerance: float = CLOSE) -> bool:
    x, y = _num(a), _num(b)
    top = max(abs(x), abs(y))
    return top == 0 or abs(x - y) / top <= tolerance


def extent(
    a,
    b,
    close: str = "close to",
    far_above: str = "far above",
    far_below: str = "far below",
    above: str = "above",
    below: str = "below",
) -> str:
    """'close to' (within CLOSE), 'far above'/'far below' (a ratio of FAR or more), else 'above'/'below'.

    For positive quantities (counts, shares).
    """
    x, y = _num(a), _num(b)
    if is_close(x, y):
        return close
    if x > y:
        return far_above if (y > 0 and x / y >= FAR) else above
    return far_below if (x > 0 and y / x >= FAR) or x <= 0 else below


def majority(
    share_pct,
    of: str = "",
    majority_word: str = "a majority",
    minority_word: str = "a minority",
    half: str = "exactly half",
) -> str:
    """'a majority' above 50%, 'a minority' below, 'exactly half' at 50."""
    v = _num(share_pct)
    word = majority_word if v > 50 else minority_word if v < 50 else half
    return f"{word} {of}".strip()


def plural(n, singular: str, plural_form: str | None = None, with_number: bool = True) -> str:
    """'1 year', '3 years' (never 'year(s)')."""
    count = int(n) if float(n).is_integer() else float(n)
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}" if with_number else word


def join(items: Sequence[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def year_list(years: Iterable[int], conjunction: str = "and") -> str:
    """Years as readers write them, runs shortened: '2006, 2009 and 2020–2022'."""
    ys = sorted({int(y) for y in years})
    runs: list[list[int]] = []
    for y in ys:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    parts = [str(r[0]) if len(r) == 1 else (f"{r[0]} and {r[1]}" if len(r) == 2 else f"{r[0]}–{r[-1]}") for r in runs]
    return join(parts, conjunction)


def every_year_except(holds: dict[int, bool], span: str = "every year") -> str:
    """'every year', 'every year except 2020', 'every year except 2020 and 2021', 'in no year',
    or 'only in 2005' — from a mapping year → whether the statement holds that year."""
    if not holds:
        raise ValueError("no years to describe")
    yes = [y for y, v in holds.items() if v]
    no = [y for y, v in holds.items() if not v]
    if not no:
        return span
    if not yes:
        return "in no year"
    if len(yes) < len(no):
        return f"only in {year_list(yes)}"
    return f"{span} except {year_list(no)}"


def rank_word(value, values: Iterable, high: str = "the highest", low: str = "the lowest") -> str | None:
    """'the highest' / 'the lowest' when ``value`` is the extreme of ``values``, else None."""
    v = _num(value)
    vs = [_num(x) for x in values]
    if v >= max(vs):
        return high
    if v <= min(vs):
        return low
    return None


def ordinal(n: int) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def times(ratio) -> str:
    """A ratio in words: 'about the same', 'half', 'twice', '3.4 times'."""
    r = _num(ratio)
    if is_close(r, 1.0):
        return "about the same as"
    if is_close(r, 0.5):
        return "about half"
    if is_close(r, 2.0):
        return "about twice"
    return f"{r:.1f} times"


def number(x, digits: int = 0) -> str:
    """A number with thousands separators: '1,043', '68.6'."""
    v = _num(x)
    return f"{v:,.{digits}f}"
