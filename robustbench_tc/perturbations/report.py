"""Text about a static build: the audit paragraph and the dataset-card notes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from robustbench_tc.perturbations.figures import QualityFigures, figures_table
from robustbench_tc.perturbations.generators import RULES_VERSION
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import CLEAN_N, PAPER_TOTAL, TRANSITION_ERRORS, static_types

MAX_ATTEMPTS = 4
"""Tries per row (``robustbench_tc.perturbations.MAX_ATTEMPTS``)."""

if TYPE_CHECKING:
    from robustbench_tc.perturbations import RowResult
    from robustbench_tc.perturbations.generators import GeneratorConfig

SUBSET_NOTE = (
    "**(a)** The paper's per-type subsets (Dup 133/127/126/125/126, MisDesc/TimeDesc and -N 102, "
    "-Abbr 144) cannot be recovered from public data (sources FORMATS.md §10: its same-name files "
    "drew on 49 BFCL bases outside the clean set, and which API-Bank / RoTBench / ToolAlpaca "
    "pairs it skipped is unknown). This rebuild applies every type to every eligible clean "
    "sample: BFCL 32 + API-Bank 74 + RoTBench 20 + ToolAlpaca 21 = 147 (one RoTBench gold is the "
    "meta-tool `ask_to_user`, not a real tool). ToolEyes (51) has no "
    "single ground-truth tool and skips the Dup and Reward types, as in the paper (§4.3), but gets "
    "RedunTool (the paper's ToolEyes total, 612 = 12 x 51, implies it too)."
)
NOOP_NOTE = (
    "**(b)** Rows flagged `no_tool_descriptions` / `no_parameter_descriptions` in "
    "`perturbation_metadata` have nothing to paraphrase and equal the clean sample; the paper kept "
    "such samples (ToolPara and ParamPara n = 199; its App. H audit skipped 4 ParamPara pairs for "
    "this reason). Filter them out for a stricter evaluation."
)


def _reason_kind(problem: str) -> str:
    """The kind of a rejection: "attempt 2: gold values lost: ['x']" -> "gold values lost".

    >>> _reason_kind("attempt 2: gold values lost: ['x']"), _reason_kind("attempt 1: 6 typos (2-4 expected)")
    ('gold values lost', 'N typos')
    """
    text = problem.split(": ", 1)[1] if problem.startswith("attempt ") else problem
    return re.sub(r"\d+", "N", re.split(r":|\(|\[", text, maxsplit=1)[0].strip())


def generation_summary(by_code: Mapping[str, Sequence[RowResult]]) -> str:
    """For a model generator: rows written on the first try, regenerated, fallen back to the
    rules, and the rejections by kind ("" when no row came from a model)."""
    results = [
        r
        for rs in by_code.values()
        for r in rs
        if r.row is not None and (r.fallback or not r.row.generator.startswith(("rules", "runtime")))
    ]
    if not results:
        return ""
    labels = sorted(
        {r.row.perturbation_metadata.get("fallback_from") or r.row.generator for r in results if r.row}
    )
    first = sum(1 for r in results if r.attempts == 1 and not r.fallback)
    again = sum(1 for r in results if r.attempts > 1 and not r.fallback)
    back = sum(1 for r in results if r.fallback)
    kinds = Counter(_reason_kind(p) for r in results for p in r.problems)
    detail = ", ".join(f"{k} {n}" for k, n in kinds.most_common()) or "none"
    return (
        f"Generator {', '.join(f'`{x}`' for x in labels)}: {len(results)} model-written rows; {first} accepted on "
        f"the first try, {again} regenerated after a rejected output, {back} fell back to `rules` after "
        f"{MAX_ATTEMPTS} rejected outputs. Rejected outputs by reason: {detail}."
    )


def audit_summary(by_code: Mapping[str, Sequence[RowResult]]) -> str:
    """One paragraph: rows checked, rows regenerated, violations (always 0 when returned), and
    for a model generator the regeneration and fallback counts."""
    rows = [r for results in by_code.values() for r in results if r.row is not None]
    regenerated = [r for r in rows if r.attempts > 1]
    skipped = sum(1 for results in by_code.values() for r in results if r.row is None)
    detail = ""
    if regenerated:
        detail = " (" + ", ".join(f"{r.code_name}/{r.sample_id}" for r in regenerated[:5])
        detail += ", ..." if len(regenerated) > 5 else ""
        detail += ")"
    text = (
        f"Validity audit: checked {len(rows)} perturbed rows over {len(by_code)} static types "
        f"({skipped} (sample, type) pairs not eligible); {len(regenerated)} regenerated with the next "
        f"seed{detail}; 0 violations. Every row lists each gold tool as the scorer expects, keeps "
        "every gold value found in its clean query, and no distractor equals a gold tool."
    )
    generation = generation_summary(by_code)
    return f"{text}\n{generation}" if generation else text


def card_notes(
    clean: Sequence[Sample],
    by_code: Mapping[str, Sequence[RowResult]],
    generator: GeneratorConfig,
    figures: Sequence[QualityFigures] = (),
) -> str:
    """Markdown: per-type counts against the paper with each difference explained, and which
    generator produced each type."""
    lines = [
        "### Static perturbations: counts and generators",
        "",
        "| config | display | generator | rows | paper | difference |",
        "|---|---|---|---:|---:|---|",
    ]
    total = 0
    for ptype in static_types():
        if ptype.code_name not in by_code:
            continue  # not built (build --configs)
        results = by_code[ptype.code_name]
        rows = [r.row for r in results if r.row is not None]
        total += len(rows)
        gens = sorted({r.generator for r in rows}) or ["-"]
        lines.append(
            f"| `{ptype.code_name}` | {ptype.display_name} | {', '.join(gens)} | {len(rows)} | "
            f"{ptype.paper_n} | {_note(results, len(rows), ptype.paper_n)} |"
        )
    n_transition = len(TRANSITION_ERRORS) * len(clean)
    static_paper = sum(t.paper_n for t in static_types())
    lines += [
        "",
        f"Static rows: {total} (paper: {static_paper}). With {len(clean)} clean rows and "
        f"{n_transition} transition rows ({len(TRANSITION_ERRORS)} x clean), the dataset has "
        f"{total + len(clean) + n_transition} rows (paper: {PAPER_TOTAL} = {CLEAN_N} clean + "
        f"{PAPER_TOTAL - CLEAN_N} perturbed).",
        "",
        SUBSET_NOTE,
        "",
        NOOP_NOTE,
        "",
        f"**Generators.** This build used `{generator.label}` (`rules` texts: version "
        f"{RULES_VERSION}, the reviewed phrase tables and clause-level rewrites). The Dup types are rule-based "
        "(`rules`) by definition; Typo, QueryPara, ToolPara, ParamPara, RedunTool and the "
        "cost/latency description rewrite of the six Reward types come from that generator, "
        "recorded in every row's `generator` field. The paper used gpt-5-mini (gpt-4o-mini for "
        "Typo); `rules` is a deterministic offline substitute (keyboard-noise typos, phrase-table "
        "paraphrases, rule-derived sibling tools), so accuracies on those types are not directly "
        "comparable with the paper's.",
    ]
    generation = generation_summary(by_code)
    if generation:
        lines += ["", generation]
    if figures:
        lines += ["", *quality_notes(figures)]
    return "\n".join(lines) + "\n"


def quality_notes(figures: Sequence[QualityFigures]) -> list[str]:
    """The card's deterministic quality section (lines of markdown)."""
    return [
        "### Perturbation quality: deterministic figures",
        "",
        "Per text type and generator, with no judge (`robustbench_tc.perturbations.figures`): rows "
        "whose text changed; the token-level edit size (words and punctuation marks; mean / median "
        "tokens per changed row, and as a share of the clean text: a query's user words, the "
        "descriptions); the share of rewritten texts (a query, one description) changed by a single "
        "token; rows keeping every gold value and number of their clean text; rows whose edit "
        "falls in the curated list of meaning-shifting or ungrammatical substitutions "
        "(`robustbench_tc.perturbations.bad_edits`).",
        "",
        figures_table(figures),
    ]


def _note(results: Sequence[RowResult], n: int, paper: int) -> str:
    parts = []
    if n != paper:
        per_source = Counter(r.row.source for r in results if r.row is not None)
        parts.append(
            f"{n - paper:+d}: " + " + ".join(f"{s} {c}" for s, c in sorted(per_source.items())) + " (a)"
        )
    reasons = Counter(r.ineligible for r in results if r.ineligible)
    for why, count in reasons.most_common():
        parts.append(f"{count} not eligible: {why}")
    noop = sum(
        1
        for r in results
        if r.row is not None
        and (
            r.row.perturbation_metadata.get("no_parameter_descriptions")
            or r.row.perturbation_metadata.get("no_tool_descriptions")
        )
    )
    if noop:
        parts.append(f"{noop} rows equal the clean sample (b)")
    same = sum(
        1
        for r in results
        if r.row is not None and r.row.perturbation_metadata.get("distractor_identical_to_gt")
    )
    if same:
        parts.append(f"{same} rows whose distractor equals the GT by definition (c)")
    return "; ".join(parts) or "same as the paper"
