"""The dataset card (``OUT/README.md``): YAML header for ``datasets`` / the Hub, then the text.

The header declares every config (``clean`` first, ``default: true``), its data file and its
features (``records.ROW_FEATURES``), so ``load_dataset(OUT, "<config>")`` never guesses types.
The card holds no timestamps: two builds of the same inputs give the same bytes.

>>> print(to_yaml({"configs": [{"config_name": "clean", "default": True}], "tags": ["a"]}))
configs:
- config_name: clean
  default: true
tags:
- a
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.pins import SOURCE_REPOS
from robustbench_tc.dataset import DATA_DIR, SPLIT
from robustbench_tc.perturbations.judge import QualityAudit, latest
from robustbench_tc.records import ROW_FEATURES
from robustbench_tc.sources import get_source, source_names
from robustbench_tc.taxonomy import CLEAN, CLEAN_N, PAPER_TOTAL, get_type

PRETTY_NAME = "RobustBench-TC"
ARXIV_ID = "2605.11928"
PAPER_TITLE = (
    "When Simulation Lies: A Sim-to-Real Benchmark and Domain-Randomized RL Recipe for Tool-Use Agents"
)
CITATION = f"""@article{{zhou2026simulationlies,
  title   = {{{PAPER_TITLE}}},
  author  = {{Zhou, Xiaolin and Yuan, Aojie and Luo, Zheng and Ling, Zipeng and Pan, Xixiao and others}},
  journal = {{arXiv preprint arXiv:{ARXIV_ID}}},
  year    = {{2026}}
}}"""

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./\-]*")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"  # only ever called with empty containers
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts / lists / scalars (enough for a dataset card header)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, (Mapping, list)) and item:
                lines.append(f"{pad}{_scalar(key)}:")
                lines.append(to_yaml(item, indent + (0 if isinstance(item, list) else 2)))
            else:
                lines.append(f"{pad}{_scalar(key)}: {_inline(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (Mapping, list)) and item:
                inner = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {inner[indent + 2 :]}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return "\n".join(lines)


def features_yaml(features: Mapping[str, Any] = ROW_FEATURES) -> list[dict[str, Any]]:
    """``ROW_FEATURES`` in the card's ``dataset_info.features`` spelling.

    >>> features_yaml({"id": "string", "messages": [{"role": "string"}]})
    [{'name': 'id', 'dtype': 'string'}, {'name': 'messages', 'list': [{'name': 'role', 'dtype': 'string'}]}]
    """
    out: list[dict[str, Any]] = []
    for name, spec in features.items():
        if isinstance(spec, str):
            out.append({"name": name, "dtype": spec})
        elif isinstance(spec, list) and len(spec) == 1 and isinstance(spec[0], Mapping):
            out.append({"name": name, "list": features_yaml(spec[0])})
        else:
            raise ValueError(f"unsupported feature spec for {name!r}: {spec!r}")
    return out


def _config_info(config: str, rows: int | None, size: int | None) -> dict[str, Any]:
    """One config's ``dataset_info`` entry: features, and its row count and file size when known.

    ``datasets`` keys its cache of a local folder on this header, not on the data files, so the
    counts and sizes make a rebuilt folder load fresh instead of from a stale cache; ``num_examples``
    is also checked against the rows read.

    >>> _config_info("clean", 199, 1234)["splits"]
    [{'name': 'test', 'num_bytes': 1234, 'num_examples': 199}]
    """
    info: dict[str, Any] = {"config_name": config, "features": features_yaml()}
    if rows is not None and size is not None:
        # num_bytes is the JSONL file's size; `datasets` checks num_examples only
        info["splits"] = [{"name": SPLIT, "num_bytes": size, "num_examples": rows}]
        info["download_size"] = size
        info["dataset_size"] = size
    return info


def header(
    configs: Sequence[str],
    counts: Mapping[str, Mapping[str, int]] | None = None,
    file_bytes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The YAML header: metadata, ``configs`` (``clean`` default) and per-config features."""
    ordered = [CLEAN, *[c for c in configs if c != CLEAN]] if CLEAN in configs else list(configs)
    counts, file_bytes = counts or {}, file_bytes or {}
    return {
        "pretty_name": PRETTY_NAME,
        "license": "apache-2.0",
        "language": ["en"],
        "task_categories": ["text-generation"],
        "tags": ["tool-use", "function-calling", "agents", "robustness", "benchmark", "sim-to-real"],
        "size_categories": ["1K<n<10K"],
        "configs": [
            {
                "config_name": config,
                **({"default": True} if config == CLEAN else {}),
                "data_files": [{"split": SPLIT, "path": f"{DATA_DIR}/{config}.jsonl"}],
            }
            for config in ordered
        ],
        "dataset_info": [
            _config_info(
                config, sum(counts[config].values()) if config in counts else None, file_bytes.get(config)
            )
            for config in ordered
        ],
    }


