"""Province labels of ``origin_province.csv``: which single provinces a row label covers.

The one home of this rule: the mobility chapter classifies snapshot rows with it and the run
parameters (``border_provinces``) are checked against it before anything runs.
"""

from __future__ import annotations

import re

import pandas as pd


def _split_top(text: str, sep: str = "+") -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def constituents(label: str) -> frozenset | None:
    """The single provinces a row label of origin_province.csv covers; None if not itemised.

    'North Hamgyong' -> {North Hamgyong}; 'Ryanggang + Jagang' -> both; 'Hamgyong (North + South)'
    and 'Pyongan (North + South, as published)' -> the North and South provinces; 'Border area as
    published (A + B + C)' -> A, B, C; 'Other' -> None.
    """
    label = label.strip()
    if label.lower() in {"other", "unknown", ""}:
        return None
    out: set[str] = set()
    for part in _split_top(label):
        m = re.match(r"^(.*?)\s*\((.*)\)$", part)
        if not m:
            out.add(part)
            continue
        head, inner = m.group(1).strip(), m.group(2).split(",")[0]
        items = [x.strip() for x in inner.split("+") if x.strip()]
        if items and all(x in ("North", "South") for x in items):
            out |= {f"{x} {head}" for x in items}
        else:
            out |= set(items)
    return frozenset(out)


def known_provinces(frame: pd.DataFrame) -> list[str]:
    """Every single-province name that appears in the data's labels (alone or in a group)."""
    names: set[str] = set()
    for label in frame["province"].dropna():
        c = constituents(label)
        if c:
            names |= c
    return sorted(names)
