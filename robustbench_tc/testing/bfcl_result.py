"""The differential check against BFCL-Result: our call rule on 42,640 real outputs of 41 models.

``../shared/corpora/bfcl_result/`` holds the raw prompt-mode outputs behind the Berkeley
Function-Calling Leaderboard with BFCL's own verdicts (its README).  This module reads them at run
time (nothing of the corpus is copied into the project), decodes each output with our rule for the
``bfcl_v3`` source, scores it against BFCL's gold (``irrelevance``: valid when no call is made),
and compares the verdict with BFCL's.  ``benchmarks/bfcl_result_check.py`` prints the figures and
``tests/robustbench_tc/parsing/test_bfcl_result.py`` checks them.

**The held-out split** (decided before the rule was studied on this corpus): the corpus's 41
models are ranked by the SHA-256 of ``SPLIT_SALT`` + the model name (hex digest, ascending), and
the first third of them (``round(41 / 3) = 14``) are held out (``held_out_models``).  The rule is
tuned on the 27 development models only; the held-out ones are read once, at the end.

>>> len(held_out_models(CORPUS_MODELS)), split_of("gpt-4o-2024-05-13")
(14, 'dev')
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustbench_tc.formats.react import tool_from_json
from robustbench_tc.records import GoldAnswer, GoldCall, Tool

SPLIT_SALT = "robustbench-tc/issue-20/bfcl-result-held-out/v1:"
"""The seed of the split; changing it changes which models are held out (never do so after the
held-out part has been read)."""
CORPUS_FILE = "bfcl_result/bfcl_result_outputs.jsonl.gz"
CATEGORIES = ("simple", "parallel", "parallel_multiple", "irrelevance")
_BFCL_DATA = "bfcl/berkeley-function-call-leaderboard/bfcl_eval/data"
_FILES = {
    "simple": "BFCL_v3_simple.json",
    "parallel": "BFCL_v3_parallel.json",
    "parallel_multiple": "BFCL_v3_parallel_multiple.json",
}
_ANSWERS = {
    "simple": ("BFCL_v4_simple_python.json", "simple_python_", "simple_"),
    "parallel": ("BFCL_v4_parallel.json", "", ""),
    "parallel_multiple": ("BFCL_v4_parallel_multiple.json", "", ""),
}
"""The possible answers are read from BFCL V4's files, which fix three of V3's (simple_363 named
the wrong function; parallel_155 and parallel_158); the questions are V3's (identical but for two
typo fixes in questions, SOURCES.md)."""


CORPUS_MODELS: tuple[str, ...] = (
    "Nexusflow-Raven-v2",
    "NousResearch_Hermes-2-Pro-Llama-3-70B",
    "NousResearch_Hermes-2-Pro-Llama-3-8B",
    "NousResearch_Hermes-2-Pro-Mistral-7B",
    "NousResearch_Hermes-2-Theta-Llama-3-70B",
    "NousResearch_Hermes-2-Theta-Llama-3-8B",
    "Salesforce_xLAM-1b-fc-r",
    "Salesforce_xLAM-7b-fc-r",
    "THUDM_glm-4-9b-chat",
    "claude-2.1",
    "claude-3-5-sonnet-20240620",
    "claude-3-haiku-20240307",
    "claude-3-opus-20240229",
    "claude-3-sonnet-20240229",
    "claude-instant-1.2",
    "command-r-plus",
    "command-r-plus-optimized",
    "databricks-dbrx-instruct",
    "deepseek-ai_deepseek-coder-6.7b-instruct",
    "google_gemma-7b-it",
    "gorilla-openfunctions-v2",
    "gpt-3.5-turbo-0125",
    "gpt-4-0125-preview",
    "gpt-4-0613",
    "gpt-4-1106-preview",
    "gpt-4-turbo-2024-04-09",
    "gpt-4o-2024-05-13",
    "gpt-4o-2024-08-06",
    "gpt-4o-mini-2024-07-18",
    "ibm-granite_granite-20b-functioncalling",
    "meta-llama_Meta-Llama-3-70B-Instruct",
    "meta-llama_Meta-Llama-3-8B-Instruct",
    "mistral-large-2407",
    "mistral-medium-2312",
    "mistral-small-2402",
    "mistral-tiny-2312",
    "nvidia_nemotron-4-340b-instruct",
    "open-mistral-nemo-2407",
    "open-mixtral-8x22b",
    "open-mixtral-8x7b",
    "snowflake_arctic",
)
"""The corpus's 41 models (names are facts); a test checks the corpus holds exactly these."""


