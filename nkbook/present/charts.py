"""The book's chart theme and the one way charts are shown.

Charts are Altair specifications. In the book, :func:`show` writes a figure that works offline: the
Vega-Lite spec sits in a ``<script type="application/json">`` block (escaped, so data containing
markup is never run), and ``_static/nkbook-charts.js`` draws every such block with the vega-embed
bundle that the build copies into the book once (``vega-bundle.js``). Each figure carries a text
description for screen readers, a source line and a "show the data" table.
Ids derive from the chart's name, so two builds give identical pages.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse

import altair as alt
import pandas as pd

from nkbook.analysis.series import CLOSURE_YEARS
from nkbook.core.context import in_book

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FEMALE, MALE, TOTAL, HIGHLIGHT, MUTED = "#CC79A7", "#0072B2", "#000000", "#D55E00", "#999999"

# One colour for each series across the whole book: a chart that draws one of these series names
# takes its colour from here (``series_scale``), so women, men, the closure band and each model look
# the same in every chapter. Add a name here rather than choosing a colour in a chapter.
SERIES_COLOURS: dict[str, str] = {
    "Women": FEMALE,
    "Men": MALE,
    "Total": TOTAL,
    "All arrivals": TOTAL,
    "Border closed (2020–2022)": MUTED,
    "Without trends": "#E69F00",
    "With trends": "#009E73",
    "Observed": TOTAL,
    "Counterfactual": "#56B4E9",
    "All years": TOTAL,
    "Closure years left out": "#0072B2",  # the economic push's fits, with and without
}


def series_scale(names) -> alt.Scale:
    """A colour scale for the named series, with the book-wide colour of each (unknown names refused)."""
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in SERIES_COLOURS]
    if unknown:
        raise KeyError(f"series {unknown} have no book-wide colour: add them to charts.SERIES_COLOURS")
    return alt.Scale(domain=names, range=[SERIES_COLOURS[n] for n in names])


VEGA_LITE_VERSION = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]


@alt.theme.register("nkbook", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return alt.theme.ThemeConfig(
        {
            "config": {
                "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "range": {"category": PALETTE},
                "view": {"continuousWidth": 620, "continuousHeight": 300, "stroke": None},
                "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 12, "subtitleColor": "#444"},
                "axis": {
                    "labelFontSize": 12,
                    "titleFontSize": 12,
                    "labelColor": "#222",
                    "titleColor": "#222",
                    "gridColor": "#e6e6e6",
                    "labelOverlap": True,
                    "labelLimit": 180,
                },
                "header": {"labelFontSize": 12, "titleFontSize": 12},
                "text": {"fontSize": 12},
                "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "top"},
                "mark": {"color": PALETTE[0]},
            }
        }
    )


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise ValueError("a chart needs a name")
    return slug


def _finite(obj):
    """NaN and infinities are not JSON: missing values become null; other numbers keep three
    decimals (four below 0.01), which is finer than any chart draws."""
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    if isinstance(obj, float):  # a reader may see any value in a tooltip: no long unrounded decimals
        return round(obj, 3) if abs(obj) >= 0.01 else round(obj, 4)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def responsive(spec: dict) -> dict:
    """A single or layered chart takes the width of its container (and is laid out for it).

    Its text then keeps its real size on a phone instead of being shrunk with a fixed-width SVG.
    Concatenated charts keep their panels' widths; the page script stacks them on a narrow screen.
    """
    if not any(k in spec for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        spec = dict(spec)
        spec["width"] = "container"
        spec["autosize"] = {"type": "fit", "contains": "padding", "resize": True}
    return spec


def _json_for_script(obj) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' survive literally."""
    text = json.dumps(_finite(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def data_table(frame: pd.DataFrame, max_rows: int = 200) -> str:
    """An escaped HTML table of the data behind a chart."""
    shown = format_frame(frame.head(max_rows), digits=3)
    table = shown.to_html(index=False, escape=True, border=0, na_rep="", classes="nk-data-table")
    more = f"<p>Showing {max_rows} of {len(frame)} rows.</p>" if len(frame) > max_rows else ""
    return table + more


class Figure:
    """A chart with its description, source line and data: renders as a book figure."""

    def __init__(self, chart: alt.TopLevelMixin, name: str, description: str, source: str, data: pd.DataFrame):
        self.chart = chart.properties(description=description)
        self.name = _slug(name)
        self.description = description
        self.source = source
        self.data = data

    def __repr__(self) -> str:  # deterministic text/plain (no memory address in the notebook)
        return f"Figure({self.name!r}: {self.description})"

    def spec(self) -> dict:
        return responsive(self.chart.to_dict())

    def csv(self) -> str:
        """Exactly the rows and columns of ``data`` as drawn (numbers rounded as in the chart)."""
        shown = self.data.copy()
        for col in shown.columns:
            if pd.api.types.is_float_dtype(shown[col]):
                shown[col] = shown[col].map(lambda v: v if pd.isna(v) else _finite(float(v)))
        return shown.to_csv(index=False, lineterminator="\n")

    def html(self) -> str:
        vid = f"nk-vis-{self.name}"
        desc = html.escape(self.description)
        return (
            f'<figure class="nk-figure" id="fig-{self.name}">\n'
            f'<div class="nk-vega" id="{vid}" role="img" aria-label="{desc}" tabindex="0">'
            '<div class="nk-vega-target"></div></div>\n'
            f'<script type="application/json" class="nk-spec" data-target="{vid}">{_json_for_script(self.spec())}</script>\n'
            f'<figcaption><span class="nk-desc">{desc}</span> <span class="nk-source">Source: {html.escape(self.source)}</span></figcaption>\n'
            f'<p class="nk-download"><a download="{self.name}.csv" '
            f'href="data:text/csv;charset=utf-8,{urllib.parse.quote(self.csv())}">Download the data (CSV)</a></p>\n'
            f'<details class="nk-data"><summary>Show the data</summary>\n{data_table(self.data)}\n</details>\n'
            f"</figure>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        if in_book():
            return {"text/html": self.html()}
        # In JupyterLab: the chart as Altair shows it, then the caption and the data.
        bundle = self.chart._repr_mimebundle_(include, exclude)
        bundle = bundle[0] if isinstance(bundle, tuple) else bundle
        return bundle

    def _repr_html_(self):  # pragma: no cover - used by front ends without mimebundle support
        return self.html()


def show(chart: alt.TopLevelMixin, *, name: str, description: str, source: str, data: pd.DataFrame) -> Figure:
    """Wrap a chart for display. ``description`` is read by screen readers; ``data`` is shown as a table."""
    if not description or not source:
        raise ValueError(f"chart {name!r} needs a description and a source line")
    return Figure(chart, name, description, source, data)


def closure_band(y_field: str | None = None) -> alt.Chart:
    """A shaded band over the border-closure years, for layering on a yearly chart."""
    band = pd.DataFrame(
        {"start": [CLOSURE_YEARS[0] - 0.5], "end": [CLOSURE_YEARS[1] + 0.5], "label": ["Border closed (2020–2022)"]}
    )
    return (
        alt.Chart(band)
        .mark_rect(opacity=0.15, color=MUTED)
        .encode(
            x=alt.X("start:Q", scale=alt.Scale(zero=False, nice=False)),
            x2="end:Q",
            tooltip=[alt.Tooltip("label:N", title="Period")],
        )
    )


def year_axis(field: str = "year", title: str = "Year of arrival in South Korea") -> alt.X:
    """A quantitative year axis that does not start at zero and prints years without commas."""
    return alt.X(
        f"{field}:Q",
        title=title,
        axis=alt.Axis(format="d", tickMinStep=1),
        scale=alt.Scale(zero=False, nice=False, padding=8),
    )


def bar_size(n_bars: int, width: int = 620) -> float:
    """A bar width that leaves gaps between yearly bars on a quantitative axis."""
    return max(2.0, min(30.0, 0.7 * width / max(n_bars, 1)))


def _is_year_column(name: str) -> bool:
    n = str(name).lower()
    return "year" in n or n in ("period", "as of", "since")


def format_frame(frame: pd.DataFrame, digits: dict[str, int] | int | None = None) -> pd.DataFrame:
    """A frame as a reader should see it: numbers formatted by meaning, missing cells empty.

    Whole numbers get thousands separators (years do not); other numbers get ``digits`` decimals
    (default 1; a dict sets it per column); booleans read yes/no; missing values are empty.
    """
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        values = frame[col]
        d = digits.get(col, 1) if isinstance(digits, dict) else (1 if digits is None else digits)
        if pd.api.types.is_bool_dtype(values):
            out[col] = values.map(lambda v: "" if pd.isna(v) else ("yes" if v else "no"))
        elif pd.api.types.is_numeric_dtype(values):
            num = pd.to_numeric(values, errors="coerce").astype("float64")
            whole = bool(((num.dropna() % 1) == 0).all())
            if _is_year_column(col) and whole:
                out[col] = num.map(lambda v: "" if pd.isna(v) else f"{int(v)}")
            elif whole and not (isinstance(digits, dict) and col in digits):
                out[col] = num.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
            else:
                out[col] = num.map(lambda v, d=d: "" if pd.isna(v) else f"{v:,.{d}f}")
        else:
            out[col] = values.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
    return out


def scroll_wrap(table_html: str, label: str | None = None) -> str:
    """A wide table in a box that scrolls sideways on a narrow screen, reachable by keyboard
    (a scrollable region must be focusable and named: axe's scrollable-region-focusable)."""
    name = html.escape(label or "Table", quote=True)
    return f'<div class="nk-table-wrap" tabindex="0" role="region" aria-label="{name}">{table_html}</div>'


class Table:
    """A data frame shown as an escaped HTML table without the index, formatted by meaning."""

    def __init__(self, frame: pd.DataFrame, caption: str | None = None, digits: dict[str, int] | int | None = None):
        self.frame, self.caption, self.digits = frame, caption, digits

    def __repr__(self) -> str:
        return f"Table({len(self.frame)} rows: {', '.join(map(str, self.frame.columns))})"

    def _repr_html_(self) -> str:
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        shown = format_frame(self.frame, self.digits)
        table = shown.to_html(index=False, escape=True, border=0, na_rep="", classes="nk-table")
        table = scroll_wrap(table, self.caption)
        return table.replace(">\n  <thead>", f">{cap}\n  <thead>", 1) if cap else table


def table(frame: pd.DataFrame, caption: str | None = None, digits: dict[str, int] | int | None = None) -> Table:
    """The one way to show a table in the book: escaped cells, no index, formatted by meaning."""
    return Table(frame, caption, digits)


def javascript_bundle() -> str:
    """vega, vega-lite and vega-embed in one script, wrapped in a function scope.

    ``vl_convert.javascript_bundle()`` declares top-level constants that clash with Sphinx's own
    scripts when loaded as a classic script; the wrapper keeps them local and still sets
    ``window.vegaEmbed``.
    """
    import vl_convert

    bundle: str = vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)  # type: ignore[call-arg]
    return "(function(){\n" + bundle + "\n})();\n"
