"""Checking the source texts' claims against the data: measures, rules and verdicts.

The claims register (``data/claims.csv``) has one row per quantitative claim of the two source
texts. A row names a **measure** from :data:`MEASURES` with its arguments (``args``, written
``key=value;key=value``, lists as ``a|b``), a **rule** from :data:`RULES` with its tolerances, and
optionally the columns that let a failing claim be recognised as *outdated* (``time_arg``: the
argument that is a year, moved back in time) or *mis-scoped* (``alt_args``: the same measure for
another population or period). A new claim that uses the existing measures and rules is a new CSV
row only.

Other readings of a claim are rows of ``data/claims_readings.csv`` (the same claim with another
measure or arguments: another province grouping, period, source or a proxy series). A row of kind
``reading`` is a plausible reading of the claim's words and is judged like the register's row; a row
of kind ``other_scope`` is shown beside the claim but does not decide it. :func:`~.verdicts.combine`
gives the claim's verdict: *depends on reading* when some readings hold and some do not; *not
checkable* when no reading can be checked (whatever another scope gives).

The precision convention (:func:`.register.precision`): a stated number covers what rounds to it at
its last significant digit, so the supported band is ± half a unit of that digit and the
approximately supported band ± one unit; hedged numbers and round thousands drop their trailing
zeros ("around 80%" is 75-85); "N in 10" states tenths. Register validation refuses a row whose bands
depart from it. A figure known only between two values is judged at both ends and at the point
nearest the claim; if these disagree, the data cannot decide.

How a verdict follows (:func:`judge`):

1. The measure is computed from the data. If it cannot be (the data do not have the figure for the
   stated scope), the claim is *not checkable*; the alternative scope, if any, is reported beside it.
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
