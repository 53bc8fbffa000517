"""The Leaderboard tab's table as HTML: one ``<tbody>`` per data version, sortable in the browser.

Rendered on the server from ``board.ranked_sections`` and ``columns.COLUMN_GROUPS``. Every text
that a submitter could have typed goes through ``html.escape`` (names render as text, never as
markup). Each cell carries its sort value in ``data-v``; ``SORT_JS`` (the component's
``js_on_load``) sorts the rows of each ``<tbody>`` on its own when a header is clicked, so paper
rows and submissions never mix and each keeps its rank. Δ cells are shaded: red = accuracy lost
(worse), blue = gained, deeper = larger (``drop_shade``).

>>> drop_shade(0.0), drop_shade(0.2), drop_shade(-0.05)
('', 'background:rgba(220,38,38,0.28)', 'background:rgba(37,99,235,0.11)')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from space.board import Section, matches_gold_everywhere, status_of
from space.columns import DROP_DEFINITION, Column, ColumnGroup
from space.store import Run

SHADE_FULL = 0.4
"""A drop of this size (40 points) gets the deepest shade."""

_SECTION_HEADING = {
    "served": "This board's build · {version} · submissions, ranked among themselves",
    "build": "Older build · {version} · not comparable with the rows above",
    "paper": "The paper's 21 models · {version} · values as printed in Table 2, ranked among themselves",
}
EMPTY_SERVED = (
    "No submissions on this build yet: upload a predictions file (Submit tab) or ask the maintainers to "
    "evaluate a model (Request evaluation)."
)
NO_MATCH = "No rows match the filters. Clear the search box or widen the filters."
PAGE_ROWS = 100
"""Rows shown per section before its "Show all" button. Every row is in the page (sorting and the
counts use them all); the rest are ``display: none`` until asked for, because Chromium's layout
of a 1,000-row table, not the server, is what a visitor waits for (0.35 s of a re-render's floor
with all rows laid out, 0.08 s with 100 per section; ``benchmarks/board_render.py``)."""


def drop_shade(value: float | None) -> str:
    """Inline background of a Δ cell: red for a drop (worse), blue for a gain, alpha by size."""
    if value is None or not math.isfinite(value) or abs(value) < 0.005:
        return ""
    alpha = 0.06 + 0.44 * min(abs(value) / SHADE_FULL, 1.0)
    rgb = "220,38,38" if value > 0 else "37,99,235"
    return f"background:rgba({rgb},{alpha:.2f})"


def _num(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else repr(round(float(value), 6))


def _cell(col: Column, run: Run) -> str:
    value = col.get(run)
    phone = "" if col.phone else " class='wide'"
    if col.kind == "text":
        text = escape(str(value or "—"))
        return f"<td{phone} data-v='{escape(str(value or '').lower())}'>{text}</td>"
    if value is None:
        return f"<td{phone} data-v=''>—</td>"
    ci = col.ci(run) if col.ci is not None else None
    if col.kind == "num":
        shown = f"{value:g}"
    elif col.kind == "drop":
        shown = f"{value:+.3f}".replace("-0.000", "+0.000")
    else:
        shown = f"{value:.3f}"
    extra = f"<span class='ci'>±{ci:.3f}</span>" if ci is not None and math.isfinite(ci) else ""
    style = f" style='{drop_shade(value)}'" if col.kind == "drop" and drop_shade(value) else ""
    classes = "num" if col.phone else "num wide"
    return f"<td class='{classes}' data-v='{_num(value)}'{style}>{shown}{extra}</td>"


def _badges(run: Run) -> str:
    status = status_of(run)
    out = ""
    if status == "verified":
        out += ("<span class='badge verified' title='The maintainers ran this model themselves from its Hub "
                "id and revision (board worker): the numbers are verified.'>✓<span class='long'> verified</span></span>")  # fmt: skip
    elif status == "self-reported":
        out += ("<span class='badge self' title='Scored from a predictions file the submitter uploaded; "
                "the maintainers did not run the model.'>self-reported</span>")  # fmt: skip
    if matches_gold_everywhere(run):
        out += ("<span class='badge gold' title='Every record of this file matches the gold answers, which "
                "the public dataset carries: likely built from them (robustbench-tc oracle), not a model run.'>"
                "⚠<span class='long'> matches gold on every record</span></span>")  # fmt: skip
    return out


def _model_cell(run: Run) -> str:
    name = escape(run.model)
    title = escape(f"{run.model} — open its detail view" + (f" ({run.hf_id})" if run.hf_id else ""))
    return (
        f"<td class='model' data-v='{escape(run.model.lower())}'><a href='?row={run.run_id}' "
        f"title='{title}'>{name}</a>{_badges(run)}</td>"
    )


def _header(columns: Sequence[Column]) -> str:
    cells = [
        "<th class='rank' data-col='rank' data-dir='ascending' aria-sort='ascending' title='Rank by Pert. Acc. "
        "within this group: the range of ranks the paired bootstrap tests allow (LMArena-style; 2–4 = could be "
        "2nd to 4th). Rows without a paired test are separated by non-overlapping 95% intervals.'>"
        "<button type='button'>Rank</button></th>",
        "<th class='model' data-col='model' data-dir='ascending' aria-sort='none' title='Model name; open it "
        "for its detail view. Badges: ✓ verified (the maintainers ran it), self-reported (an uploaded file).'>"
        "<button type='button'>Model</button></th>",
    ]
    for col in columns:
        direction = "ascending" if col.kind in ("drop", "text") else "descending"
        classes = ("num " if col.kind != "text" else "") + ("" if col.phone else "wide")
        cells.append(
            f"<th class='{classes.strip()}' data-col='{escape(col.key)}' data-dir='{direction}' aria-sort='none' "
            f"title='{escape(col.tip)}'><button type='button'>{escape(col.label)}</button></th>"
        )
    return "<thead><tr>" + "".join(cells) + "</tr></thead>"


def render_board(
    sections: Sequence[Section], groups: Sequence[ColumnGroup], page_rows: int = PAGE_ROWS
) -> str:
    """The whole table (caption, header, one body per section) as an HTML string; past ``page_rows``
    rows a section's rows wait behind its "Show all" button."""
    columns = [c for g in groups for c in g.columns]
    width = 2 + len(columns)
    bodies = []
    shown = 0
    for section in sections:
        heading = escape(_SECTION_HEADING[section.kind].format(version=section.version))
        parts = [
            f"<tr class='section'><th colspan='{width}' scope='colgroup'><span>{heading}</span></th></tr>"
        ]
        if section.kind == "served" and section.total == 0:
            parts.append(
                f"<tr class='note'><td colspan='{width}'><span>{escape(EMPTY_SERVED)}</span></td></tr>"
            )
        elif not section.rows:
            continue
        for order, row in enumerate(section.rows):
            run = row.run
            cells = "".join(_cell(c, run) for c in columns)
            more = " class='more'" if order >= page_rows else ""
            parts.append(
                f"<tr data-row='{run.run_id}' data-order='{order}'{more}>"
                f"<td class='rank' data-v='{row.best + row.worst / 10_000:.4f}'>{row.rank}</td>"
                f"{_model_cell(run)}{cells}</tr>"
            )
        if len(section.rows) > page_rows:
            hidden = len(section.rows) - page_rows
            parts.append(
                f"<tr class='more-toggle'><td colspan='{width}'><span><button type='button' data-more>"
                f"Show all {len(section.rows):,} rows of this group ({hidden:,} more)</button></span></td></tr>"
            )
        shown += len(section.rows)
        bodies.append(f"<tbody data-section='{section.kind}'>" + "".join(parts) + "</tbody>")
    if shown == 0 and not any(s.kind == "served" and s.total == 0 for s in sections):
        return f"<div class='rbtc-board' data-rows='0'><p class='rbtc-empty' role='status'>{escape(NO_MATCH)}</p></div>"
    caption = (
        "<p class='rbtc-caption'><span data-sorted>Ranked by Pert. Acc. within each group.</span> "
        f"<span class='long'>Click a header to sort; groups never mix.</span> {escape(DROP_DEFINITION)}: "
        "<span class='key worse'>red</span> = lost accuracy, <span class='key better'>blue</span> = gained.</p>"
    )
    return (
        f"<div class='rbtc-board' data-rows='{shown}'>{caption}<div class='rbtc-scroll'>"
        f"<table class='rbtc-table' data-page='{page_rows}'>{_header(columns)}{''.join(bodies)}</table></div></div>"
    )


