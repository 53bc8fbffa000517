"""The ``llm`` generator against a stand-in OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import pytest

from robustbench_tc.perturbations import (
    GeneratorConfig,
    PerturbationError,
    build_static_configs,
    perturb,
    static_codes,
)
from robustbench_tc.perturbations.generators import make_generator
from robustbench_tc.taxonomy import get_type

M110 = "bfcl_v3__BFCL_v3_multiple__multiple_110"
L1_101 = "apibank__level1_101"
MODEL = "stand-in-model"


def _config(fake_llm, tmp_path, **kw) -> GeneratorConfig:
    return GeneratorConfig(
        kind="llm",
        model=MODEL,
        base_url=fake_llm.url,
        cache_dir=str(tmp_path / "cache"),
        backoff_s=0.01,
        concurrency=4,
        **kw,
    )


def _bytes(build) -> str:
    return json.dumps({c: [r.to_row() for r in rows] for c, rows in build.configs.items()}, sort_keys=True)


@pytest.fixture(scope="module")
def small_set(clean_samples):
    seen: dict = {}
    for s in clean_samples:
        if len(seen.setdefault(s.source, [])) < 2:
            seen[s.source].append(s)
    return [s for group in seen.values() for s in group]


def test_build_with_llm_then_replay_from_cache(fake_llm, tmp_path, small_set):
    config = _config(fake_llm, tmp_path)
    first = build_static_configs(small_set, seed=0, generator=config, progress=False)
    made = len(fake_llm.requests)
    assert made > 0
    for code, rows in first.configs.items():
        want = "rules" if code.startswith("same_name_") else f"llm:{MODEL}"
        assert rows and {r.generator for r in rows} == {want}, code
        if get_type(code).needs_gold_tool:
            assert all(r.source != "tooleyes" for r in rows)
    assert f"llm:{MODEL}" in first.card_notes
    redundant = first.configs["redundant"][0]
    assert any(n.endswith("_extra1") for n in redundant.tool_names)
    make_generator.cache_clear()  # a fresh process: only the disk cache is left
    second = build_static_configs(small_set, seed=0, generator=config, progress=False)
    assert len(fake_llm.requests) == made, "a rebuild must replay the cache, not call the model"
    assert _bytes(second) == _bytes(first)
    files = list((tmp_path / "cache").rglob("*.json"))
    assert len(files) == made
    key = json.loads(files[0].read_text())["key"]
    assert set(key) == {"type", "sample_id", "input_hash", "model"} and key["model"] == MODEL


def test_retries_429_and_500_then_ok(fake_llm, tmp_path, by_id):
    fake_llm.script = [(429, None), (500, None)]
    row = perturb(by_id[M110], "realistic_typos", seed=0, generator=_config(fake_llm, tmp_path))
    assert row is not None and row.generator == f"llm:{MODEL}"
    assert len(fake_llm.requests) == 3
    assert 2 <= row.perturbation_metadata["n_typos"] <= 4


def test_gives_up_after_max_retries(fake_llm, tmp_path, by_id):
    fake_llm.script = [(503, None)] * 100
    with pytest.raises(PerturbationError, match="no response after 2 tries") as err:
        perturb(by_id[M110], "query_paraphrase", seed=0, generator=_config(fake_llm, tmp_path, max_retries=1))
    assert M110 in str(err.value)


def test_client_error_is_not_retried(fake_llm, tmp_path, by_id):
    fake_llm.script = [(400, None)] * 100
    with pytest.raises(PerturbationError, match="HTTP 400"):
        perturb(
            by_id[M110], "query_paraphrase", seed=0, generator=_config(fake_llm, tmp_path, fallback="fail")
        )
    assert len(fake_llm.requests) == 4  # one per regeneration attempt, no backoff retries


def _echo_text(prompt: str) -> str:
    if "\nText:\n" in prompt:
        return prompt.split("\nText:\n", 1)[1]
    return prompt.split("Description: ")[1].split("\n")[0]


@pytest.mark.parametrize(
    ("code", "sample_id", "responder", "reason"),
    [
        ("realistic_typos", M110, lambda p: "", "empty response"),
        ("query_paraphrase", L1_101, _echo_text, "unchanged"),
        ("paraphrase_tool_description", M110, _echo_text, "unchanged"),
        ("query_paraphrase", M110, lambda p: "A request that lost its identifier.", "gold values lost"),
        ("redundant", M110, lambda p: "[{not json", "invalid JSON"),
        (
            "redundant",
            M110,
            lambda p: '[{"name": "x", "description": "", "parameters": {}}]',
            "expected a JSON array of 2",
        ),
        ("CD", L1_101, lambda p: "A cheap tool.", "is missing"),
    ],
)
def test_unusable_responses_are_per_sample_errors(
    fake_llm, tmp_path, by_id, code, sample_id, responder, reason
):
    fake_llm.responder = responder
    with pytest.raises(PerturbationError) as err:
        perturb(by_id[sample_id], code, seed=0, generator=_config(fake_llm, tmp_path, fallback="fail"))
    message = str(err.value)
    assert sample_id in message and code in message and reason in message
    # the default: the rules generator writes the row, and the row says so
    row = perturb(by_id[sample_id], code, seed=0, generator=_config(fake_llm, tmp_path))
    assert row is not None and row.generator == "rules"
    assert row.perturbation_metadata["fallback_from"] == f"llm:{MODEL}"


def test_unreachable_endpoint(tmp_path, by_id):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = GeneratorConfig(
        kind="llm",
        model=MODEL,
        base_url=f"http://127.0.0.1:{port}/v1",
        cache_dir=str(tmp_path),
        max_retries=1,
        backoff_s=0.01,
        timeout_s=2,
    )
    with pytest.raises(PerturbationError, match="ConnectError"):
        perturb(by_id[M110], "realistic_typos", seed=0, generator=config)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "llm"}, "needs a model"),
        ({"kind": "gpt"}, "must be 'rules' or 'llm'"),
        ({"concurrency": 0}, "concurrency"),
    ],
)
def test_config_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**kwargs)


def test_config_help_covers_every_field():
    help_ = GeneratorConfig.help()
    assert set(help_) >= {
        "kind",
        "model",
        "base_url",
        "api_key_env",
        "cache_dir",
        "max_retries",
        "timeout_s",
        "concurrency",
    } and all(help_.values())


def test_every_static_type_has_a_registered_transform():
    from robustbench_tc.perturbations import TRANSFORMS

    assert sorted(TRANSFORMS.names()) == sorted(static_codes())


def test_rejected_outputs_fall_back_to_rules_and_are_counted(fake_llm, tmp_path, small_set):
    """Every output for QueryPara is unusable (the input echoed back): each row is regenerated,
    then written by the rules generator, and the report says how many and why."""
    from tests.support.fake_chat import _answer

    def responder(prompt: str) -> str:
        return _echo_text(prompt) if prompt.startswith("Rephrase the user request") else _answer(prompt)

    fake_llm.responder = responder
    build = build_static_configs(small_set, seed=0, generator=_config(fake_llm, tmp_path), progress=False)
    rows = build.configs["query_paraphrase"]
    assert rows and all(r.generator == "rules" for r in rows)
    assert all(r.perturbation_metadata["fallback_from"] == f"llm:{MODEL}" for r in rows)
    results = build.results["query_paraphrase"]
    assert all(r.fallback and r.attempts == 4 and len(r.problems) == 4 for r in results)
    typos = build.configs["realistic_typos"]
    assert all(
        r.generator == f"llm:{MODEL}" and "fallback_from" not in r.perturbation_metadata for r in typos
    )
    n = len(rows)
    assert f"{n} fell back to `rules` after 4 rejected outputs" in build.audit_summary
    assert f"the response is the input text unchanged {4 * n}" in build.audit_summary
    assert "fell back to `rules`" in build.card_notes
