"""Source prompt codecs: read the tool list out of a source's system prompt and write it back.

Each source's codec is named by its row of the source table (``robustbench_tc.sources``):

=========== ==================================== =========================================
source      module                               prompt
=========== ==================================== =========================================
bfcl_v3     ``robustbench_tc.formats.bfcl``       ours: JSON functions, ``[f(a=1)]`` replies
apibank     ``robustbench_tc.formats.toolrl``     upstream ToolRL prompt (incl. ``**Think``)
rotbench    ``robustbench_tc.formats.react``      upstream ReAct prompt (JSON tool list)
toolalpaca  ``robustbench_tc.formats.toolalpaca`` ours: ReAct ``Action:``/``Action Input:``
tooleyes    ``robustbench_tc.formats.react``      upstream ReAct prompt (JSON tool list)
=========== ==================================== =========================================

Every codec has ``parse_tools(prompt) -> list[Tool]`` and ``replace_tools(prompt, tools) -> str``
(re-render only the tool block of an existing prompt, so upstream templates never need storing),
with ``replace_tools(p, parse_tools(p)) == p`` for every upstream prompt.  Our own prompts are
also rendered from scratch by ``render_system_prompt``.

The entry point for code that edits tools (perturbations) is ``with_tools``:

>>> from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
>>> tools = [Tool(name="country_info.capital", description="Fetch the capital city.")]
>>> s = Sample(id="bfcl_v3__BFCL_v3_multiple__multiple_2", source="bfcl_v3",
...            system_prompt=render_system_prompt("bfcl_v3", tools),
...            messages=[Message(role="user", content="What is the capital of Brazil?")],
...            tools=tools, output_format="bfcl_ast",
...            golden_answers=[GoldAnswer(calls=[GoldCall(name="country_info.capital")])])
>>> t = with_tools(s, [*tools, Tool(name="cou_info.cap", description="Cheap.")])
>>> t.tool_names, "cou_info.cap" in t.system_prompt, "cou_info.cap" in s.system_prompt
(['country_info.capital', 'cou_info.cap'], True, False)
>>> parse_tools("bfcl_v3", t.system_prompt) == t.tools
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from robustbench_tc.formats.errors import FormatError
from robustbench_tc.formats.schema import SOURCE_TYPE_KEY, json_type, to_json_schema, to_source_schema
from robustbench_tc.formats.toolrl import THINK_TOOL_NAME
from robustbench_tc.records import Sample, Tool, copy_record
from robustbench_tc.sources import get_source

__all__ = [
    "SOURCE_TYPE_KEY",
    "THINK_TOOL_NAME",
    "FormatError",
    "codec_for",
    "json_type",
    "parse_tools",
    "render_system_prompt",
    "replace_tools",
    "to_json_schema",
    "to_source_schema",
    "with_tools",
]


def codec_for(source: str) -> Any:
    """The codec module of a source (its row in the source table names it)."""
    try:
        return get_source(source).codec_module()
    except KeyError as exc:
        raise FormatError(exc.args[0]) from None


def _tools(tools: Sequence[Tool | dict[str, Any]]) -> list[Tool]:
    return [copy_record(t) if isinstance(t, Tool) else Tool.model_validate(t) for t in tools]


def parse_tools(source: str, system_prompt: str) -> list[Tool]:
    """The tools rendered in a source's system prompt (API-Bank: ``**Think`` included, last).

    The build reads the same prompts again and again (each perturbed row's audit): each prompt is
    parsed once, and every call gets its own copies of the tools."""
    key = (source, system_prompt)
    parsed = _PARSED_TOOLS.get(key)
    if parsed is None:
        parsed = codec_for(source).parse_tools(system_prompt)
        if len(_PARSED_TOOLS) >= _PARSED_TOOLS_MAX:
            _PARSED_TOOLS.pop(next(iter(_PARSED_TOOLS)))
        _PARSED_TOOLS[key] = parsed
    return [copy_record(t) for t in parsed]


_PARSED_TOOLS: dict[tuple[str, str], list[Tool]] = {}
_PARSED_TOOLS_MAX = 8192


def replace_tools(source: str, system_prompt: str, tools: Sequence[Tool]) -> str:
    """``system_prompt`` with its tool block re-rendered from ``tools``; the rest is unchanged."""
    return codec_for(source).replace_tools(system_prompt, _tools(tools))


def render_system_prompt(source: str, tools: Sequence[Tool], *, base_prompt: str | None = None) -> str:
    """The system prompt of ``source`` listing ``tools``.

    BFCL and ToolAlpaca prompts are ours and rendered from scratch.  API-Bank, RoTBench and
    ToolEyes prompts are upstream text that this project does not store: pass the upstream
    prompt as ``base_prompt`` and its tool block is replaced.
    """
    codec = codec_for(source)
    if base_prompt is not None:
        return codec.replace_tools(base_prompt, _tools(tools))
    if not hasattr(codec, "render_system_prompt"):
        raise FormatError(f"the {source} prompt is upstream text: pass the upstream prompt as base_prompt=")
    return codec.render_system_prompt(_tools(tools))


def with_tools(sample: Sample, tools: Sequence[Tool | dict[str, Any]]) -> Sample:
    """A copy of ``sample`` whose ``tools`` are ``tools`` and whose ``system_prompt`` lists them.

    The tool block inside the existing ``system_prompt`` is re-rendered in the source's layout;
    everything else in the prompt is kept.  An empty ``system_prompt`` stays empty for upstream
    prompt sources and is rendered from scratch for BFCL / ToolAlpaca.  ``sample`` is unchanged.
    """
    new_tools = _tools(tools)
    source = sample.source
    if sample.system_prompt:
        prompt = codec_for(source).replace_tools(sample.system_prompt, new_tools)
    elif get_source(source).own_prompt:
        prompt = codec_for(source).render_system_prompt(new_tools)
    else:
        prompt = ""
    copy = copy_record(sample)
    copy.tools = new_tools
    copy.system_prompt = prompt
    return copy