def render_rows_json(sections: Sequence[Section], groups: Sequence[ColumnGroup]) -> list[dict[str, Any]]:
    """The same view as plain records (the ``/leaderboard`` API)."""
    columns = [c for g in groups for c in g.columns]
    out = []
    for section in sections:
        for row in section.rows:
            run = row.run
            record: dict[str, Any] = {
                "data_version": section.version,
                "rank": row.rank,
                "rank_best": row.best,
                "rank_worst": row.worst,
                "run_id": run.run_id,
                "model": run.model,
                "status": status_of(run),
                "matches_gold_everywhere": matches_gold_everywhere(run),
            }
            for col in columns:
                record[col.key] = col.get(run)
                if col.ci is not None:
                    record[f"{col.key}_ci"] = col.ci(run)
            out.append(record)
    return out


SORT_JS = """
const cmp = (a, b) => {
  const x = parseFloat(a), y = parseFloat(b);
  if (a === '' && b === '') return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  if (!isNaN(x) && !isNaN(y)) return x - y;
  return a.localeCompare(b);
};
element.addEventListener('click', (event) => {
  const more = event.target.closest('button[data-more]');
  if (more && element.contains(more)) { more.closest('table').classList.add('all'); return; }
  const th = event.target.closest('th[data-col]');
  if (!th || !element.contains(th)) return;
  const table = th.closest('table');
  const index = Array.from(th.parentNode.children).indexOf(th);
  const current = th.getAttribute('aria-sort');
  const dir = (current === 'none' || !current) ? th.dataset.dir
    : (current === 'ascending' ? 'descending' : 'ascending');
  table.querySelectorAll('thead th[data-col]').forEach((h) => h.setAttribute('aria-sort', 'none'));
  th.setAttribute('aria-sort', dir);
  const sign = dir === 'ascending' ? 1 : -1;
  table.querySelectorAll('tbody').forEach((body) => {
    const rows = Array.from(body.querySelectorAll('tr[data-row]'));
    const key = (r) => r.children[index].dataset.v;
    rows.sort((a, b) => {
      const ka = key(a), kb = key(b);
      if (ka === '' || kb === '') return cmp(ka, kb) || (a.dataset.order - b.dataset.order);
      return sign * cmp(ka, kb) || (a.dataset.order - b.dataset.order);
    });
    const page = parseInt(table.dataset.page || '0', 10) || rows.length;
    rows.forEach((r, i) => { r.classList.toggle('more', i >= page); body.appendChild(r); });
    const toggle = body.querySelector('tr.more-toggle');
    if (toggle) body.appendChild(toggle);  // the first rows by the new order show, the button stays last
  });
  const label = th.innerText.trim();
  const note = element.querySelector('[data-sorted]');
  if (note) note.textContent = `Sorted by ${label} (${dir}) within each group; Rank stays by Pert. Acc.`;
});
"""
"""Header click: sort each section's rows by the column's ``data-v`` (numbers as numbers, unknown
values last); first click goes to the column's better end (``data-dir``), the next reverses. The
first ``PAGE_ROWS`` rows of each section by the new order are the ones shown; a "Show all" button
shows the rest."""

