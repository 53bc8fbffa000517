"""Small HTML tables for the detail and request views: every cell escaped, values never cut.

>>> frame_html(pd.DataFrame({"Field": ["<b>"], "Value": ["x"]}))
"<table class='rbtc-plain'><thead><tr><th>Field</th><th>Value</th></tr></thead><tbody><tr><td>&lt;b&gt;</td><td>x</td></tr></tbody></table>"
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import pandas as pd

HEADER_LABELS: dict[str, str] = {
    "name_bias": "name bias",
    "parameter_mismatch": "param. mismatch",
    "followed_injection": "followed injection",
    "repeated_value": "repeated value",
    "accepted_result": "accepted result",
    "step_limit": "step limit",
    "ghost-tool calls": "ghost-tool calls",
}
"""Readable headers for the Appendix L error-mode columns (the glossary explains each)."""


NUM = " class='num'"


def frame_html(
    frame: pd.DataFrame,
    *,
    numeric: frozenset[str] = frozenset(),
    labels: Mapping[str, str] = HEADER_LABELS,
    wide: frozenset[str] = frozenset(),
    css_class: str = "rbtc-plain",
) -> str:
    """A DataFrame of display strings as an HTML table. ``numeric`` columns are right-aligned;
    ``wide`` columns may wrap (long metadata values), the others stay on one line."""
    heads = "".join(
        f"<th{NUM if c in numeric else ''}>{escape(labels.get(c, str(c)))}</th>" for c in frame.columns
    )
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(frame.columns, values, strict=True):
            cls = "num" if col in numeric else "wrap" if col in wide else ""
            attr = f" class='{cls}'" if cls else ""
            cells.append(f"<td{attr}>{escape('' if value is None else str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='{css_class}'><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


APP_CSS = """
.rbtc-header { font-size: 15px; padding: 2px 0 4px 0; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.rbtc-header a { text-decoration: underline; }
.rbtc-plain { border-collapse: collapse; font-size: 13px; margin: 4px 0 12px 0; }
.rbtc-plain th, .rbtc-plain td { border-bottom: 1px solid var(--border-color-primary); padding: 3px 6px;
  text-align: left; white-space: nowrap; vertical-align: top; }
.rbtc-plain th { background: var(--background-fill-secondary); font-weight: 600; }
.rbtc-plain td.num, .rbtc-plain th.num { text-align: right; font-variant-numeric: tabular-nums; }
.rbtc-plain td.wrap { white-space: normal; overflow-wrap: anywhere; max-width: 60ch; }
.rbtc-scroll-x { overflow-x: auto; max-width: 100%; }
.rbtc-detail h3 { margin: 4px 0; }
.rbtc-detail h4 { margin: 10px 0 2px 0; }
.rbtc-detail .share { font-size: 13px; }
.rbtc-detail .grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.rbtc-detail .grid > section { min-width: 0; max-width: 100%; }
.rbtc-notes { font-size: 13px; }
.rbtc-plot { overflow-x: auto; }
#retention-plot .js-plotly-plot, #retention-plot .plot-container { min-width: 860px; }
@media (max-width: 640px) {
  .rbtc-header { white-space: normal; }
  .rbtc-header .more { display: none; }
}
"""

APP_HEAD = """<style>
@media (max-width: 640px) { .main.fillable { padding-left: 8px !important; padding-right: 8px !important; } }
</style>"""
"""Raw ``<head>`` CSS: Gradio scopes custom CSS inside media queries to the app's content, so the
page's own side padding (32 px, a sixth of a phone's width) can only be narrowed from here."""
