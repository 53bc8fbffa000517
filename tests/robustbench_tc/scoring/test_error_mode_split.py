"""Appendix L's "wrong" split into name bias and parameter mismatch, and the ghost-tool count."""

from __future__ import annotations

import pytest

from robustbench_tc.gold import GoldRow
from robustbench_tc.scoring import score_sample
from robustbench_tc.scoring.oracle import oracle_output


@pytest.fixture(scope="module")
def reward_samples(built_dataset):
    from robustbench_tc.dataset import load_samples

    return load_samples(built_dataset, ["CD", "TD_NT", "CD_AB", "realistic_typos"])


def _first(samples, config, source):
    return next(s for s in samples[config] if s.source == source)


@pytest.mark.parametrize("config", ["CD", "TD_NT", "CD_AB"])
@pytest.mark.parametrize("source", ["bfcl_v3", "apibank", "rotbench", "toolalpaca"])
def test_calling_the_reward_distractor_is_name_bias(reward_samples, config, source):
    sample = _first(reward_samples, config, source)
    gold_name = sample.golden_answers[0].calls[0].name
    distractor = sample.perturbation_metadata["distractor"]
    right = oracle_output(sample)
    lured = right.replace(gold_name, distractor)
    assert score_sample(sample, right).error_mode == "correct"
    result = score_sample(sample, lured)
    assert (result.error_mode, result.ghost_calls) == ("name_bias", 0)
    # the same from the gold index's row (what `score` and the Space read)
    assert score_sample(GoldRow.from_sample(sample), lured).error_mode == "name_bias"
    # a tool that is neither: a wrong name, not name bias; a ghost when outside the registry
    ghost = score_sample(sample, right.replace(gold_name, "made_up_tool"))
    assert (ghost.error_mode, ghost.ghost_calls) == ("parameter_mismatch", 1)


def test_outside_reward_types_a_wrong_call_is_a_parameter_mismatch(reward_samples):
    sample = _first(reward_samples, "realistic_typos", "bfcl_v3")
    right = oracle_output(sample)
    value = next(iter(sample.golden_answers[0].calls[0].arguments.values()))[0]
    wrong = (
        right.replace(f'"{value}"', '"not the value"')
        if isinstance(value, str)
        else right.replace(str(value), "123456789", 1)
    )
    assert score_sample(sample, wrong).error_mode == "parameter_mismatch"
