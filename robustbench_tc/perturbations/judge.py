"""Appendix H as code: a judge model rates (clean, perturbed) pairs on a 1-5 equivalence scale.

``run_audit(dataset_dir, config)`` samples ``config.n`` pairs per text type (seeded), asks the
judge through any OpenAI-compatible endpoint with the paper's rubric (our wording of it, below),
and returns a ``QualityAudit``: per (type, generator) Table 6's columns (n, mean, median, std,
fraction <= 2), the five lowest pairs with the judge's reasons, every pair's verdict, and the
judge and its settings.  Answers are cached on disk (a rerun asks nothing); requests are retried
with backoff (``chat.ChatClient``).  An answer with no readable score is counted as
``unparseable`` and reported with its raw text; a request the endpoint refused is counted as
``failed``: neither is dropped silently nor enters the statistics.

>>> parse_verdict('{"score": 4, "reason": "Same intent."}')
Verdict(score=4, reason='Same intent.', parse='json')
>>> parse_verdict("Score: 2. The city changed.").score
2
>>> parse_verdict("I think these are similar.").parse
'unparseable'
>>> stats([5, 5, 4, 2])
(4.0, 4.5, 1.22, 0.25)
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.perturbations.chat import ChatClient, ChatError, ChatSettings, ResponseCache
from robustbench_tc.perturbations.pairs import TEXT_TYPES, TextPair, text_pairs
from robustbench_tc.perturbations.seeding import stable_hash
from robustbench_tc.taxonomy import get_type

RUBRIC = """\
5 = identical intent and information;
4 = same intent, minor wording loss that would not change the correct tool call;
3 = same intent but a parameter or constraint became ambiguous;
2 = intent shifted, the ground-truth tool call may no longer be unambiguous;
1 = intent broken."""
"""Appendix H's 1-5 semantic-equivalence scale."""

SYSTEM = "You audit perturbations of a tool-calling benchmark. You answer with one JSON object."

WHAT = {
    "realistic_typos": (
        "a user's request to a tool-calling assistant",
        "the same request with typing mistakes (the typos themselves are expected: judge whether "
        "the intent and every value stay clear)",
    ),
    "query_paraphrase": ("a user's request to a tool-calling assistant", "the request rephrased"),
    "paraphrase_tool_description": (
        "the descriptions of the tools offered to a tool-calling assistant (a JSON list)",
        "the same list with every description rephrased",
    ),
    "paraphrase_parameter_description": (
        "the descriptions of the tools' parameters (one `tool.parameter: description` per line)",
        "the same lines with every description rephrased",
    ),
}

PROMPT = """\
Below is {what}, and a perturbed version of it: {how}.
Rate how well the perturbed version preserves the meaning of the original, on this 1-5 \
semantic-equivalence scale:
{rubric}

Original:
<<<
{clean}
>>>

Perturbed:
<<<
{perturbed}
>>>

Answer with one JSON object and nothing else: {{"score": <1-5>, "reason": "<one sentence>"}}"""

RUBRIC_VERSION = hashlib.sha256((SYSTEM + PROMPT + RUBRIC).encode()).hexdigest()[:12]
"""Changes whenever the judge's instructions change (part of every cache key and audit)."""

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "robustbench-tc" / "judge"
LOWEST = 5


class JudgeError(RobustBenchError, RuntimeError):
    """The audit cannot run (bad settings, no pairs, an endpoint that answers nothing)."""