BOARD_CSS = """
.rbtc-board { font-size: 14px; }
.rbtc-caption { margin: 0 0 4px 0; font-size: 12.5px; color: var(--body-text-color-subdued); }
.rbtc-caption .key { padding: 0 4px; border-radius: 3px; }
.rbtc-caption .key.worse { background: rgba(220,38,38,0.35); }
.rbtc-caption .key.better { background: rgba(37,99,235,0.3); }
.rbtc-empty { padding: 16px; border: 1px dashed var(--border-color-primary); border-radius: 6px; }
.rbtc-scroll { overflow: auto; max-height: min(75vh, 1400px); border: 1px solid var(--border-color-primary);
  border-radius: 6px; }
.rbtc-table { border-collapse: separate; border-spacing: 0; width: max-content; min-width: 100%; margin: 0;
  padding: 0; }
.rbtc-table th, .rbtc-table td { padding: 4px 8px; white-space: nowrap; text-align: left;
  border-bottom: 1px solid var(--border-color-primary); background-clip: padding-box; }
.rbtc-table thead th { position: sticky; top: 0; z-index: 3; background: var(--background-fill-secondary); }
.rbtc-table thead th button { all: unset; cursor: pointer; font-weight: 600; }
.rbtc-table thead th[aria-sort=ascending] button::after { content: ' ▲'; font-size: 10px; }
.rbtc-table thead th[aria-sort=descending] button::after { content: ' ▼'; font-size: 10px; }
.rbtc-table .num { text-align: right; font-variant-numeric: tabular-nums; }
.rbtc-table .ci { opacity: 0.62; font-size: 11px; margin-left: 3px; }
/* Rank and Model stay pinned: Model's offset is Rank's whole width (border-box, so the padding is
   inside it), or the scrolled cells show through a gap between them. */
.rbtc-table { --rank-w: 5.2em; }
.rbtc-table td.rank, .rbtc-table th.rank { position: sticky; left: 0; z-index: 2; box-sizing: border-box;
  width: var(--rank-w); min-width: var(--rank-w); max-width: var(--rank-w); overflow: hidden;
  text-overflow: ellipsis; background: var(--background-fill-primary); }
.rbtc-table td.model, .rbtc-table th.model { position: sticky; left: var(--rank-w); z-index: 2;
  background: var(--background-fill-primary); border-right: 1px solid var(--border-color-primary); }
.rbtc-table thead th.rank, .rbtc-table thead th.model { z-index: 4; background: var(--background-fill-secondary); }
.rbtc-table td.model a { color: inherit; text-decoration: none; font-weight: 600; }
.rbtc-table td.model a:hover { text-decoration: underline; }
.rbtc-table tr.section th { background: var(--background-fill-secondary); font-weight: 600; font-size: 12.5px; }
.rbtc-table tr.section th span, .rbtc-table tr.note td span { position: sticky; left: 8px; }
.rbtc-table tr.note td { color: var(--body-text-color-subdued); font-style: italic; }
.rbtc-table:not(.all) tr.more, .rbtc-table.all tr.more-toggle { display: none; }
.rbtc-table tr.more-toggle span { position: sticky; left: 8px; }
.rbtc-table tr.more-toggle button { cursor: pointer; padding: 2px 10px; border-radius: 6px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); }
.rbtc-table .badge { display: inline-block; margin-left: 6px; padding: 0 5px; border-radius: 8px;
  font-size: 11px; font-weight: 500; border: 1px solid var(--border-color-primary); }
.rbtc-table .badge.verified { background: rgba(22,163,74,0.15); border-color: rgba(22,163,74,0.6); }
.rbtc-table .badge.self { color: var(--body-text-color-subdued); }
.rbtc-table .badge.gold { background: rgba(234,179,8,0.25); border-color: rgba(202,138,4,0.8); }
@media (max-width: 640px) {
  .rbtc-table .wide { display: none; }
  .rbtc-table td.model { max-width: 40vw; overflow: hidden; text-overflow: ellipsis; }
  .rbtc-table .badge { display: none; }
  .rbtc-table .badge.gold, .rbtc-table .badge.verified { display: inline-block; }
  .rbtc-table .badge .long { display: none; }
  .rbtc-table tr.section th span, .rbtc-table tr.note td span { white-space: normal; display: block;
    max-width: 85vw; }
  .rbtc-table th, .rbtc-table td { padding: 4px 5px; }
  .rbtc-table { --rank-w: 4.4em; }
  .rbtc-table .ci { display: none; }
  .rbtc-table { min-width: 0; width: 100%; }
  .rbtc-caption .long { display: none; }
}
"""
