"""The judge audit (Appendix H) against a stand-in OpenAI-compatible server: sampling, rubric,
parsing, statistics, caching, and the bookkeeping of answers that cannot be scored."""

from __future__ import annotations

import json
import math
import re

import pytest

from robustbench_tc.perturbations import judge
from robustbench_tc.perturbations.pairs import TEXT_TYPES, TextPair


@pytest.mark.parametrize(
    ("answer", "score", "parse"),
    [
        ('{"score": 4, "reason": "Minor loss."}', 4, "json"),
        ('Sure! ```json\n{"score": "2", "reason": "The city changed."}\n```', 2, "json"),
        ('{"score": 7, "reason": "x"} Score: 3', 3, "pattern"),  # out of range JSON, then a pattern
        ("Score: 5 - identical.", 5, "pattern"),
        ("**Score**: 1", 1, "pattern"),
        ("I would rate this 4/5 overall.", 4, "pattern"),
        ("3. The date became ambiguous.", 3, "pattern"),
        ("These two texts are about the same thing.", None, "unparseable"),
        ("", None, "unparseable"),
        ("Score: 10", None, "unparseable"),
    ],
)
def test_parse_verdict(answer, score, parse):
    verdict = judge.parse_verdict(answer)
    assert (verdict.score, verdict.parse) == (score, parse)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([5] * 49 + [4], (4.98, 5.0, 0.14, 0.0)),  # Table 6's ToolPara row
        ([5] * 48 + [4, 3], (4.94, 5.0, 0.31, 0.0)),  # Table 6's Typo row
        ([1, 2, 3, 4, 5], (3.0, 3.0, 1.41, 0.4)),
    ],
)
def test_stats_reproduce_table6(scores, expected):
    assert judge.stats(scores) == expected


def test_stats_of_nothing():
    assert all(math.isnan(x) for x in judge.stats([]))


def _pairs(n: int) -> list[TextPair]:
    return [
        TextPair(
            code_name="query_paraphrase",
            sample_id=f"s{i:03d}",
            generator="rules",
            clean=f"c{i}",
            perturbed=f"p{i}",
        )
        for i in range(n)
    ]


def test_sample_is_seeded_and_stable():
    pairs = _pairs(120)
    a = judge.sample_pairs(pairs, "query_paraphrase", 50, seed=0)
    assert a == judge.sample_pairs(list(reversed(pairs)), "query_paraphrase", 50, seed=0)
    assert a != judge.sample_pairs(pairs, "query_paraphrase", 50, seed=1)
    assert len(a) == 50 and len({p.sample_id for p in a}) == 50
    assert judge.sample_pairs(pairs[:7], "query_paraphrase", 50, seed=0) == pairs[:7]


def test_prompt_carries_the_rubric_and_both_texts():
    prompt = judge.judge_prompt(_pairs(1)[0])
    assert "5 = identical intent and information" in prompt and "1 = intent broken" in prompt
    assert "<<<\nc0\n>>>" in prompt and "<<<\np0\n>>>" in prompt and '"score"' in prompt


def test_config_rejects_bad_settings():
    with pytest.raises(ValueError, match="not a text type"):
        judge.JudgeConfig(model="m", types=("CD",))
    with pytest.raises(ValueError, match="n and concurrency"):
        judge.JudgeConfig(model="m", n=0)


def _scripted(prompt: str) -> str:
    """A judge whose answer depends on the type: typo rows 4 (JSON), parameter descriptions an
    answer with no score, the rest 5 (a pattern)."""
    if "typing mistakes" in prompt:
        return '{"score": 4, "reason": "Typos, same intent."}'
    if "`tool.parameter: description`" in prompt:
        return "These descriptions look fine to me."
    return "Score: 5 (same meaning)"


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory, sources_dir):
    from dataset_builder.build import build_dataset

    out = tmp_path_factory.mktemp("judge") / "ds"
    ids = [
        "bfcl_v3__BFCL_v3_multiple__multiple_110",
        "apibank__level1_101",
        "toolalpaca__Cataas__inst2",
        "bfcl_v3__BFCL_v3_multiple__multiple_2",
    ]
    build_dataset(sources_dir, out, configs=list(TEXT_TYPES), samples=ids, progress=False)
    return out


