"""The claims chapter: every quantitative claim of the two source texts, checked against the data.

The engine (register, measures, rules, verdicts) lives in :mod:`nkbook.analysis.claims`; this module
computes the chapter's results (:func:`compute`) and builds its chart and tables. The engine's public
names are re-exported here (the build's validation imports ``check_register`` from the engine).
"""

from __future__ import annotations

import html
import math
import re

import altair as alt
import pandas as pd

from nkbook.analysis.claims.measures import MEASURES, Context, Measured, yearly_change
from nkbook.analysis.claims.register import (
    _clean,
    check_readings,
    check_register,
    load_readings,
    load_register,
    parse_args,
    precision,
)
from nkbook.analysis.claims.rules import RULES, Outcome
from nkbook.analysis.claims.verdicts import (
    APPROX,
    DEPENDS,
    MISSCOPED,
    NOT_CHECKABLE,
    NOT_SUPPORTED,
    NOT_SUPPORTED_WRITTEN,
    OTHER_SCOPE,
    OUTDATED,
    READING,
    SUPPORTED,
    VERDICTS,
    Verdict,
    combine,
    evaluate,
    judge,
    measure,
    summary,
)
from nkbook.present import charts, words
from nkbook.present.results import Results

__all__ = [
    "APPROX",
    "DEPENDS",
    "OTHER_SCOPE",
    "READING",
    "check_readings",
    "load_readings",
    "MEASURES",
    "MISSCOPED",
    "NOT_CHECKABLE",
    "NOT_SUPPORTED",
    "NOT_SUPPORTED_WRITTEN",
    "OUTDATED",
    "RULES",
    "SUPPORTED",
    "TEXT_LABELS",
    "VERDICTS",
    "readings_table",
    "Context",
    "Measured",
    "Outcome",
    "Verdict",
    "check_register",
    "combine",
    "compute",
    "evaluate",
    "judge",
    "load_register",
    "measure",
    "parse_args",
    "summary",
]

TEXT_LABELS = {"seed_news2023": "News report", "seed_essay2024": "Essay"}
SHORT = {"seed_news2023": "news", "seed_essay2024": "essay"}
# the years of the 'succession' comparison: from the end of the famine to the year before the 2011 rise
RISE_FIRST, RISE_LAST = 1999, 2010
BAND_SCALES = {"half": 0.5, "double": 2.0}


def _shown(value, unit: str, low=None, high=None) -> str:
    """The computed value as the prose shows it (a range where the data give one), or a plain statement that there is none."""
    if low is not None and high is not None and pd.notna(low) and pd.notna(high) and low != high:
        return format_range(low, high, unit)
    return format_value(value, unit) if pd.notna(value) else "no value"


#: measures whose value is a change in percent: shown with its sign
SIGNED = {"pct_change", "crop_change"}


def _unit(unit: str, measure_name: str) -> str:
    """The display unit: a percent change carries its sign."""
    return "change" if unit == "percent" and measure_name in SIGNED else unit


def _key(cid: str, rid: str) -> str:
    return f"{cid}_{rid}"


