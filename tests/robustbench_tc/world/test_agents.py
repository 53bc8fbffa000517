"""Evidence that the runtime metrics measure what they claim: scripted agents on every runtime row.

The oracle solves every row.  Each naive agent has one bad habit, and its figure on each row is
derived here from the data by a rule stated in words (never a number typed in): the test fails if
the world, the episode rule or the rows stop measuring that habit.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from robustbench_tc.records import OPTIONAL, Sample
from robustbench_tc.taxonomy import RUNTIME_CONFIG_NAMES, get_type
from robustbench_tc.world.agents import AGENTS, play
from robustbench_tc.world.axes import RuntimeBuild
from robustbench_tc.world.spec import Fabrication, TypeEnforcement, parse_spec
from robustbench_tc.world.values import strict_ok
from robustbench_tc.world.verdict import EpisodeVerdict, judge


def _verdicts(rows: list[Sample], agent: str) -> list[EpisodeVerdict]:
    return [judge(play(r, AGENTS[agent]), get_type(r.perturbation).axis) for r in rows]  # type: ignore[arg-type]


def _gold_values(row: Sample) -> list[object]:
    return [v[0] for c in row.golden_answers[0].calls for v in c.arguments.values() if v and v[0] != OPTIONAL]


def _strings_still_match(row: Sample, skip: str | None = None) -> bool:
    """A call whose values are all sent as strings still matches the gold: every source's scorer but
    BFCL's compares values loosely ("5" == 5); BFCL's needs the declared JSON type."""
    if row.source != "bfcl_v3":
        return True
    calls = row.golden_answers[0].calls
    return all(
        isinstance(v[0], str)
        for c in calls
        for k, v in c.arguments.items()
        if v and v[0] != OPTIONAL and k != skip
    )


def _enforced(row: Sample) -> TypeEnforcement:
    spec = parse_spec(row.perturbation_metadata["world"])
    assert isinstance(spec, TypeEnforcement)
    return spec


def _gold_value_has_enforced_type(row: Sample) -> bool:
    spec = _enforced(row)
    value = next(c for c in row.golden_answers[0].calls if c.name == spec.tool).arguments[spec.parameter][0]
    return strict_ok(spec.enforced, value)


# agent -> config -> does the agent solve this row? (None: every row, as for the oracle)
Expect = Callable[[Sample], bool]
ALWAYS: Expect = lambda row: True  # noqa: E731
NEVER: Expect = lambda row: False  # noqa: E731
EXPECTED: dict[str, dict[str, Expect]] = {
    "oracle": {},
    # obeys the instruction inside the result: wrong on the injection row only
    "obey_injection": {"tool_result_injection": NEVER},
    # one call, then an answer with no flag: fails every fault that needs a second look or a second call,
    # except a type row whose gold value, as the source writes it, already has the enforced type
    "never_retry": {"prerequisite_dependency": NEVER, "fabricated_observation": NEVER, "stale_resource": NEVER,
                    "silent_noop": NEVER, "parameter_type_mismatch": _gold_value_has_enforced_type},
    "repeat_first": {"prerequisite_dependency": NEVER, "fabricated_observation": NEVER, "stale_resource": NEVER,
                     "silent_noop": NEVER, "parameter_type_mismatch": _gold_value_has_enforced_type},
    # every value a string: right where strings still match the gold; on the type row only where the
    # enforced type is a string
    "stringify": {**{c: _strings_still_match for c in RUNTIME_CONFIG_NAMES},
                  "parameter_type_mismatch": lambda r: _enforced(r).enforced == "string"
                  and _strings_still_match(r, skip=_enforced(r).parameter)},
}  # fmt: skip


@pytest.mark.parametrize("agent", sorted(EXPECTED))
@pytest.mark.parametrize("config", RUNTIME_CONFIG_NAMES)
def test_scripted_agents_get_exactly_the_expected_figures(
    runtime_build: RuntimeBuild, agent: str, config: str
) -> None:
    rows = runtime_build.configs[config]
    expect = EXPECTED[agent].get(config, ALWAYS)
    verdicts = _verdicts(rows, agent)
    wrong = [(r.id, v.error_mode) for r, v in zip(rows, verdicts) if bool(v.correct) != expect(r)]
    assert not wrong, wrong[:5]
    accuracy = sum(v.correct for v in verdicts) / len(rows)
    assert accuracy == sum(expect(r) for r in rows) / len(rows)
    if agent == "oracle":
        assert accuracy == 1.0


def test_injection_metrics_are_agentdojos(runtime_build: RuntimeBuild) -> None:
    rows = runtime_build.configs["tool_result_injection"]
    for agent, utility, attacked in (
        ("oracle", 1.0, 0.0),
        ("obey_injection", 1.0, 1.0),
        ("never_retry", 1.0, 0.0),
    ):
        verdicts = _verdicts(rows, agent)
        assert sum(v.executed for v in verdicts) / len(rows) == utility  # utility under attack
        assert sum(v.attacked for v in verdicts) / len(rows) == attacked  # attack success rate
    assert {v.error_mode for v in _verdicts(rows, "obey_injection")} == {"followed_injection"}


@pytest.mark.parametrize("config", ["prerequisite_dependency", "parameter_type_mismatch"])
def test_recovery_rate(runtime_build: RuntimeBuild, config: str) -> None:
    rows = runtime_build.configs[config]
    oracle, naive = _verdicts(rows, "oracle"), _verdicts(rows, "never_retry")
    faulted = [v for v in oracle if v.faulted]
    assert faulted and all(v.recovered for v in faulted)  # recovery rate 1
    assert not any(v.recovered for v in naive)  # recovery rate 0
    assert all(v.error_mode == "unrecovered" for v in naive if not v.correct)


def test_repeating_the_first_result_repeats_the_fabricated_value(runtime_build: RuntimeBuild) -> None:
    rows = runtime_build.configs["fabricated_observation"]
    for row in rows:
        episode = play(row, AGENTS["repeat_first"])
        spec = parse_spec(row.perturbation_metadata["world"])
        assert isinstance(spec, Fabrication)
        assert str(spec.value) in episode.final_output
        verdict = judge(episode, get_type(row.perturbation).axis)  # type: ignore[arg-type]
        assert verdict.repeated and verdict.error_mode == "repeated_value"
        # the oracle re-queries: its answer holds the true value, never the fabricated one
        oracle = judge(play(row, AGENTS["oracle"]), get_type(row.perturbation).axis)  # type: ignore[arg-type]
        assert oracle.correct == 1.0 and not oracle.repeated
