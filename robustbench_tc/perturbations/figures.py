"""Deterministic quality figures of the four text types, per type and generator (no judge).

For the rows of one (type, generator), over the (clean, perturbed) pairs of ``pairs``:

* ``changed``: rows whose text actually changed (rows flagged ``no_*_descriptions`` count as
  unchanged: they equal the clean sample);
* token-level edit size: tokens are words and punctuation marks (``\\w+|[^\\w\\s]``); an edit is
  the larger side of each differing block of a ``difflib`` alignment of each rewritten text (the
  query, or one description), summed over the row, so a swapped word is 1, a
  moved sentence twice its length (deleted, inserted); reported as mean / median tokens per
  changed row and as a share of the clean tokens (queries: the user's own words only, not the
  dialogue markup around them);
* ``gold_kept``: rows whose every gold value (and number) found in the clean text is still in the
  perturbed text, out of the rows with any;
* ``one_token_share``: of the texts rewritten (the query, or each description), the share changed
  by one token only (a single swapped or dropped word: the shallowest edit);
* ``flagged``: rows whose edit falls in the curated list of meaning-shifting or ungrammatical
  substitutions (``bad_edits``).

>>> from robustbench_tc.perturbations.pairs import TextPair
>>> p = TextPair(code_name="query_paraphrase", sample_id="s", generator="rules",
...              clean="Find the name of the city.", perturbed="Find the title of the city.")
>>> edit_tokens(p.clean, p.perturbed)
1
>>> f = figures_for([p], {"s": ["city"]}, n_rows=1)
>>> (f.changed, f.flagged, f.flagged_ids)
(1, 1, ['s: name -> title'])
"""

from __future__ import annotations

import difflib
import json
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel

from robustbench_tc.perturbations.bad_edits import hits
from robustbench_tc.perturbations.pairs import TEXT_TYPES, TextPair, text_pairs, user_words
from robustbench_tc.perturbations.text import DIGIT_RUNS, gold_strings_in
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import get_type

_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokens(text: str) -> list[str]:
    """Words and punctuation marks.

    >>> tokens("Find X(1), please.")
    ['Find', 'X', '(', '1', ')', ',', 'please', '.']
    """
    return _TOKEN.findall(text)


def edit_tokens(before: str, after: str) -> int:
    """Token-level edit size: the larger side of each differing block of the alignment."""
    a, b = tokens(before), tokens(after)
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal")


def _units(pair: TextPair) -> list[tuple[str, str]]:
    """(before, after) of each text a generator rewrote on its own: the query, or each description."""
    if pair.code_name in ("realistic_typos", "query_paraphrase"):
        return [(user_words(pair.clean), user_words(pair.perturbed))]
    if pair.code_name == "paraphrase_tool_description":
        return list(zip(json.loads(pair.clean), json.loads(pair.perturbed)))
    return list(zip(pair.clean.split("\n"), pair.perturbed.split("\n")))


def _plain(pair: TextPair, text: str) -> str:
    """The words a figure measures: a query's user text; descriptions one per line."""
    if pair.code_name in ("realistic_typos", "query_paraphrase"):
        return user_words(text)
    if pair.code_name == "paraphrase_tool_description":
        return "\n".join(str(d) for d in json.loads(text))
    return text


class QualityFigures(BaseModel):
    """The deterministic figures of one (type, generator)."""

    code_name: str
    display_name: str
    generator: str
    rows: int
    pairs: int
    changed: int
    edit_tokens_mean: float
    edit_tokens_median: float
    edit_share_mean: float
    """Mean over changed rows of edited tokens / clean tokens."""
    one_token_share: float = 0.0
    """Of the texts rewritten (a query, or one description), the share changed by a single token
    (one word swapped or dropped): the shallowest edit."""
    gold_rows: int
    """Rows whose clean text contains a gold value or a number."""
    gold_kept: int
    flagged: int
    flagged_ids: list[str]
    """``sample id: curated entry`` of each flagged row."""

    @property
    def changed_share(self) -> float:
        return self.changed / self.rows if self.rows else 0.0


def figures_for(pairs: Sequence[TextPair], gold: Mapping[str, Sequence[str]], n_rows: int) -> QualityFigures:
    """Figures of the pairs of one (type, generator); ``gold`` maps a sample id to its gold
    strings, ``n_rows`` counts the type's rows (pairs + rows with nothing to compare)."""
    first = pairs[0] if pairs else None
    code = first.code_name if first else ""
    edits, shares, unit_edits, flagged = [], [], [], []
    gold_rows = gold_kept = changed = 0
    for p in pairs:
        units = [(a, b, edit_tokens(a, b)) for a, b in _units(p) if a != b]
        if units:
            changed += 1
            size = sum(n for _, _, n in units)
            edits.append(size)
            shares.append(size / max(1, len(tokens(_plain(p, p.clean)))))
            unit_edits += [n for _, _, n in units]
        values = [v for v in gold.get(p.sample_id, ()) if v in p.clean] + DIGIT_RUNS.findall(
            _plain(p, p.clean)
        )
        if values:
            gold_rows += 1
            gold_kept += all(v in p.perturbed for v in values)
        found = {e.name: None for a, b, _ in units for e in hits(a, b)}  # per rewritten text
        flagged += [f"{p.sample_id}: {name}" for name in found]
    return QualityFigures(
        code_name=code,
        display_name=get_type(code).display_name if code else "",
        generator=first.generator if first else "",
        rows=n_rows,
        pairs=len(pairs),
        changed=changed,
        edit_tokens_mean=round(statistics.fmean(edits), 2) if edits else 0.0,
        edit_tokens_median=float(statistics.median(edits)) if edits else 0.0,
        edit_share_mean=round(statistics.fmean(shares), 4) if shares else 0.0,
        one_token_share=round(sum(1 for n in unit_edits if n == 1) / len(unit_edits), 4)
        if unit_edits
        else 0.0,
        gold_rows=gold_rows,
        gold_kept=gold_kept,
        flagged=len({f.split(": ", 1)[0] for f in flagged}),
        flagged_ids=flagged,
    )


def quality_figures(
    clean: Iterable[Sample], rows_by_type: Mapping[str, Sequence[Sample]]
) -> list[QualityFigures]:
    """Figures per (text type, generator), in taxonomy order."""
    clean = list(clean)
    by_id = {s.id: s for s in clean}
    out = []
    for code in TEXT_TYPES:
        rows = list(rows_by_type.get(code, ()))
        for generator in sorted({r.generator for r in rows}):
            mine = [r for r in rows if r.generator == generator]
            pairs = list(text_pairs(clean, mine))
            gold = {p.sample_id: gold_strings_in(by_id[p.sample_id], p.clean) for p in pairs}
            out.append(figures_for(pairs, gold, len(mine)))
    return out


def figures_table(figures: Sequence[QualityFigures]) -> str:
    """Markdown table of the figures (the build report and the dataset card)."""
    lines = [
        "| type | generator | rows | changed | edit tokens (mean / median) | edit share | one-token edits | gold values kept | curated-list hits |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        lines.append(
            f"| {f.display_name} | `{f.generator}` | {f.rows} | {f.changed} ({f.changed_share:.1%}) | "
            f"{f.edit_tokens_mean:.2f} / {f.edit_tokens_median:g} | {f.edit_share_mean:.1%} | "
            f"{f.one_token_share:.1%} | {f.gold_kept}/{f.gold_rows} | {f.flagged} |"
        )
    return "\n".join(lines)