def compute(data_dir=None, *, start_year: int = 1998, end_year: int | None = None) -> Results:
    """Every verdict and count the chapter glues, computed from the register and the data."""
    r = Results()
    ctx = Context(data_dir, start_year, end_year)
    register = load_register(data_dir)
    readings = load_readings(data_dir, register)
    verdicts = evaluate(register, ctx, readings=readings)
    r.put("start_year", ctx.start_year)
    r.put("end_year", ctx.end_year)
    for row in verdicts.to_dict("records"):
        cid = row["claim_id"]
        r.put(f"verdict_{cid}", row["verdict"])
        r.put(f"verdict_written_{cid}", row["verdict_written"])
        r.put(f"verdict_now_{cid}", row["verdict_now"])
        r.put(f"shown_written_{cid}", _shown(row["value_written"], _unit(row["unit"], row["measure"])))
        r.put(f"claimed_{cid}", row["claimed_text"])
        unit = _unit(row["unit"], row["measure"])
        r.put(f"shown_{cid}", _shown(row["value"], unit, row["value_low"], row["value_high"]))
        if row["readings"]:
            r.put(f"n_readings_{cid}", sum(x["kind"] == READING for x in row["readings"]))
        for x in row["readings"]:
            k = _key(cid, x["reading_id"])
            r.put(f"reading_verdict_{k}", x["verdict"])
            r.put(f"reading_shown_{k}", _shown(x["value"], _unit(row["unit"], x["measure"]), x["low"], x["high"]))
            r.put(f"reading_label_{k}", x["label"])
        r.put(f"shown_alt_{cid}", _shown(row["alt_value"], row["unit"]))
        if pd.notna(row["value"]):
            r.put(f"value_{cid}", float(row["value"]), 4)
        if pd.notna(row["alt_value"]):
            r.put(f"alt_value_{cid}", float(row["alt_value"]), 4)
        if pd.notna(row["held_in"]):
            r.put(f"held_in_{cid}", int(row["held_in"]))
        r.put(f"shown_held_{cid}", f"{int(row['held_in'])}" if pd.notna(row["held_in"]) else "none")

    counts = summary(verdicts)
    r.put_all(counts)
    r.put("share_hold_pct", 100 * counts["n_hold"] / counts["n_checkable"] if counts["n_checkable"] else 0.0, 1)
    with_readings = verdicts[verdicts["readings"].map(len) > 0]
    several = verdicts["readings"].map(lambda rs: sum(x["kind"] == READING for x in rs) > 1)
    r.put("n_claims_with_readings", int(several.sum()))
    r.put(
        "n_claims_with_other_scope",
        int(verdicts["readings"].map(lambda rs: any(x["kind"] == OTHER_SCOPE for x in rs)).sum()),
    )
    r.put("n_readings", int(sum(sum(x["kind"] == READING for x in rs) for rs in with_readings["readings"])))
    r.put("n_other_scopes", int(sum(sum(x["kind"] == OTHER_SCOPE for x in rs) for rs in with_readings["readings"])))
    depends = verdicts[verdicts["verdict"] == DEPENDS]
    r.put(
        "depends_claims",
        "; ".join(f"{TEXT_LABELS[f.text].lower()}, “{f.claimed_text}”" for f in depends.itertuples()) or "none",
    )
    for text, short in SHORT.items():
        part = summary(verdicts[verdicts["text"] == text])
        r.put(f"n_claims_{short}", part["n_claims"])
        r.put(f"n_hold_{short}", part["n_hold"])
    r.put("n_measures", len(MEASURES) - 1)  # no_data is not a measure of anything
    yearly_counts = verdicts[verdicts["measure"] == "arrivals_total"]
    r.put("n_counts", len(yearly_counts))
    r.put("n_counts_hold", int(yearly_counts["verdict"].isin([SUPPORTED, APPROX]).sum()))
    fails = verdicts[verdicts["verdict"].isin([OUTDATED, MISSCOPED, NOT_SUPPORTED, NOT_SUPPORTED_WRITTEN])]
    r.put(
        "failing_claims",
        "; ".join(f"{TEXT_LABELS[f.text].lower()}, “{f.claimed_text}” ({f.verdict})" for f in fails.itertuples())
        or "none",
    )
    checkless = verdicts[verdicts["verdict"] == NOT_CHECKABLE]
    r.put(
        "not_checkable_claims",
        "; ".join(f"{TEXT_LABELS[f.text].lower()}, “{f.claimed_text}”" for f in checkless.itertuples()) or "none",
    )
    dates = sorted({int(a) for a in register["as_of"].dropna()})
    r.put("claim_dates", words.year_list(dates))
    r.put("n_claim_dates", len(dates))
    r.put("rise_first_year", RISE_FIRST)
    r.put("rise_last_year", RISE_LAST)
    tripled = register.set_index("claim_id").loc["news_tripled"]
    r.put("tripled_low", float(tripled["low"]))
    r.put("tripled_high", float(tripled["high"]))
    rises = {y: yearly_change(ctx, y) for y in range(RISE_FIRST, RISE_LAST + 1)}
    rise_values: dict[int, float] = {y: float(m.value) for y, m in rises.items() if m.ok and m.value is not None}
    top_rise = max(rise_values, key=lambda y: rise_values[y]) if rise_values else None
    r.put("shown_largest_rise", f"{int(rise_values[top_rise]):+,}" if top_rise else "no value")
    r.put("shown_largest_rise_year", f"{top_rise}" if top_rise else "no year")
    r.put("n_rules", len(RULES))
    r.put("convention_example", convention_example())

    # how much the verdicts rest on the bands: every band halved, then doubled
    scaled = {name: evaluate(register, ctx, scale=s, readings=readings) for name, s in BAND_SCALES.items()}
    for name, frame in scaled.items():
        r.put(f"n_hold_{name}", summary(frame)["n_hold"])
        r.put(f"n_changed_{name}", int((frame["verdict"] != verdicts["verdict"]).sum()))
    sens = pd.DataFrame(
        {
            "Text": verdicts["text"].map(TEXT_LABELS),
            "Claimed": verdicts["claimed_text"],
            "Bands halved": scaled["half"]["verdict"],
            "Bands as registered": verdicts["verdict"],
            "Bands doubled": scaled["double"]["verdict"],
        }
    )
    moved = (sens["Bands halved"] != sens["Bands as registered"]) | (
        sens["Bands doubled"] != sens["Bands as registered"]
    )

    tally = verdicts.groupby(["text", "verdict"]).size().reset_index(name="claims")
    tally["source_text"] = tally["text"].map(TEXT_LABELS)
    tally["order"] = tally["verdict"].map({v: i for i, v in enumerate(VERDICTS)})
    r.frames.update(
        verdicts=verdicts,
        tally=tally,
        sensitivity=sens[moved].reset_index(drop=True),
        readings=readings_frame(verdicts),
    )
    r.extra.update(context=ctx, register=register)
    _findings(r)
    return r