@dataclass(frozen=True)
class JudgeConfig:
    """Who judges and how (`audit-quality`'s flags set these fields)."""

    model: str = field(metadata={"help": "judge model name sent to the endpoint"})
    base_url: str | None = field(
        default=None, metadata={"help": "OpenAI-compatible base URL ending in /v1 (default: OpenAI's)"}
    )
    api_key_env: str = field(
        default="OPENAI_API_KEY", metadata={"help": "environment variable holding the API key (unset: none)"}
    )
    n: int = field(default=50, metadata={"help": "pairs sampled per text type (App. H: 50)"})
    seed: int = field(default=0, metadata={"help": "seed of the pair sample"})
    types: tuple[str, ...] = field(default=TEXT_TYPES, metadata={"help": "text types to audit"})
    temperature: float | None = field(
        default=None, metadata={"help": "judge temperature (default: the server's; App. H used the default)"}
    )
    max_tokens: int | None = field(
        default=None, metadata={"help": "answer token limit (default: the server's)"}
    )
    json_mode: bool = field(
        default=False, metadata={"help": "ask for response_format=json_object (servers that support it)"}
    )
    timeout_s: float = field(default=120.0, metadata={"help": "per-request timeout in seconds"})
    max_retries: int = field(
        default=4, metadata={"help": "retries on HTTP 429/5xx, timeouts, connection errors"}
    )
    backoff_s: float = field(
        default=1.0, metadata={"help": "first retry delay in seconds (doubles each retry)"}
    )
    concurrency: int = field(default=4, metadata={"help": "requests in flight at once"})
    cache_dir: str | None = field(
        default=None, metadata={"help": "answer cache folder (default: ~/.cache/robustbench-tc/judge)"}
    )

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("the judge needs a model name")
        if self.n < 1 or self.concurrency < 1 or self.max_retries < 0 or self.timeout_s <= 0:
            raise ValueError("n and concurrency must be >= 1, max_retries >= 0 and timeout_s > 0")
        unknown = [t for t in self.types if t not in TEXT_TYPES]
        if unknown:
            raise ValueError(f"not a text type: {unknown} (choose from {list(TEXT_TYPES)})")

    def sampling(self) -> dict[str, Any]:
        """Request parameters that change the answers (and the cache key)."""
        out: dict[str, Any] = {}
        if self.temperature is not None:
            out["temperature"] = self.temperature
        if self.max_tokens is not None:
            out["max_tokens"] = self.max_tokens
        if self.json_mode:
            out["response_format"] = {"type": "json_object"}
        return out


class Verdict(BaseModel):
    """What the judge answered for one pair, read leniently."""

    score: int | None
    reason: str
    parse: Literal["json", "pattern", "unparseable", "failed"]


_JSON_OBJECT = re.compile(r"\{.*?\}", re.S)
_SCORE_PATTERNS = (
    re.compile(r"\bscore\W{0,3}\s*(?:is\s*)?[:=]?\s*\**\s*([1-5])\b", re.I),
    re.compile(r"\b([1-5])\s*/\s*5\b"),
    re.compile(r"^\W*([1-5])\W*(?:$|[\s.,:;)-])"),
)


def parse_verdict(text: str) -> Verdict:
    """A score 1-5 and a reason from a judge's answer: a JSON object, else a "score: N" / "N/5"
    / leading-digit pattern, else ``unparseable`` (the raw answer is kept as the reason)."""
    for m in _JSON_OBJECT.finditer(text):
        try:
            data = json.loads(m.group())
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "score" in data:
            try:
                score = int(str(data["score"]).strip())
            except ValueError:
                continue
            if 1 <= score <= 5:
                return Verdict(score=score, reason=str(data.get("reason", "")).strip(), parse="json")
    for pattern in _SCORE_PATTERNS:
        found = pattern.search(text.strip())
        if found:
            return Verdict(score=int(found.group(1)), reason=text.strip()[:500], parse="pattern")
    return Verdict(score=None, reason=text.strip()[:500], parse="unparseable")


def stats(scores: Sequence[int]) -> tuple[float, float, float, float]:
    """(mean, median, population std, fraction <= 2), as Table 6 prints them."""
    if not scores:
        nan = float("nan")
        return nan, nan, nan, nan
    frac = sum(1 for s in scores if s <= 2) / len(scores)
    return (
        round(statistics.fmean(scores), 2),
        float(statistics.median(scores)),
        round(statistics.pstdev(scores), 2),
        round(frac, 4),
    )


class PairVerdict(BaseModel):
    """One audited pair: which row, the judge's verdict, and hashes of the texts it read (the
    texts themselves stay in the dataset: an audit can be committed without copying them)."""

    sample_id: str
    generator: str
    score: int | None
    reason: str
    parse: Literal["json", "pattern", "unparseable", "failed"]
    clean_sha256: str
    perturbed_sha256: str


class TypeAudit(BaseModel):
    """Table 6's row for one (text type, generator), plus the bookkeeping behind it."""

    code_name: str
    display_name: str
    generator: str
    sampled: int
    scored: int
    unparseable: int
    failed: int
    mean: float | None
    median: float | None
    std: float | None
    frac_le2: float | None
    lowest: list[PairVerdict]
    pairs: list[PairVerdict]


class JudgeRecord(BaseModel):
    """The judge and its settings, as recorded with every audit."""

    model: str
    endpoint: str
    temperature: float | None
    max_tokens: int | None
    json_mode: bool
    rubric_version: str


class QualityAudit(BaseModel):
    """One run of ``audit-quality``."""

    created_at: str
    judge: JudgeRecord
    n: int
    seed: int
    dataset_fingerprint: str
    config_sha256: dict[str, str]
    """Data file sha256 of each audited config: the card says whether an audit is of its data."""
    types: list[TypeAudit]
    available: dict[str, int]
    """Pairs available per type (rows with text to compare)."""
    requests: int
    cached: int

    def slug(self) -> str:
        """File name of the audit: judge model and settings (a rerun replaces its own file)."""
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.judge.model).strip("-")[:60] or "judge"
        return f"judge-{name}-{stable_hash(self.judge.model_dump())[:8]}.json"