def test_run_audit_end_to_end(fake_llm, tmp_path, small_dataset):
    fake_llm.responder = _scripted
    config = judge.JudgeConfig(
        model="stand-in-judge",
        base_url=fake_llm.url,
        n=3,
        seed=0,
        temperature=0.0,
        cache_dir=str(tmp_path),
        backoff_s=0.01,
    )
    audit = judge.run_audit(small_dataset, config)
    assert [t.code_name for t in audit.types] == list(TEXT_TYPES)
    assert len(fake_llm.requests) == audit.requests == sum(t.sampled for t in audit.types) == 12
    assert all(r["temperature"] == 0.0 and r["model"] == "stand-in-judge" for r in fake_llm.requests)
    for t in audit.types:
        assert t.sampled == t.scored + t.unparseable + t.failed == 3
        assert t.generator == "rules" and len(t.lowest) == t.scored
        assert [p.score for p in t.lowest] == sorted(p.score for p in t.lowest)
    typo = audit.types[0]
    assert (typo.mean, typo.median, typo.std, typo.frac_le2) == (4.0, 4.0, 0.0, 0.0)
    params = audit.types[3]
    assert (params.unparseable, params.scored, params.mean, params.lowest) == (3, 0, None, [])
    assert {p.reason for p in params.pairs} == {"These descriptions look fine to me."}  # kept, not dropped
    assert audit.judge.model == "stand-in-judge" and audit.judge.temperature == 0.0
    assert audit.judge.rubric_version == judge.RUBRIC_VERSION
    assert set(audit.config_sha256) == set(TEXT_TYPES) and audit.available["realistic_typos"] == 4
    # the JSON round-trips and holds no text of the dataset, only hashes
    again = judge.QualityAudit.model_validate_json(audit.model_dump_json())
    assert again == audit and "Typos, same intent." in audit.model_dump_json()
    # a rerun replays the cache: no request
    before = len(fake_llm.requests)
    rerun = judge.run_audit(small_dataset, config)
    assert len(fake_llm.requests) == before and rerun.cached == 12 and rerun.requests == 0
    assert [t.model_dump(exclude={"lowest", "pairs"}) for t in rerun.types] == [
        t.model_dump(exclude={"lowest", "pairs"}) for t in audit.types
    ]
    text = judge.report(audit)
    assert "| Typo | `rules` | 3 | 4.00 | 4.0 | 0.00 | 0.00% | 0 | 0 |" in text
    assert re.search(r"unparseable \(\S+\): 'These descriptions look fine to me.'", text)


def test_refused_requests_are_counted_not_scored(fake_llm, tmp_path, small_dataset):
    fake_llm.script = [(400, None)] * 2  # e.g. a prompt over the context length
    config = judge.JudgeConfig(
        model="m",
        base_url=fake_llm.url,
        n=1,
        types=("query_paraphrase",),
        cache_dir=str(tmp_path),
        concurrency=1,
    )
    audit = judge.run_audit(small_dataset, config)
    (t,) = audit.types
    assert (t.sampled, t.scored, t.failed) == (1, 0, 1) and t.mean is None
    assert "HTTP 400" in t.pairs[0].reason


def test_a_dead_endpoint_stops_the_audit(fake_llm, tmp_path, small_dataset):
    fake_llm.script = [(503, None)] * 50
    config = judge.JudgeConfig(
        model="m", base_url=fake_llm.url, n=1, max_retries=1, backoff_s=0.01, cache_dir=str(tmp_path)
    )
    with pytest.raises(judge.JudgeError, match="no response after 2 tries"):
        judge.run_audit(small_dataset, config)


def test_latest_audit_per_type_and_generator(fake_llm, tmp_path, small_dataset):
    config = judge.JudgeConfig(model="m", base_url=fake_llm.url, n=1, cache_dir=str(tmp_path))
    first = judge.run_audit(small_dataset, config)
    second = first.model_copy(update={"created_at": "2999-01-01T00:00:00Z"})
    second.types = [t.model_copy(update={"mean": 1.0}) for t in second.types[:2]]
    rows = judge.latest([first, second])
    assert [(a.created_at[:4], t.code_name) for a, t in rows] == [
        ("2999", "realistic_typos"),
        ("2999", "query_paraphrase"),
        (first.created_at[:4], "paraphrase_tool_description"),
        (first.created_at[:4], "paraphrase_parameter_description"),
    ]
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"not": "an audit"}))
    with pytest.raises(judge.JudgeError, match="is not a quality audit"):
        judge.load_audits([path])