def convention_example() -> str:
    """The precision convention shown on examples, computed by :func:`precision` (the rule the register follows)."""
    parts = []
    for text in ("18%", "around 80%", "7 in 10"):
        value, half = precision(text)  # type: ignore[misc]
        parts.append(f"{text} is {value - half:g}-{value + half:g}")
    return "; ".join(parts)


def readings_frame(verdicts: pd.DataFrame) -> pd.DataFrame:
    """One row per reading of every claim that has several (the register's own first)."""
    out = []
    for row in verdicts.to_dict("records"):
        for x in row["readings"]:
            out.append(
                {
                    "Claim": f"{TEXT_LABELS[row['text']]}: {row['claimed_text']}",
                    "Reading": x["label"],
                    "Kind": "reading" if x["kind"] == READING else "shown only (other scope)",
                    "From the data": _shown(x["value"], _unit(row["unit"], x["measure"]), x["low"], x["high"]).replace(
                        "no value", "—"
                    ),
                    "Verdict of the reading": x["verdict"],
                    "Verdict of the claim": row["verdict"],
                }
            )
    return pd.DataFrame(
        out,
        columns=["Claim", "Reading", "Kind", "From the data", "Verdict of the reading", "Verdict of the claim"],
    )


def _hold(n: int) -> str:
    """'1 claim holds', '3 claims hold'."""
    return f"{words.plural(n, 'claim')} {'holds' if n == 1 else 'hold'}"