def sample_pairs(pairs: Iterable[TextPair], code: str, n: int, seed: int) -> list[TextPair]:
    """``n`` pairs of type ``code`` drawn with ``seed`` (all of them when fewer), in id order."""
    pool = sorted((p for p in pairs if p.code_name == code), key=lambda p: p.sample_id)
    if len(pool) > n:
        pool = random.Random(f"{seed}|{code}").sample(pool, n)
    return sorted(pool, key=lambda p: p.sample_id)


def judge_prompt(pair: TextPair) -> str:
    what, how = WHAT[pair.code_name]
    return PROMPT.format(what=what, how=how, rubric=RUBRIC, clean=pair.clean, perturbed=pair.perturbed)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Asker:
    client: ChatClient
    cache: ResponseCache
    config: JudgeConfig
    cached: int = 0

    def key(self, pair: TextPair) -> dict[str, Any]:
        return {
            "type": "judge",
            "model": self.config.model,
            "rubric": RUBRIC_VERSION,
            "sampling": json.dumps(self.config.sampling(), sort_keys=True),
            "code_name": pair.code_name,
            "clean": _sha(pair.clean),
            "perturbed": _sha(pair.perturbed),
        }

    def __call__(self, pair: TextPair) -> Verdict:
        key = self.key(pair)
        answer = self.cache.get(key)
        if answer is not None:
            self.cached += 1
            return parse_verdict(answer)
        prompt = judge_prompt(pair)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        try:
            answer = self.client.complete(messages, **self.config.sampling())
        except ChatError as exc:
            if exc.endpoint_failed:
                raise JudgeError(f"the judge endpoint failed: {exc.reason}") from exc
            return Verdict(score=None, reason=exc.reason, parse="failed")
        self.cache.put(key, answer, prompt)
        return parse_verdict(answer)


def _type_audit(code: str, generator: str, judged: list[tuple[TextPair, Verdict]]) -> TypeAudit:
    pairs = [
        PairVerdict(
            sample_id=p.sample_id,
            generator=p.generator,
            score=v.score,
            reason=v.reason,
            parse=v.parse,
            clean_sha256=_sha(p.clean),
            perturbed_sha256=_sha(p.perturbed),
        )
        for p, v in judged
    ]
    scores = [p.score for p in pairs if p.score is not None]
    mean, median, std, frac = stats(scores) if scores else (None, None, None, None)
    lowest = sorted((p for p in pairs if p.score is not None), key=lambda p: (p.score, p.sample_id))
    return TypeAudit(
        code_name=code,
        display_name=get_type(code).display_name,
        generator=generator,
        sampled=len(pairs),
        scored=len(scores),
        unparseable=sum(1 for p in pairs if p.parse == "unparseable"),
        failed=sum(1 for p in pairs if p.parse == "failed"),
        mean=mean,
        median=median,
        std=std,
        frac_le2=frac,
        lowest=lowest[:LOWEST],
        pairs=pairs,
    )