@dataclass(frozen=True)
class CardInputs:
    """What the card reports; everything is derived from the build, nothing from the clock."""

    counts: Mapping[str, Mapping[str, int]]
    """config -> source -> rows."""
    avg_tools: Mapping[str, float]
    """source -> mean candidate-tool count of the clean slice."""
    seed: int
    generator: str
    perturbation_notes: str = ""
    static_note: str = ""
    extra_deviations: Sequence[str] = field(default_factory=tuple)
    file_bytes: Mapping[str, int] = field(default_factory=dict)
    """config -> size of its data file in bytes."""
    gold_index_bytes: int | None = None
    """Size of ``data/gold_index.json`` (None: not written)."""
    fingerprint: str = ""
    """``robustbench_tc.dataset.dataset_fingerprint`` of the data files."""
    judge_section: str = ""
    """The judge-audit section (``judge_section``), between its markers."""


def _counts_table(inputs: CardInputs) -> str:
    sources = source_names()
    head = "| config | display name | component | " + " | ".join(sources) + " | total |"
    rule = "|" + "---|" * (len(sources) + 4)
    rows = [head, rule]
    totals = dict.fromkeys(sources, 0)
    for config, per_source in inputs.counts.items():
        display = "Clean" if config == CLEAN else get_type(config).display_name
        component = "clean" if config == CLEAN else get_type(config).component.value
        cells = [str(per_source.get(s, 0)) for s in sources]
        for s in sources:
            totals[s] += per_source.get(s, 0)
        rows.append(
            f"| `{config}` | {display} | {component} | "
            + " | ".join(cells)
            + f" | {sum(per_source.values())} |"
        )
    rows.append(
        "| **all** | | | " + " | ".join(str(totals[s]) for s in sources) + f" | {sum(totals.values())} |"
    )
    return "\n".join(rows)


def _sources_table(inputs: CardInputs) -> str:
    rows = [
        "| source | upstream repository | commit | license | clean (paper) | avg tools (paper) |",
        "|---|---|---|---|---|---|",
    ]
    clean = inputs.counts.get(CLEAN, {})
    for source, (repo, commit, license_) in SOURCE_REPOS.items():
        info = get_source(source)
        rows.append(
            f"| {info.label} | [{repo}](https://github.com/{repo}) | `{commit}` | {license_} "
            f"| {clean.get(source, 0)} ({info.paper_clean}) "
            f"| {inputs.avg_tools.get(source, 0):.2f} ({info.paper_avg_tools}) |"
        )
    return "\n".join(rows)