def _findings(r: Results) -> None:
    """The key-findings box: four sentences from the computed counts."""
    s1 = (
        f"Of the {words.plural(r['n_claims'], 'quantitative claim')} in the two texts, {r['n_hold']} "
        f"{'holds' if r['n_hold'] == 1 else 'hold'} against the data to {r['end_year']} "
        f"({r['n_supported']} supported, {r['n_approximately_supported']} approximately supported), "
        f"and {r['n_not_checkable']} cannot be checked with the data."
    )
    s2 = (
        "Each claim is judged on the data as they stood when it was written and on the data now: "
        f"{words.plural(r['n_not_supported_when_written'], 'claim')} did not hold even when written, and "
        f"{r['n_outdated']} held then but not now."
    )
    s3 = (
        f"{words.plural(r['n_claims_with_readings'], 'claim')} can be read in more than one way; for "
        f"{words.plural(r['n_depends_on_reading'], 'claim')} the verdict depends on the reading"
        + (f" ({r['depends_claims']})." if r["n_depends_on_reading"] else ".")
    )
    s4 = (
        f"{r['n_counts_hold']} of the {words.plural(r['n_counts'], 'yearly arrival count')} the texts quote "
        f"match the ministry's series; with every band halved {_hold(r['n_hold_half'])}, with every band "
        f"doubled {r['n_hold_double']}."
    )
    r.findings(s1, s2, s3, s4)


# --------------------------------------------------------------------------------------------
# chart and tables


def verdict_chart(r: Results) -> charts.Figure:
    """Stacked bars of the verdicts, one bar per source text."""
    tally = r.frames["tally"]
    colours = [
        charts.PALETTE[2],
        charts.PALETTE[4],
        charts.PALETTE[6],
        charts.PALETTE[1],
        charts.PALETTE[3],
        charts.PALETTE[5],
        charts.PALETTE[0],
        charts.MUTED,
    ]
    bars = (
        alt.Chart(tally)
        .mark_bar()
        .encode(
            y=alt.Y("source_text:N", title=None, sort=list(TEXT_LABELS.values())),
            x=alt.X("claims:Q", title="Claims (number)", stack="zero", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "verdict:N", title="Verdict", sort=VERDICTS, scale=alt.Scale(domain=VERDICTS, range=colours)
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("source_text:N", title="Text"),
                alt.Tooltip("verdict:N", title="Verdict"),
                alt.Tooltip("claims:Q", title="Claims"),
            ],
        )
        .properties(
            height=110,
            title=alt.TitleParams(
                f"{_hold(r['n_hold'])} of {r['n_claims']} against the data".capitalize(),
                subtitle=f"Each claim computed from the book's data, to {r['end_year']}",
            ),
        )
    )
    return charts.show(
        bars,
        name="claims-verdicts",
        description=(
            f"Stacked bars of the verdicts on {r['n_claims']} claims, one bar per source text. "
            f"{r['n_supported']} are supported, {r['n_approximately_supported']} approximately "
            f"supported, {r['n_depends_on_reading']} depending on the reading, {r['n_outdated']} outdated, {r['n_mis_scoped']} mis-scoped, "
            f"{r['n_not_supported']} not supported, {r['n_not_supported_when_written']} not supported when "
            f"written and {r['n_not_checkable']} not checkable."
        ),
        source=(
            "Claims register (data/claims.csv) of the news report and the essay; values from the Ministry of "
            "Unification and the other publishers named in the table."
        ),
        data=tally[["source_text", "verdict", "claims"]].rename(columns={"source_text": "text"}),
    )


def claims_table(r: Results):
    """The sortable table of every claim (HTML)."""
    from IPython.display import HTML

    return HTML(
        render_table(
            r.frames["verdicts"],
            caption=(f"The quantitative claims of the two texts, checked against the data to {r['end_year']}"),
        )
    )


def readings_table(r: Results) -> charts.Table:
    """Every reading of the claims that have several, with each reading's verdict and the claim's."""
    return charts.table(
        r.frames["readings"],
        caption="Claims read more than one way: every reading, its value and its verdict, and the claim's verdict",
    )


def sensitivity_table(r: Results) -> charts.Table:
    """The claims whose verdict moves when every band is halved or doubled."""
    return charts.table(r.frames["sensitivity"], caption="Claims whose verdict moves with the width of the bands")


# --------------------------------------------------------------------------------------------
# display


def format_range(low, high, unit: str) -> str:
    """A range of values (two ways of computing a figure, or bounds) as the table shows it."""
    a, b = format_value(low, unit), format_value(high, unit)
    if unit == "percent":
        return f"{a[:-1]}–{b}"
    return f"{a}–{b}"