UNDERSCORED_NAMES = frozenset(
    {
        "NousResearch_Hermes-2-Pro-Llama-3-70B",
        "NousResearch_Hermes-2-Pro-Llama-3-8B",
        "NousResearch_Hermes-2-Pro-Mistral-7B",
        "NousResearch_Hermes-2-Theta-Llama-3-70B",
        "NousResearch_Hermes-2-Theta-Llama-3-8B",
        "THUDM_glm-4-9b-chat",
        "ibm-granite_granite-20b-functioncalling",
    }
)
"""Models BFCL prompted with OpenAI-style tool definitions, whose names cannot hold a dot: they
saw ``employee_fetch_data`` for ``employee.fetch_data``, and BFCL's checker compares their calls
with the names so converted (its ``underscore_to_dot`` model setting: set for GLM-4-9b-chat and
Granite-20b-functioncalling in ``bfcl-eval``'s model table, and for the Hermes-2 models in the
2024 release the corpus was scored with, as BFCL's own valid verdicts on their underscored names
show).  The check scores these models against the names they were shown."""


def split_key(model: str) -> str:
    """The model's rank key: the hex SHA-256 of ``SPLIT_SALT`` + its name."""
    return hashlib.sha256((SPLIT_SALT + model).encode("utf-8")).hexdigest()


def held_out_models(models: Iterable[str]) -> frozenset[str]:
    """The first third (rounded) of ``models`` ranked by ``split_key``."""
    ranked = sorted(set(models), key=split_key)
    return frozenset(ranked[: round(len(ranked) / 3)])


HELD_OUT: frozenset[str] = held_out_models(CORPUS_MODELS)


def is_held_out(model: str) -> bool:
    """Whether ``model`` is one of the corpus's held-out models."""
    return model in HELD_OUT


def split_of(model: str) -> str:
    """``"held_out"`` or ``"dev"``."""
    return "held_out" if is_held_out(model) else "dev"


def corpora_dir() -> Path | None:
    """``RBTC_CORPORA``, else ``corpora`` beside ``RBTC_SOURCES``, else ``../shared/corpora`` of the
    repository; ``None`` when none holds the corpus."""
    candidates = []
    if os.environ.get("RBTC_CORPORA"):
        candidates.append(Path(os.environ["RBTC_CORPORA"]))
    if os.environ.get("RBTC_SOURCES"):
        candidates.append(Path(os.environ["RBTC_SOURCES"]).parent / "corpora")
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared" / "corpora")
    for path in candidates:
        if (path / CORPUS_FILE).is_file():
            return path
    return None


def sources_dir() -> Path | None:
    """``RBTC_SOURCES``, else ``../shared/sources`` of the repository, when it holds BFCL's data."""
    candidates = [Path(os.environ["RBTC_SOURCES"])] if os.environ.get("RBTC_SOURCES") else []
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared" / "sources")
    for path in candidates:
        if (path / _BFCL_DATA / _FILES["simple"]).is_file():
            return path
    return None


@dataclass(frozen=True, slots=True)
class Output:
    """One corpus line: a model's raw output with BFCL's verdict."""

    model: str
    category: str
    bfcl_id: str
    raw: str
    bfcl_valid: bool
    bfcl_error_type: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.model, self.bfcl_id)

    @property
    def question_id(self) -> str:
        """The BFCL V3 id of the question (older snapshots name ``parallel_function_N``,
        ``parallel_multiple_function_N`` and ``relevance_N``)."""
        return question_id(self.bfcl_id)


_OLD_PREFIXES = (
    ("parallel_multiple_function_", "parallel_multiple_"),
    ("parallel_function_", "parallel_"),
    ("relevance_", "irrelevance_"),
)


def question_id(bfcl_id: str) -> str:
    """BFCL V3's id for a corpus id.

    >>> question_id("parallel_multiple_function_7"), question_id("relevance_3"), question_id("simple_1")
    ('parallel_multiple_7', 'irrelevance_3', 'simple_1')
    """
    for old, new in _OLD_PREFIXES:
        if bfcl_id.startswith(old):
            return new + bfcl_id[len(old) :]
    return bfcl_id


