"""Checking the source texts' claims against the data: measures, rules and verdicts.

The claims register (``data/claims.csv``) has one row per quantitative claim of the two source
texts. A row names a **measure** from :data:`MEASURES` with its arguments (``args``, written
``key=value;key=value``, lists as ``a|b``), a **rule** from :data:`RULES` with its tolerances, and
optionally the columns that let a failing claim be recognised as *outdated* (``time_arg``: the
argument that is a year, moved back in time) or *mis-scoped* (``alt_args``: the same measure for
another population or period). A new claim that uses the existing measures and rules is a new CSV
row only.

How a verdict follows (:func:`judge`):

1. The measure is computed from the data. If it cannot be (the data do not have the figure), the
   claim is *not checkable*, unless the alternative scope holds (then *mis-scoped*).
2. The rule compares the value with the claim: ``pass`` (within the claim's own precision),
   ``approx`` (within the wider band of ``approx_tolerance``), ``fail``, or ``unknown``.
3. ``pass`` gives *supported*, or *approximately supported* when the data value is itself
   approximate ("around 10"); ``approx`` gives *approximately supported*.
4. A failing claim is *outdated* if the rule held at an earlier date (the measure re-evaluated
   with ``time_arg`` = each year from the text's date ``as_of`` back), *mis-scoped* if it holds
   for the alternative scope, and otherwise *not supported*.

Modules: :mod:`.measures` (the data a measure reads, and the measures), :mod:`.rules`,
:mod:`.register` (parsing and validating ``data/claims.csv``), :mod:`.verdicts` (the verdict logic).
"""
