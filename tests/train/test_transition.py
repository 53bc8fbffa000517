"""The DR+T tool world (train.transition): the fault draw, the fault strings, the observation turn,
and the turn-by-turn episodes with their loss mask, driven by a scripted policy."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from robustbench_tc.taxonomy import TRANSITION_ERRORS
from robustbench_tc.testing.tiny_model import build_tiny_model
from train.transition import (
    FAULT_CODES,
    OBSERVATION_ROLE,
    ToolWorld,
    TransitionConfig,
    draw_fault,
    made_calls,
    observation,
    observation_suffix_ids,
    prompt_key,
    run_episodes,
)

GIVE_UP = "<think>it failed</think>\n<response>Sorry, try later.</response>"


@pytest.fixture(scope="module")
def rows(sources_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """Real DR-Full training rows (the first 4 rlla items)."""
    from train.build_data import (
        TRAIN_FILE,
        VALIDATION_FILE,
        TrainDataConfig,
        load_train_data,
        make_train_data,
    )

    out = tmp_path_factory.mktemp("toolrl-dr")
    config = TrainDataConfig(train=str(sources_dir / TRAIN_FILE), validation=str(sources_dir / VALIDATION_FILE),
                             variants=("dr_full",), limit=4)  # fmt: skip
    make_train_data(config, out, progress=False)
    return load_train_data(out, "dr_full")["train"].to_list()


@pytest.fixture(scope="module")
def row(rows: list[dict]) -> dict:
    return next(r for r in rows if json.loads(r["perturbation_metadata"]).get("gt_tool"))


@pytest.fixture(scope="module")
def call(row: dict) -> str:
    name = json.loads(row["perturbation_metadata"])["gt_tool"]
    return (
        "<think>ok</think>\n<tool_call>\n" + json.dumps({"name": name, "parameters": {}}) + "\n</tool_call>"
    )


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(build_tiny_model(tmp_path_factory.mktemp("tiny") / "model"))


def test_fault_strings_are_the_benchmarks() -> None:
    assert FAULT_CODES == tuple(TRANSITION_ERRORS) and len(FAULT_CODES) == 6
    for code in FAULT_CODES:
        world = ToolWorld(tool_names=["f"], fault=code)
        assert world.respond([{"name": "f", "arguments": {}}]) == TRANSITION_ERRORS[code]


def test_observation_turn_is_the_harness_turn_for_toolrl_prompts() -> None:
    from eval_harness.conversation import follow_up
    from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample

    sample = Sample(id="x", source="apibank", system_prompt="S", messages=[Message(role="user", content="q")],
                    tools=[], golden_answers=[GoldAnswer(calls=[GoldCall(name="f")])],
                    output_format="tool_call_json")  # fmt: skip
    error = TRANSITION_ERRORS["transient_rate_limit"]
    sent = follow_up(sample, "prompt", "<tool_call>...</tool_call>", [], error)[-1]
    assert sent == {"role": OBSERVATION_ROLE, "content": observation(error)}
    assert observation("E") == "<obs> E </obs>"


@pytest.mark.parametrize("probability", [0.0, 0.25, 0.5, 1.0])
def test_fault_draw_hits_the_configured_share_and_every_fault(probability: float) -> None:
    keys = [f"row-{i}" for i in range(3000)]
    draws = [draw_fault(k, probability, seed=7) for k in keys]
    share = sum(d is not None for d in draws) / len(keys)
    assert share == pytest.approx(probability, abs=0.03)
    if probability >= 0.25:
        counts = Counter(d for d in draws if d is not None)
        assert set(counts) == set(FAULT_CODES)
        assert min(counts.values()) > 0.5 * max(counts.values())


def test_fault_draw_is_a_function_of_row_and_seed(row: dict) -> None:
    key = prompt_key(row["prompt"])
    assert len({draw_fault(key, 0.5, seed=3) for _ in range(5)}) == 1
    assert [draw_fault(f"r{i}", 0.5, seed=0) for i in range(50)] != [
        draw_fault(f"r{i}", 0.5, seed=1) for i in range(50)
    ]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        draw_fault(key, 1.5)


def test_world_serves_the_rows_tools_after_the_fault(row: dict) -> None:
    world = ToolWorld.for_prompt(row["prompt"], 1.0, seed=0)
    gold = json.loads(row["perturbation_metadata"])["gt_tool"]
    assert gold in world.tool_names and world.fault in FAULT_CODES
    assert world.respond([{"name": gold, "arguments": {"x": "A"}}]) == TRANSITION_ERRORS[world.fault]
    ok = json.loads(world.respond([{"name": gold, "arguments": {"x": "A"}}]))
    assert ok["status"] == "success" and ok["result"]["request"] == {"x": "A"}
    unknown = json.loads(world.respond([{"name": "Nope", "arguments": {}}]))
    assert unknown["status"] == "error" and gold in unknown["error"]


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ('<think>ok</think>\n<tool_call>\n{"name": "f", "parameters": {}}\n</tool_call>', 1),
        (GIVE_UP, 0),
        ("", 0),
        ("<think>I will call f</think>", 0),
        ("[f(a=1)]", 1),
        ("<think>x</think>\n<response>The call f(a=1) timed out. Please try again later.</response>", 0),
        ('<think>x</think>\n<tool_call>\n{"name": "Search Managers", "parameters": {}}\n</tool_call>', 1),
    ],
)
def test_made_calls_is_the_benchmarks_rule(text: str, n: int) -> None:
    assert len(made_calls(text)) == n


class Scripted:
    """A policy that answers turn k with ``answers[k]`` (tokenised, EOS-terminated), recording its inputs."""

    def __init__(self, tokenizer, answers: list[str]) -> None:
        self.tokenizer, self.answers, self.inputs = tokenizer, answers, []

    def __call__(self, prompts: list[list[int]], n: int):
        turn = len(self.inputs)
        self.inputs.append((prompts, n))
        ids = self.tokenizer(self.answers[turn], add_special_tokens=False)["input_ids"] + [
            self.tokenizer.eos_token_id
        ]
        return [list(ids) for _ in prompts], None


def run(
    tokenizer, row, answers: list[str], probability: float, *, n: int = 4, budget: int = 400, turns: int = 2
):
    policy = Scripted(tokenizer, answers)
    p = row["prompt"]
    ids = tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=True, return_dict=True)[
        "input_ids"
    ]
    episodes = run_episodes([p] * n, [list(ids)] * n, policy, tokenizer,
                            TransitionConfig(fault_probability=probability, max_turns=turns),
                            num_generations=n, max_completion_length=budget)  # fmt: skip
    return episodes, policy


def test_a_fault_gives_a_second_turn_with_the_fault_masked(tokenizer, row, call) -> None:
    episodes, policy = run(tokenizer, row, [call, call], 1.0)
    assert [n for _, n in policy.inputs] == [4, 1]  # turn 1 as a group, turn 2 per episode
    for ep in episodes:
        traj = ep.trajectory()
        assert traj["fault_injected"] and traj["calls"] == [1, 1] and traj["turns"] == [call, call]
        assert traj["observations"] == [TRANSITION_ERRORS[traj["fault"]]]
        masked = [t for t, m in zip(ep.completion_ids, ep.env_mask, strict=True) if m == 0]
        kept = [t for t, m in zip(ep.completion_ids, ep.env_mask, strict=True) if m == 1]
        assert masked == observation_suffix_ids(tokenizer, traj["observations"][0])
        assert observation(traj["observations"][0]) in tokenizer.decode(masked)
        assert tokenizer.decode(kept, skip_special_tokens=True) == call + call
        # turn 2 saw the prompt, turn 1 and the fault, exactly as the loss will
        assert (
            policy.inputs[1][0][0]
            == ep.prompt_ids + ep.completion_ids[: len(ep.completion_ids) - len(kept) // 2]
        )
    assert len({ep.world.fault for ep in episodes}) == 1  # one world per group


def test_no_fault_means_toolrls_single_turn(tokenizer, row, call) -> None:
    episodes, policy = run(tokenizer, row, [call, call], 0.0)
    assert len(policy.inputs) == 1
    assert all(
        e.env_mask == [1] * len(e.completion_ids) and e.trajectory()["turns"] == [call] for e in episodes
    )
    assert not any(e.trajectory()["fault_injected"] for e in episodes)


def test_no_call_in_turn_one_means_no_fault_injected(tokenizer, row, call) -> None:
    episodes, policy = run(tokenizer, row, [GIVE_UP, call], 1.0)
    assert len(policy.inputs) == 1
    assert all(not e.trajectory()["fault_injected"] and e.trajectory()["calls"] == [0] for e in episodes)


def test_later_calls_get_a_success_result(tokenizer, row, call) -> None:
    episodes, _ = run(tokenizer, row, [call, call, GIVE_UP], 1.0, turns=3)
    traj = episodes[0].trajectory()
    assert traj["calls"] == [1, 1, 0] and len(traj["observations"]) == 2
    assert json.loads(traj["observations"][1])["status"] == "success"


def test_the_completion_budget_is_shared_by_all_turns(tokenizer, row, call) -> None:
    one_turn = len(tokenizer(call, add_special_tokens=False)["input_ids"]) + 1
    episodes, policy = run(tokenizer, row, [call, call], 1.0, budget=one_turn + 10)
    assert len(policy.inputs) == 1  # no room for the fault and another turn
    assert all(len(e.completion_ids) <= one_turn + 10 and not e.observations for e in episodes)
    episodes, _ = run(tokenizer, row, [call, call], 1.0, budget=one_turn + 120)
    assert all(len(e.completion_ids) == len(e.env_mask) <= one_turn + 120 for e in episodes)


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="transition_ratio"):
        TransitionConfig(fault_probability=-0.1)
    with pytest.raises(ValueError, match="at least 2"):
        TransitionConfig(max_turns=1)


def test_tool_names_come_from_every_real_training_row(rows: list[dict]) -> None:
    for r in rows:
        world = ToolWorld.for_prompt(r["prompt"], 1.0)
        assert world.tool_names and world.fault in FAULT_CODES
        gold = json.loads(r["perturbation_metadata"]).get("gt_tool")
        if gold:
            assert gold in world.tool_names


# --- every rank makes the same generation calls (issue 24) ----------------------------------------
# Under ZeRO-3 each generation is a collective; a rank without a faulted episode must still take
# part in turn 2. ``sync`` stands for the all-gather over ranks: it returns the other ranks' largest
# count of running episodes.


@pytest.mark.parametrize(
    ("answers", "probability", "others", "widths", "padding"),
    [
        ([GIVE_UP, GIVE_UP], 1.0, 3, [4, 3], [0, 3]),  # no call here, 3 running elsewhere: 3 no-ops
        ([GIVE_UP, GIVE_UP], 0.0, 0, [4], [0]),  # nobody running anywhere: one turn on every rank
        (["call", "call"], 0.0, 2, [4, 2], [0, 2]),  # no fault drawn here, 2 running elsewhere
        (["call", "call"], 1.0, 0, [4, 4], [0, 0]),  # all 4 faulted here, none elsewhere
        (["call", "call"], 1.0, 6, [4, 6], [0, 2]),  # 4 here, 6 elsewhere: 2 no-ops
    ],
)
def test_later_turns_have_the_width_agreed_over_ranks(
    tokenizer, row, call, answers, probability, others, widths, padding
) -> None:
    answers = [call if a == "call" else a for a in answers]
    policy = Scripted(tokenizer, answers)
    ids = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True,
                                        return_dict=True)["input_ids"]  # fmt: skip
    seen: list[tuple[int, int]] = []
    alone = run_episodes([row["prompt"]] * 4, [list(ids)] * 4, Scripted(tokenizer, answers), tokenizer,
                         TransitionConfig(fault_probability=probability), num_generations=4,
                         max_completion_length=400)  # fmt: skip
    episodes = run_episodes([row["prompt"]] * 4, [list(ids)] * 4, policy, tokenizer,
                            TransitionConfig(fault_probability=probability), num_generations=4,
                            max_completion_length=400, sync=lambda n: max(n, others),
                            on_generate=lambda width, pad: seen.append((width, pad)))  # fmt: skip
    assert [len(prompts) for prompts, _ in policy.inputs] == widths
    assert seen == list(zip(widths, padding, strict=True))
    # the no-op rows are dropped: the episodes are what this rank alone would have produced
    assert [e.trajectory() for e in episodes] == [e.trajectory() for e in alone]
    assert [e.completion_ids for e in episodes] == [e.completion_ids for e in alone]


def test_a_forced_fault_overrides_the_draw(tokenizer, row, call) -> None:
    ids = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True,
                                        return_dict=True)["input_ids"]  # fmt: skip
    for code in FAULT_CODES:
        episodes = run_episodes([row["prompt"]] * 2, [list(ids)] * 2, Scripted(tokenizer, [call, call]),
                                tokenizer, TransitionConfig(fault_probability=0.0), num_generations=2,
                                max_completion_length=400, fault=code)  # fmt: skip
        assert all(e.trajectory()["observations"] == [TRANSITION_ERRORS[code]] for e in episodes)
    one_each = run_episodes([row["prompt"]] * 6, [list(ids)] * 6, Scripted(tokenizer, [call, call]), tokenizer,
                            TransitionConfig(fault_probability=0.0), num_generations=6,
                            max_completion_length=400, fault=list(FAULT_CODES))  # fmt: skip
    assert [e.trajectory()["fault"] for e in one_each] == list(FAULT_CODES)
    with pytest.raises(ValueError, match="one per episode"):
        run_episodes([row["prompt"]] * 2, [list(ids)] * 2, Scripted(tokenizer, [call]), tokenizer,
                     TransitionConfig(), num_generations=2, max_completion_length=400, fault=["transient_timeout"])  # fmt: skip
    with pytest.raises(ValueError, match="unknown fault"):
        run_episodes([row["prompt"]], [list(ids)], Scripted(tokenizer, [call]), tokenizer,
                     TransitionConfig(), num_generations=1, max_completion_length=400, fault="HTTP 418")  # fmt: skip