def run_audit(
    dataset_dir: str | Path,
    config: JudgeConfig,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> QualityAudit:
    """Judge ``config.n`` sampled pairs per type of the built dataset at ``dataset_dir``."""
    from robustbench_tc.dataset import config_path, dataset_fingerprint, load_samples

    dataset_dir = Path(dataset_dir)
    wanted = [c for c in config.types if config_path(dataset_dir, c).is_file()]
    if not wanted:
        raise JudgeError(f"{dataset_dir} has none of the configs {list(config.types)}: build it first")
    data = load_samples(dataset_dir, ["clean", *wanted])
    available: dict[str, int] = {}
    chosen: list[TextPair] = []
    for code in wanted:
        pairs = list(text_pairs(data["clean"], data[code]))
        available[code] = len(pairs)
        chosen += sample_pairs(pairs, code, config.n, config.seed)
    if not chosen:
        raise JudgeError(f"no (clean, perturbed) text pair to judge in {dataset_dir}")
    settings = ChatSettings(
        model=config.model,
        base_url=config.base_url,
        api_key_env=config.api_key_env,
        timeout_s=config.timeout_s,
        max_retries=config.max_retries,
        backoff_s=config.backoff_s,
    )
    client = ChatClient(settings)
    ask = _Asker(
        client, ResponseCache(Path(config.cache_dir) if config.cache_dir else DEFAULT_CACHE_DIR), config
    )
    verdicts: list[Verdict] = []
    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        for i, verdict in enumerate(pool.map(ask, chosen)):
            verdicts.append(verdict)
            if progress:
                progress(i + 1, len(chosen))
    groups: dict[tuple[str, str], list[tuple[TextPair, Verdict]]] = {}
    for pair, verdict in zip(chosen, verdicts):
        groups.setdefault((pair.code_name, pair.generator), []).append((pair, verdict))
    order = {c: i for i, c in enumerate(TEXT_TYPES)}
    types = [
        _type_audit(c, g, judged)
        for (c, g), judged in sorted(groups.items(), key=lambda k: (order[k[0][0]], k[0][1]))
    ]
    return QualityAudit(
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        judge=JudgeRecord(
            model=config.model,
            endpoint=client.url,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            json_mode=config.json_mode,
            rubric_version=RUBRIC_VERSION,
        ),
        n=config.n,
        seed=config.seed,
        dataset_fingerprint=dataset_fingerprint(dataset_dir),
        config_sha256={c: _sha_file(config_path(dataset_dir, c)) for c in wanted},
        types=types,
        available=available,
        requests=client.requests,
        cached=ask.cached,
    )


def _sha_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_audits(paths: Iterable[Path]) -> list[QualityAudit]:
    """Audit files, each read and validated (a broken file is an error naming it)."""
    out = []
    for path in sorted(paths):
        try:
            out.append(QualityAudit.model_validate_json(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise JudgeError(f"{path} is not a quality audit written by audit-quality: {exc}") from exc
    return out


def latest(audits: Iterable[QualityAudit]) -> list[tuple[QualityAudit, TypeAudit]]:
    """The latest audit of each (text type, generator), in taxonomy order."""
    best: dict[tuple[str, str], tuple[QualityAudit, TypeAudit]] = {}
    for audit in audits:
        for t in audit.types:
            key = (t.code_name, t.generator)
            if key not in best or best[key][0].created_at <= audit.created_at:
                best[key] = (audit, t)
    order = {c: i for i, c in enumerate(TEXT_TYPES)}
    return [best[k] for k in sorted(best, key=lambda k: (order[k[0]], k[1]))]


# ----------------------------------------------------------------------------- reporting
def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def table6(audits: Sequence[TypeAudit]) -> str:
    """Table 6's columns (plus the bookkeeping), as markdown."""
    lines = [
        "| subtype | generator | n | mean | median | std | fraction <= 2 | unparseable | failed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in audits:
        lines.append(
            f"| {t.display_name} | `{t.generator}` | {t.scored} | {_num(t.mean, '.2f')} | "
            f"{_num(t.median, '.1f')} | {_num(t.std, '.2f')} | "
            f"{'—' if t.frac_le2 is None else f'{t.frac_le2:.2%}'} | {t.unparseable} | {t.failed} |"
        )
    return "\n".join(lines)


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def report(audit: QualityAudit, texts: Mapping[tuple[str, str], TextPair] | None = None) -> str:
    """The printed report: judge and settings, Table 6, and the five lowest pairs per type with
    the judge's reasons (and the texts, when ``texts`` maps (type, id) to the pair)."""
    j = audit.judge
    lines = [
        f"Judge: {j.model} at {j.endpoint} (temperature {j.temperature if j.temperature is not None else 'server default'}, "
        f"max_tokens {j.max_tokens or 'server default'}, json_mode {j.json_mode}, rubric {j.rubric_version}); "
        f"n = {audit.n} per type, seed {audit.seed}; {audit.requests} requests, {audit.cached} answers from the cache.",
        "",
        table6(audit.types),
    ]
    for t in audit.types:
        lines += ["", f"{t.display_name} ({t.generator}): lowest-scoring {len(t.lowest)} audited pairs"]
        for p in t.lowest:
            lines.append(f"  Score {p.score} ({p.sample_id})")
            pair = (texts or {}).get((t.code_name, p.sample_id))
            if pair is not None:
                lines.append(f"    Clean: {_excerpt(pair.clean)}")
                lines.append(f"    Perturbed: {_excerpt(pair.perturbed)}")
            lines.append(f"    Judge: {_excerpt(p.reason, 300)}")
        bad = [p for p in t.pairs if p.parse in ("unparseable", "failed")]
        for p in bad[:LOWEST]:
            lines.append(f"  {p.parse} ({p.sample_id}): {_excerpt(p.reason, 160)!r}")
        if len(bad) > LOWEST:
            lines.append(
                f"  ... and {len(bad) - LOWEST} more unparseable or failed answers (all in the JSON)"
            )
    return "\n".join(lines)