def format_value(value, unit: str) -> str:
    """A computed value as the table shows it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "year":
        return f"{int(value):d}"
    if unit == "change":
        return f"{value:+.1f}%"
    if unit == "points":
        return f"{value:+.1f} points"
    if unit == "sign":
        return "the same direction" if value > 0 else "opposite directions"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "ratio":
        return f"{value:.2f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


VERDICT_ORDER = {v: i for i, v in enumerate(VERDICTS)}
_E = html.escape


def chapter_link(chapter: str) -> str:
    """A relative link from a chapter page to another chapter page (notebooks/<name>.html)."""
    label = chapter.replace("_", " ").capitalize()
    return f'<a href="../notebooks/{_E(chapter, quote=True)}.html">{_E(label)}</a>'


def render_table(verdicts: pd.DataFrame, caption: str) -> str:
    """One sortable HTML table of every claim (book/_static/nkbook-sort.js sorts it). All cell text is escaped."""
    heads = [
        "Claim",
        "Source text",
        "Claimed",
        "From the data",
        "Verdict",
        "When written / now",
        "How it was checked",
        "Chapter",
    ]
    th = "".join(f'<th scope="col"><button type="button">{_E(h)}</button></th>' for h in heads)
    body = []
    for r in verdicts.to_dict("records"):
        r = {k: _clean(v) for k, v in r.items()}
        value = r["value"] if r["value"] is not None else r.get("alt_value")
        shown = _shown(r["value"], _unit(r["unit"], r["measure"]), r.get("value_low"), r.get("value_high")).replace(
            "no value", "—"
        )
        if r["value"] is None and r.get("alt_value") is not None:
            shown = f"— (other scope: {format_value(r['alt_value'], r['unit'])})"
        sort_value = "" if value is None else f"{float(value):.4g}"
        verdict_class = "nk-verdict-" + re.sub(r"[^a-z]+", "-", r["verdict"]).strip("-")
        how = r["explanation"]
        if r.get("detail") and r["detail"] not in how:
            how = f"{r['detail']}. {how}"
        how = _E(how)
        readings = r.get("readings") or []
        if readings:
            items = "".join(
                f"<li>{'' if x['kind'] == READING else 'Other scope, shown only: '}{_E(x['label'])}: "
                f"{_E(_shown(x['value'], _unit(r['unit'], x['measure']), x['low'], x['high']).replace('no value', 'no figure'))}, "
                f"<em>{_E(x['verdict'])}</em></li>"
                for x in readings
            )
            how = f'{how}<ul class="nk-readings">{items}</ul>'
        if r.get("note"):
            how = f'{how} <span class="nk-claim-note">Reading: {_E(r["note"])}</span>'
        body.append(
            f'<tr id="claim-{_E(r["claim_id"], quote=True)}">'
            f'<td>{_E(r["paraphrase"])} <span class="nk-claim-where">({_E(r["quote_location"])})</span></td>'
            f"<td>{_E(TEXT_LABELS.get(r['text'], r['text']))}</td>"
            f'<td data-sort-value="{_E(str(r["claimed_value"]), quote=True)}">{_E(str(r["claimed_text"]))}</td>'
            f'<td data-sort-value="{sort_value}">{_E(shown)}</td>'
            f'<td data-sort-value="{VERDICT_ORDER[r["verdict"]]}"><span class="nk-verdict {verdict_class}">{_E(r["verdict"])}</span></td>'
            f"<td>{_E(str(r.get('verdict_written') or r['verdict']))} / {_E(str(r.get('verdict_now') or r['verdict']))}"
            f"{'' if r.get('value_written') is None else ' (then ' + _E(format_value(r['value_written'], r['unit'])) + ')'}</td>"
            f"<td>{how}</td>"
            f"<td>{chapter_link(r['chapter'])}</td></tr>"
        )
    widths = [22, 7, 9, 8, 10, 12, 24, 8]
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    return (
        f'<table class="nk-sortable nk-claims">'
        f"<caption>{_E(caption)}</caption><colgroup>{cols}</colgroup>"
        f"<thead><tr>{th}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"
    )