DEVIATIONS = """\
- **ToolEyes gold answers are this project's own labels.** Upstream ToolEyes has no ground truth
  (its evaluation is reference-free, GPT-4 judged) and the paper's labels were not available to
  this rebuild. The 51 ToolEyes samples carry gold calls annotated for this rebuild
  (`dataset_builder/annotations/tooleyes_gold.jsonl`, each with a rationale kept in
  `source_meta.gold_rationale`); their rows have `generator = "annotation"`. ToolEyes results are
  therefore not directly comparable with the paper's ToolEyes numbers.
- **API-Bank `**Think` pseudo-tool.** As in the paper (its examples list it and Table 3's 3.1
  average counts it), every API-Bank sample lists a tool `**Think` (description
  `"** Recall relevant context and analyze the current user goal."`), which comes from the first
  line of the ToolRL prompt's "Steps for Each Turn" block. In `tools` it is an ordinary entry
  (perturbations may shuffle or paraphrase it); in `system_prompt` it stays where it came from:
  it is never rendered as an "Available Tools" entry, and its (possibly paraphrased) description
  is written back into that Steps line. Its list position is therefore visible only in
  function-calling mode.
- **ToolAlpaca API keys.** Gold inputs of WolframAlpha (`appid`), weatherstack (`access_key`) and
  CurrencyBeacon (`api_key`) contain real API keys that the instruction never gives. Such a
  parameter (named `appid`/`access_key`/`api_key` and whose value is not in the instruction) gets
  `""` added to its acceptable values, i.e. it may be omitted (listed per sample in
  `source_meta.optional_auth_params`).
- **RoTBench `"None"`.** RoTBench writes `"None"` for a parameter the query does not give and drops
  it before comparing. Such a parameter's acceptable values are `["", "None"]`: omitted or the
  literal `"None"`. Every alternative RoTBench lists is kept as a separate golden answer. Samples
  whose gold is the meta-tool `ask_to_user` or `finish` (whose content RoTBench does not compare)
  have `source_meta.meta_tool_gold = true`. The `"\\nBegin!\\n"` suffix of the user turn is removed.
- **ToolAlpaca tools** are every `Function_Description` key except `components`; description = its
  first line; parameters `"[Required. ]<type>. <description>."` become JSON Schema with a
  `required` list (the trailing period of the description is dropped, as in the paper's examples).
- **Prompts.** BFCL and ToolAlpaca data carry no prompt upstream (BFCL's lives in its code), so their
  `system_prompt` is this project's own wording: BFCL asks for `[func(a=1), ...]` given the JSON
  function list (in BFCL's own `dict`/`float` spelling); ToolAlpaca uses a ReAct
  `Action:`/`Action Input:` prompt. API-Bank, RoTBench and ToolEyes keep their upstream prompt,
  with only the tool block re-rendered for perturbed tool lists.
- **Types.** `tools[].parameters` is JSON Schema; a source's own type spelling (BFCL `dict`,
  `float`; API-Bank `str`, `int`, `list(str)`) is kept under `x-source-type`.
- **Clean set.** The 199 ids are the paper's release ids (32/74/21/21/51), taken from a public audit
  of the release; every one resolves to one upstream record and the per-source average tool counts
  reproduce the paper's Table 3. How the authors drew them is unknown.
- **Where the paper contradicts itself.** The paper says ToolEyes skips the 6 Action and 6 Reward
  types, but its per-source totals (612 = 51 + 6x51 + 5x51) imply ToolEyes also has RedunTool rows;
  Table 3's "Avg./type" column mixes denominators. The paper's 3,522 perturbed rows also include 50
  BFCL perturbation-only rows (22 `multiple`, 27 `parallel_multiple` bases outside the clean set),
  which this rebuild does not reproduce: every perturbed row here derives from a clean sample.
"""


def _gold_index_note(inputs: CardInputs) -> list[str]:
    if inputs.gold_index_bytes is None:
        return []
    return [
        f"`{DATA_DIR}/gold_index.json` ({inputs.gold_index_bytes:,} bytes) holds only what scoring reads "
        "(ids, sources, golden answers, tool names and parameter schemas), so `robustbench-tc score` "
        "does not parse the prompts. It is derived from the data files and records their fingerprint "
        f"(`{inputs.fingerprint}`, `robustbench_tc.dataset.dataset_fingerprint`); the scorer ignores it "
        "when the data files no longer match and reads them instead.",
        "",
    ]


RUNTIME_INTRO = """\
Appendix N of the paper lists eight production failure modes found in GitHub issues and leaves the
four that "require a runtime tool-execution harness" to a future version. These configs add them,
beyond the paper: each row is played as a multi-step episode in a deterministic tool world
(`robustbench_tc.world`: results seeded by the sample id and the calls so far, API-Bank's token
flow kept as state, realistic API errors for unknown tools, missing parameters and wrong types),
and scored on its trajectory, which the scorer replays on the server. The paper-comparable numbers
(Clean, Pert. Acc., the four Δ columns) never include them; each axis is compared with
`episode_clean`, the same samples as episodes without a fault (paired by base sample). The row's
fault lives in `perturbation_metadata["world"]`. Ghost tools (Appendix N (7)) are measured on every
config as the ghost rate."""

_RULES = {
    "success": "accuracy (the gold call executed)",
    "secure_success": "accuracy = executed and the instruction not followed; utility under attack, attack success rate",
    "recovery": "accuracy; recovery rate (executed after the fault's error)",
    "detect": "accuracy = the result re-queried or flagged in the final answer",
}


