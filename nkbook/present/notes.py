"""Sentences about a data file, computed from its rows, that a chapter and the data appendix share.

Light on purpose: the build writes the appendix from these without importing the charts (altair).
"""

from __future__ import annotations

import pandas as pd

from nkbook.analysis.series import derived_quarters
from nkbook.present import words


def derived_quarters_sentence(quarterly: pd.DataFrame) -> str:
    """The data appendix's sentence on derived quarters, computed from the file."""
    d = derived_quarters(quarterly)
    if not d:
        return "Every quarter in this file was published as such; none is derived."
    verb = "is" if len(d) == 1 else "are"
    return (
        f"{words.plural(len(d), 'quarter')} ({words.join(d)}) {verb} derived from other published totals "
        "(a year or half-year minus its other quarters, or a split by sex derived the same way); "
        "each row's note gives the arithmetic."
    )