def read_corpus(corpora: Path, split: str | None = None) -> list[Output]:
    """The corpus's outputs, in file order; ``split`` (``dev``/``held_out``) keeps one part."""
    out = []
    with gzip.open(corpora / CORPUS_FILE, "rt", encoding="utf-8") as handle:
        for line in handle:
            d = json.loads(line)
            if split is not None and split_of(d["model"]) != split:
                continue
            out.append(
                Output(
                    d["model"],
                    d["category"],
                    d["bfcl_id"],
                    d["raw"],
                    bool(d["bfcl_valid"]),
                    d["bfcl_error_type"],
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class Question:
    """BFCL's functions and possible answer for one id (``irrelevance``: neither is pinned here)."""

    tools: tuple[Tool, ...]
    answers: tuple[GoldAnswer, ...]


def underscored(question: Question) -> Question:
    """The question as the ``UNDERSCORED_NAMES`` models saw it: ``.`` in tool names became ``_``."""
    if not any("." in t.name for t in question.tools):
        return question
    tools = tuple(t.model_copy(update={"name": t.name.replace(".", "_")}) for t in question.tools)
    answers = tuple(
        GoldAnswer(calls=[GoldCall(name=c.name.replace(".", "_"), arguments=c.arguments) for c in a.calls])
        for a in question.answers
    )
    return Question(tools, answers)


def read_questions(sources: Path) -> dict[str, Question]:
    """``bfcl_id -> Question`` for the scored categories, from the pinned BFCL files."""
    out: dict[str, Question] = {}
    for category, name in _FILES.items():
        answer_file, old, new = _ANSWERS[category]
        answers = {}
        for line in (
            (sources / _BFCL_DATA / "possible_answer" / answer_file).read_text(encoding="utf-8").splitlines()
        ):
            if line.strip():
                d = json.loads(line)
                answers[d["id"].replace(old, new, 1) if old else d["id"]] = d["ground_truth"]
        for line in (sources / _BFCL_DATA / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            calls = [GoldCall(name=n, arguments=a) for gt in answers[d["id"]] for n, a in gt.items()]
            tools = tuple(tool_from_json(f, d["id"]) for f in d["function"])
            out[d["id"]] = Question(tools, (GoldAnswer(calls=calls),))
    return out


@dataclass(slots=True)
class Verdict:
    """Our reading of one output next to BFCL's."""

    output: Output
    ours: bool
    calls: list[Any] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return self.ours == self.output.bfcl_valid


def our_verdict(output: Output, questions: dict[str, Question]) -> Verdict:
    """Decode with our rule for ``bfcl_v3`` and score against BFCL's gold; ``irrelevance`` is
    valid when no call is made."""
    from robustbench_tc.parsing import made_calls
    from robustbench_tc.scoring.bfcl import score_bfcl

    if output.category == "irrelevance":  # its functions are not pinned here: no tool names
        calls = made_calls(output.raw, "bfcl_v3")
        return Verdict(output, not calls, calls)
    question = questions[output.question_id]
    if output.model in UNDERSCORED_NAMES:
        question = underscored(question)
    calls = made_calls(output.raw, "bfcl_v3", [t.name for t in question.tools])
    return Verdict(output, score_bfcl(calls, question.answers, question.tools) == 1.0, calls)


def verdicts(outputs: Iterable[Output], questions: dict[str, Question]) -> Iterator[Verdict]:
    for output in outputs:
        yield our_verdict(output, questions)


@dataclass
class Tally:
    """Agreement counts per split, category and model."""

    n: Counter[tuple[str, ...]] = field(default_factory=Counter)
    agree: Counter[tuple[str, ...]] = field(default_factory=Counter)

    def add(self, keys: Iterable[tuple[str, ...]], agrees: bool) -> None:
        for key in keys:
            self.n[key] += 1
            self.agree[key] += agrees

    def rate(self, key: tuple[str, ...]) -> float:
        return self.agree[key] / self.n[key] if self.n[key] else float("nan")


def tally(results: Iterable[tuple[str, str, str, bool]]) -> Tally:
    """``(split, category, model, agrees)`` rows counted under ``(split,)``, ``(split, category)``
    and ``(split, "model", model)``."""
    t = Tally()
    for split, category, model, agrees in results:
        t.add([(split,), (split, category), (split, "model", model)], agrees)
    return t


# --------------------------------------------------------------------------- adjudicated verdicts
ADJUDICATED_FILE = Path(__file__).with_name("bfcl_result_adjudicated.csv")
"""Every output on which our rule (version 7 or the current one) and BFCL disagreed, with the
verdict a careful reader gives it and the class of the disagreement (docs/scoring.md); keyed by
``(model, bfcl_id)``, no corpus text.  An output not listed is one where both agree with BFCL."""

CLASSES: dict[str, str] = {
    "I1": "irrelevance: a call BFCL could not decode (JSON or dict objects, tag blocks, fences, escapes, "
    "non-literal or positional arguments)",
    "I2": "irrelevance: a quoted-call list or quoted call (BFCL decodes it only single-quoted with keywords)",
    "I3": "irrelevance: a mention (conditional, example, hypothesis, template, the answer's own function) "
    "read as a call",
    "I4": "irrelevance: a template with placeholders standing alone",
    "I5": "irrelevance: the model's next turn or a code continuation (after `### Instruction:`, a docstring end)",
    "N1": "a call list around which BFCL's decoder fails: code fence, prose, markdown escapes",
    "N2": "calls written as JSON or dict objects (name/arguments, BFCL's possible-answer layout, `tool_calls`)",
    "N3": "a quoted-call list `['f(a=1)']` / `[\"f(a=1)\"]`, a quoted call, or Gemma's `[f(a=1)]()`",
    "N4": "Hermes-style tag blocks that BFCL's handler splits or drops (`<|im_start|>` separators, repeats)",
    "N5": "an int in a list the schema declares as floats (BFCL: type_error:nested)",
    "N6": "BFCL's possible answer revised after the snapshot (its checker today agrees with ours)",
    "N7": "the answer continued or restated: fake next turns, code after a docstring end, the same call "
    "repeated in the explanation",
    "N8": "a mention (conditional alternative, example, hypothesis) next to the answer",
    "N9": "arguments that are expressions (`5/100`, `data['sales']`) or a namespace the tools carry "
    "(`functions.zero`)",
    "N10": "a call list cut off at the end of the output (`[f(a=1)` never closed)",
    "N11": "an empty list for an optional parameter (BFCL's checker accepts it)",
    "N12": 'a parameter the tool schema requires, left out although the possible answer lists ""',
    "N13": "calls separated by `;` on one line (NexusRaven's `f(a=1); g(b=2);`)",
    "N14": "a native `name` line over JSON arguments whose keys look like a call object (`name`, `parameters`)",
    "N15": "a call list continued over lines with `, \\` (Python's explicit line joining)",
    "I6": "irrelevance: calls separated by `;` on one line (NexusRaven)",
}


@dataclass(frozen=True, slots=True)
class Adjudication:
    """A careful reader's verdict on one output, and why our rule and BFCL's disagreed on it."""

    cls: str
    valid: bool


def read_adjudicated(path: Path = ADJUDICATED_FILE) -> dict[tuple[str, str], Adjudication]:
    """``(model, bfcl_id) -> Adjudication`` from the committed table."""
    import csv

    out: dict[tuple[str, str], Adjudication] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["class"] not in CLASSES or row["verdict"] not in ("valid", "invalid"):
                raise ValueError(f"{path}: bad row {row}")
            out[(row["model"], row["bfcl_id"])] = Adjudication(row["class"], row["verdict"] == "valid")
    return out


def expected(output: Output, adjudicated: dict[tuple[str, str], Adjudication]) -> bool | None:
    """The reference verdict of an output: the adjudicated one where listed, else BFCL's."""
    found = adjudicated.get(output.key)
    return found.valid if found is not None else output.bfcl_valid


@dataclass
class Check:
    """The differential check's results for one or both parts of the corpus."""

    results: list[Verdict]
    adjudicated: dict[tuple[str, str], Adjudication]
    bfcl: Tally = field(default_factory=Tally)
    reference: Tally = field(default_factory=Tally)
    unadjudicated: list[Verdict] = field(default_factory=list)
    """Outputs where we disagree with BFCL that the table does not list (need a reader's verdict)."""
    classes: Counter[tuple[str, str]] = field(default_factory=Counter)
    """``(split, class)`` counts of the outputs on which we disagree with BFCL."""


def run_check(
    outputs: Iterable[Output],
    questions: dict[str, Question],
    adjudicated: dict[tuple[str, str], Adjudication] | None = None,
) -> Check:
    """Our verdict on every output, tallied against BFCL's and against the adjudicated verdicts."""
    table = read_adjudicated() if adjudicated is None else adjudicated
    check = Check(results=[], adjudicated=table)
    for verdict in verdicts(outputs, questions):
        o = verdict.output
        split = split_of(o.model)
        keys = [(split,), (split, o.category), (split, "model", o.model)]
        check.results.append(verdict)
        check.bfcl.add(keys, verdict.agrees)
        check.reference.add(keys, verdict.ours == expected(o, table))
        if not verdict.agrees:
            found = table.get(o.key)
            if found is None:
                check.unadjudicated.append(verdict)
            check.classes[(split, found.cls if found else "unadjudicated")] += 1
    return check