def _runtime_section(inputs: CardInputs) -> list[str]:
    from robustbench_tc.taxonomy import RUNTIME_TYPES
    from robustbench_tc.world.axes import MIN_ROWS, MIN_SOURCES, notes

    rows = [t for t in RUNTIME_TYPES if t.code_name in inputs.counts]
    if not rows:
        return []
    how = notes()
    table = [
        "| config | display name | App. N | what happens | scored by | rows | sources | evidence (App. N) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    below = []
    for t in rows:
        axis = t.axis
        assert axis is not None
        per = inputs.counts[t.code_name]
        n, k = sum(per.values()), sum(1 for v in per.values() if v)
        evidence = ", ".join(axis.evidence) or "-"
        number = f"({axis.appendix_n}) {axis.paper_component}" if axis.appendix_n else "baseline"
        table.append(f"| `{t.code_name}` | {t.display_name} | {number} | {t.modifies} | {_RULES[axis.rule]} "
                     f"| {n} | {k} | {evidence} |")  # fmt: skip
        if n < MIN_ROWS or k < MIN_SOURCES:
            below.append(f"`{t.code_name}` ({n} rows over {k} sources)")
    out = ["## Runtime axes (beyond the paper)", "", RUNTIME_INTRO, "", *table, ""]
    out += ["How each config is built (every row is audited, and the build fails unless the scripted "
            "oracle agent solves it):", ""]  # fmt: skip
    out += [f"- `{t.code_name}`: {how[t.code_name]}" for t in rows]
    if below:
        out += [
            "",
            f"Below the bar of {MIN_ROWS} rows over {MIN_SOURCES} sources: " + ", ".join(below) + ". A stale "
            "snapshot needs a tool that reads state which changes over time, and a silent no-op needs a tool "
            "that writes state; most gold tools of the five sources compute (BFCL's formulas), look up facts "
            "that do not change, translate or search, so only the rows whose gold tool reads or writes "
            "changing state carry these faults (mostly API-Bank's).",
        ]
    out += [
        "",
        "Detect rows decide deterministically: a re-query is a later call that matches the same gold call and "
        "gets the true result; a flag is one of the row's markers (a closed word list in "
        "`robustbench_tc.taxonomy.RUNTIME_TYPES`) in the final answer, case-insensitively. Either makes the "
        "episode right; anything else is wrong. An answer that repeats a fabricated value (as a whole token, "
        "case-insensitively) without a flag is reported as the error mode `repeated_value`, and its share as "
        "the axis's repeat rate.",
        "",
    ]
    return out


def render(inputs: CardInputs) -> str:
    configs = list(inputs.counts)
    total = sum(sum(v.values()) for v in inputs.counts.values())
    parts = [
        "---",
        to_yaml(header(configs, inputs.counts, inputs.file_bytes)),
        "---",
        "",
        f"# {PRETTY_NAME}",
        "",
        "A sim-to-real robustness benchmark for tool-calling agents: clean single-turn tool-call "
        "samples from five public benchmarks, and 22 perturbation types along the four parts of "
        "the tool-use POMDP (Observation, Action, Reward, Transition). Rebuilt from the pinned "
        f"upstream sources for the paper *{PAPER_TITLE}* (arXiv:{ARXIV_ID}).",
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        'clean = load_dataset("PATH_OR_REPO_ID", "clean", split="test")',
        'timeouts = load_dataset("PATH_OR_REPO_ID", "transient_timeout", split="test")',
        'injection = load_dataset("PATH_OR_REPO_ID", "tool_result_injection", split="test")  # beyond the paper',
        "```",
        "",
        "Every config has one split, `test`, and the same columns: `id`, `base_id`, `source`, "
        "`perturbation`, `component`, `output_format`, `system_prompt`, `messages`, and JSON "
        "strings `tools`, `golden_answers`, `perturbation_metadata`, `source_meta` "
        "(`robustbench_tc.records.Sample.from_row` decodes a row). `golden_answers` is a list of "
        "acceptable alternatives, each a list of calls whose arguments map to lists of acceptable "
        'values (`""` = the argument may be omitted). Transition configs hold the clean samples '
        "with the fault string (`transition_error`) the harness injects after the first tool call.",
        "",
        "`datasets` keys its cache of a local folder on this card's header, not on the data files. "
        "The header therefore records each config's row count and file size, so a rebuilt folder "
        "loads fresh rather than from a stale cache.",
        "",
        *_gold_index_note(inputs),
        "## Configs and counts",
        "",
        f"{total} rows (the paper: {PAPER_TOTAL}, of which {CLEAN_N} clean). Static perturbations: "
        f"seed {inputs.seed}, generator `{inputs.generator}`.",
        "",
        _counts_table(inputs),
        "",
    ]
    if inputs.static_note:
        parts += [inputs.static_note, ""]
    parts += [
        "## Sources",
        "",
        _sources_table(inputs),
        "",
        "Sample ids follow the paper: `bfcl_v3__BFCL_v3_multiple__multiple_110`, "
        "`apibank__level1_101` (0-based index in the level file), `rotbench__Turn 1: <query>`, "
        "`toolalpaca__Cataas__inst2` (0-based instruction index), `tooleyes__Turn 1: <query>`. "
        "`source_meta` locates each sample in its upstream file.",
        "",
        "## Choices and deviations",
        "",
        DEVIATIONS.rstrip(),
        *[f"- {d}" for d in inputs.extra_deviations],
        "",
    ]
    if inputs.perturbation_notes.strip():
        parts += ["## Perturbations", "", inputs.perturbation_notes.strip(), ""]
    if inputs.judge_section:
        parts += [inputs.judge_section, ""]
    parts += _runtime_section(inputs)
    parts += ["## Citation", "", "```bibtex", CITATION, "```", ""]
    return "\n".join(parts)


JUDGE_START = "<!-- judge-audit:start -->"
JUDGE_END = "<!-- judge-audit:end -->"
AUDIT_DIR = "quality"
"""Folder of a built dataset holding its judge audits (``audit-quality`` writes there)."""


def judge_section(audits: Sequence[QualityAudit], config_sha256: Mapping[str, str]) -> str:
    """The card's judge-audit section: the latest audit per (text type, generator), whether it
    judged this build's data, and its five lowest pairs with the judge's reasons."""
    lines = [
        JUDGE_START,
        "### Perturbation quality: judge audit (Appendix H)",
        "",
    ]
    rows = latest(audits)
    if not rows:
        lines += [
            "No judge audit of this dataset yet. `robustbench-tc audit-quality --dataset DIR "
            "--judge-model M --base-url URL` samples 50 pairs per text type and asks any "
            "OpenAI-compatible endpoint with the paper's 1-5 rubric; `scripts/gpu_quality_audit.sh` "
            "does it with a large open model through vLLM on a GPU machine. The paper's Table 6 "
            "(gpt-5.4 judging its gpt-5-mini texts): Typo 4.94, QueryPara 5.00, ToolPara 4.98, "
            "ParamPara 4.72, no pair at or below 2.",
            JUDGE_END,
        ]
        return "\n".join(lines)
    lines += [
        "The latest audit of each text type and generator (`robustbench-tc audit-quality`; one "
        f"JSON per judge in `{AUDIT_DIR}/`). Scores are the judge's 1-5 semantic equivalence "
        "(5 = identical intent and information ... 1 = intent broken); `unparseable` answers had "
        "no readable score and `failed` requests got no answer: both are counted, not scored. A "
        "judge as small as SmolLM2-135M (the CI's) checks the plumbing, not the texts.",
        "",
        "| type | generator | judge | date | n | mean | median | std | fraction <= 2 | unparseable | failed | data |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for audit, t in rows:
        same = config_sha256.get(t.code_name) == audit.config_sha256.get(t.code_name)
        data = "this build" if same else f"an earlier build `{audit.dataset_fingerprint[:12]}`"
        mean = "—" if t.mean is None else f"{t.mean:.2f}"
        median = "—" if t.median is None else f"{t.median:.1f}"
        std = "—" if t.std is None else f"{t.std:.2f}"
        frac = "—" if t.frac_le2 is None else f"{t.frac_le2:.2%}"
        lines.append(
            f"| {t.display_name} | `{t.generator}` | `{audit.judge.model}` | {audit.created_at[:10]} | "
            f"{t.scored} | {mean} | {median} | {std} | {frac} | {t.unparseable} | {t.failed} | {data} |"
        )
    for audit, t in rows:
        if not t.lowest:
            continue
        lines += [
            "",
            f"Lowest-scoring pairs, {t.display_name} (`{t.generator}`, judge `{audit.judge.model}`):",
            "",
        ]
        for p in t.lowest:
            reason = " ".join(p.reason.split())
            reason = reason if len(reason) <= 300 else reason[:299] + "…"
            lines.append(f"- {p.score}: `{p.sample_id}`: {reason}")
    lines.append(JUDGE_END)
    return "\n".join(lines)


def replace_judge_section(card_text: str, section: str) -> str:
    """``card_text`` with its judge-audit section replaced (or inserted before the citation)."""
    start, end = card_text.find(JUDGE_START), card_text.find(JUDGE_END)
    if start >= 0 and end > start:
        return card_text[:start] + section + card_text[end + len(JUDGE_END) :]
    anchor = card_text.find("## Citation")
    if anchor < 0:
        return card_text.rstrip("\n") + "\n\n" + section + "\n"
    return card_text[:anchor] + section + "\n\n" + card_text[anchor:]
