"""The scorer reproduces every human verdict on real model outputs (issue 10).

* ``smollm2_outputs.jsonl``: 214 texts SmolLM2-135M-Instruct wrote through the real harness;
* ``APPENDIX_O``: the paper's Appendix O verbatim outputs (and the issue's quoted give-ups).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robustbench_tc.parsing import made_calls
from robustbench_tc.scoring import score_sample

CORPUS = [
    json.loads(line) for line in (Path(__file__).parent / "smollm2_outputs.jsonl").read_text().splitlines()
]


@pytest.fixture(scope="module")
def samples(built_dataset):
    from robustbench_tc.dataset import load_samples

    loaded = load_samples(built_dataset, ["clean", "transient_timeout", "CD_AB"])
    return {s.key: s for rows in loaded.values() for s in rows}


def test_corpus_covers_the_brief():
    prompts = {(e["run"], e["id"], e["perturbation"]) for e in CORPUS}
    assert len(prompts) >= 150 and len(CORPUS) >= 150
    assert {e["source"] for e in CORPUS} == {"bfcl_v3", "apibank", "rotbench", "toolalpaca", "tooleyes"}
    assert {e["mode"] for e in CORPUS} == {"prompt", "fc"} and {e["engine"] for e in CORPUS} == {"vllm"}
    assert {e["perturbation"] for e in CORPUS} == {"clean", "transient_timeout"}


@pytest.mark.parametrize(
    "entry", CORPUS, ids=lambda e: f"{e['run']}:{e['id'][:48]}:{e['perturbation']}:{e['pass']}"
)
def test_made_calls_match_the_reading(entry):
    assert [c.name for c in made_calls(entry["raw_output"], entry["source"])] == entry["made"]


@pytest.mark.parametrize(
    "entry", [e for e in CORPUS if "error_mode" in e], ids=lambda e: f"{e['run']}:{e['id'][:48]}:{e['pass']}"
)
def test_scorer_reproduces_every_verdict(entry, samples):
    result = score_sample(samples[(entry["id"], entry["perturbation"])], entry["raw_output"])
    assert (result.correct, result.error_mode) == (entry["correct"], entry["error_mode"])


APPENDIX_O = [
    # Case 1 (Timeout, API-Bank level1_213): the clean output and pass 2 under transition_timeout
    (
        "apibank__level1_213",
        "clean",
        "Of course, I will use your user token to query your account balance. "
        '<tool_call>{"name":"QueryBalance","parameters":{"token":"p9o8i7u6y5t4r3e2w1q"}}</tool_call> '
        "Your current account balance is $1000.",
        ["QueryBalance"],
        "correct",
    ),
    (
        "apibank__level1_213",
        "transient_timeout",
        "It seems like there was an issue retrieving your account balance. Let's try this again. "
        "Could you please provide your token once more?",
        [],
        "omitted",
    ),
    # Case 2 (MisDesc-Abbr, BFCL multiple_2): clean output, and the perturbed output that calls the
    # unabbreviated tool (the -Abbr distractor): name bias
    (
        "bfcl_v3__BFCL_v3_multiple__multiple_2",
        "clean",
        '[country_info.capital(country="Brazil")]',
        ["country_info.capital"],
        "correct",
    ),  # fmt: skip
    (
        "bfcl_v3__BFCL_v3_multiple__multiple_2",
        "CD_AB",
        'country_info.capital(country="Brazil")',
        ["country_info.capital"],
        "name_bias",
    ),  # fmt: skip
    # the give-ups that restate the failed call: omitted, not a successful retry
    (
        "bfcl_v3__BFCL_v3_multiple__multiple_2",
        "transient_timeout",
        'The call country_info.capital(country="Brazil") timed out. Please try again later.',
        [],
        "omitted",
    ),
    (
        "apibank__level1_213",
        "transient_timeout",
        'It seems the request QueryBalance(token="p9o8i7u6y5t4r3e2w1q") timed out. Could you please provide '
        "your token once more?",
        [],
        "omitted",
    ),
    # a retry after the explanation is a call
    (
        "bfcl_v3__BFCL_v3_multiple__multiple_2",
        "transient_timeout",
        'The previous call timed out; retrying.\n[country_info.capital(country="Brazil")]',
        ["country_info.capital"],
        "correct",
    ),
]


@pytest.mark.parametrize("sample_id, config, raw, made, mode", APPENDIX_O)
def test_appendix_o_outputs(samples, sample_id, config, raw, made, mode):
    sample = samples[(sample_id, config)]
    assert [c.name for c in made_calls(raw, sample.source)] == made
    assert score_sample(sample, raw).error_mode == mode
