"""(clean, perturbed) text pairs of the four text types, as the paper's Appendix H extracts them.

* Typo, QueryPara: the query (the last user message, API-Bank dialogues included);
* ToolPara: the JSON list of every real tool's description (the ``**Think`` pseudo-tool too, as
  App. H's level2_11 example shows);
* ParamPara: one ``tool.param: description`` line per described parameter (nested ones
  included, ``described_parameters``).

A row flagged ``no_tool_descriptions`` / ``no_parameter_descriptions`` has nothing to compare and
gives no pair (App. H skipped 4 ParamPara pairs for this reason).  Both the judge audit and the
deterministic figures read these pairs, so they measure the same text.

>>> from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
>>> gold = [GoldAnswer(calls=[GoldCall(name="f", arguments={})])]
>>> clean = Sample(id="s", base_id="s", source="bfcl_v3", output_format="bfcl_ast", golden_answers=gold,
...     messages=[Message(role="user", content="Find the cat.")],
...     tools=[Tool(name="f", description="Gets a cat.")])
>>> row = clean.model_copy(update={"perturbation": "query_paraphrase", "generator": "rules",
...     "messages": [Message(role="user", content="Please find the cat.")]})
>>> text_pair(clean, row)
TextPair(code_name='query_paraphrase', sample_id='s', generator='rules', clean='Find the cat.', perturbed='Please find the cat.')
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from pydantic import BaseModel, ConfigDict

from robustbench_tc.perturbations.observation import described_parameters
from robustbench_tc.perturbations.text import editable_regions, query_text
from robustbench_tc.records import Sample

TEXT_TYPES = (
    "realistic_typos",
    "query_paraphrase",
    "paraphrase_tool_description",
    "paraphrase_parameter_description",
)
"""The four types whose text the paper generated with an LLM and audited in Appendix H."""

_NO_TEXT_FLAGS = ("no_tool_descriptions", "no_parameter_descriptions")


class TextPair(BaseModel):
    """One audited (clean, perturbed) text of one row."""

    model_config = ConfigDict(frozen=True)

    code_name: str
    sample_id: str
    generator: str
    clean: str
    perturbed: str


def _descriptions(sample: Sample) -> str:
    return json.dumps([t.description for t in sample.tools], ensure_ascii=False)


def _parameters(sample: Sample) -> str:
    return "\n".join(
        f"{label}: {node['description']}"
        for tool in sample.tools
        for label, node in described_parameters(tool)
    )


def text_pair(clean: Sample, row: Sample) -> TextPair | None:
    """The pair of one perturbed row of a text type (None: nothing to compare, or not a text type)."""
    code = row.perturbation
    if code not in TEXT_TYPES or any(row.perturbation_metadata.get(f) for f in _NO_TEXT_FLAGS):
        return None
    if code in ("realistic_typos", "query_paraphrase"):
        before, after = query_text(clean), query_text(row)
    elif code == "paraphrase_tool_description":
        before, after = _descriptions(clean), _descriptions(row)
    else:
        before, after = _parameters(clean), _parameters(row)
    return TextPair(code_name=code, sample_id=row.id, generator=row.generator, clean=before, perturbed=after)


def text_pairs(clean: Iterable[Sample], rows: Iterable[Sample]) -> Iterator[TextPair]:
    """Pairs of every text-type row of ``rows`` whose clean sample is in ``clean``."""
    by_id: Mapping[str, Sample] = {s.id: s for s in clean}
    for row in rows:
        base = by_id.get(row.base_id)
        pair = text_pair(base, row) if base is not None else None
        if pair is not None:
            yield pair


def user_words(text: str) -> str:
    """The user's own words of a query (the editable regions, one per line): what a typo or a
    query paraphrase may change, without the dialogue markup around it."""
    return "\n".join(text[a:b] for a, b in editable_regions(text))
