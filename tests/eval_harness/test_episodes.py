"""Multi-step episodes through the real harness loop, and the transition configs as one-fault episodes.

The transition test compares with what the two-pass harness wrote before it became an episode
(``data/two_pass_snapshot.json``): the same chats, requests and records, hence the same verdicts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eval_harness.conversation import follow_up
from eval_harness.manifest import resolve_model
from eval_harness.runner import RunOptions, run_eval
from robustbench_tc.dataset import config_path, load_samples
from robustbench_tc.predictions import read_predictions
from robustbench_tc.records import Sample
from robustbench_tc.sources import META_TOOLS
from robustbench_tc.taxonomy import RUNTIME_CONFIG_NAMES, get_type
from robustbench_tc.testing.mini_dataset import mini_samples, score_file, write_mini_dataset
from robustbench_tc.world.axes import build_runtime_configs
from robustbench_tc.world.core import WORLD_VERSION
from robustbench_tc.world.episode import Episode
from robustbench_tc.world.verdict import judge
from tests.eval_harness.agent_backend import AgentBackend
from tests.eval_harness.fake_backend import FakeBackend
from tests.eval_harness.test_openai_backend import Reply, Scripted, completion, run, serve  # noqa: F401

SNAPSHOT = json.loads((Path(__file__).parent / "data" / "two_pass_snapshot.json").read_text(encoding="utf-8"))


def test_transition_follow_up_chats_are_unchanged() -> None:
    samples = {s.id: s for s in mini_samples("transient_timeout")}
    for case in SNAPSHOT["follow_up"]:
        got = follow_up(samples[case["id"]], case["mode"], case["first_output"], case["first_calls"],
                        case["error"], n_calls=case["n_calls"])  # fmt: skip
        assert got == case["chat"], (case["mode"], case["id"], case["n_calls"])


@pytest.mark.parametrize("mode", ["prompt", "fc"])
def test_transition_runs_are_the_two_pass_runs(tmp_path: Path, mode: str) -> None:
    dataset = write_mini_dataset(tmp_path / "mini", copies=2)
    backend, out = FakeBackend(), tmp_path / "p.jsonl"
    run_eval(resolve_model("fake-model", mode=mode),
             RunOptions(dataset=dataset, out=out, progress=False, chunk_size=4), backend=backend)  # fmt: skip
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert records == SNAPSHOT["runs"][mode]["records"]
    assert [[r.messages for r in call] for call in backend.calls] == SNAPSHOT["runs"][mode]["requests"]


IDS_PER_SOURCE = 2


@pytest.fixture(scope="module")
def runtime_dataset(sources_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Sample]]:
    """Every runtime config for two samples of each source, as a dataset folder."""
    from dataset_builder.manifest import load_manifest
    from dataset_builder.sources import load_clean

    clean = load_clean(sources_dir, load_manifest())
    built = build_runtime_configs(clean)
    chosen: set[str] = set()
    for source in sorted({s.source for s in clean}):
        ids = [r.id for r in built.configs["tool_result_injection"] if r.source == source]
        chosen.update(ids[:IDS_PER_SOURCE])
    root = tmp_path_factory.mktemp("runtime") / "dataset"
    rows = []
    for config, config_rows in built.configs.items():
        kept = [r for r in config_rows if r.id in chosen]
        rows += kept
        path = config_path(root, config)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "".join(json.dumps(r.to_row(), ensure_ascii=False) + "\n" for r in kept), encoding="utf-8"
        )
    return root, rows


def _replayed(row: Sample, record: object, step_limit: int) -> Episode:
    episode = Episode(row, step_limit)
    for step in record.trajectory:  # type: ignore[attr-defined]
        assert episode.feed(step.output).observations == step.observations
    assert episode.done
    return episode


@pytest.mark.parametrize("mode", ["prompt", "fc"])
def test_oracle_episodes_through_the_harness(
    runtime_dataset: tuple[Path, list[Sample]], tmp_path: Path, mode: str
) -> None:
    dataset, rows = runtime_dataset
    out = tmp_path / "p.jsonl"
    summary = run_eval(resolve_model("fake-model", mode=mode), RunOptions(dataset=dataset, out=out, progress=False),
                       backend=AgentBackend(rows, "oracle", mode))  # fmt: skip
    predictions = read_predictions(out)
    assert predictions.header is not None
    assert (predictions.header.step_limit, predictions.header.world_version) == (4, WORLD_VERSION)
    by_key = {r.key: r for r in predictions.records}
    assert set(by_key) == {r.key for r in rows} and summary.episode_turns > len(rows)
    for row in rows:
        record = by_key[row.key]
        assert record.trajectory and record.raw_output == record.trajectory[-1].output
        verdict = judge(_replayed(row, record, 4), get_type(row.perturbation).axis)  # type: ignore[arg-type]
        assert verdict.correct == 1.0, (row.key, [s.model_dump() for s in record.trajectory])


def test_naive_agent_through_the_harness(runtime_dataset: tuple[Path, list[Sample]], tmp_path: Path) -> None:
    dataset, rows = runtime_dataset
    out = tmp_path / "p.jsonl"
    run_eval(resolve_model("fake-model", mode="prompt"), RunOptions(dataset=dataset, out=out, progress=False),
             backend=AgentBackend(rows, "never_retry"))  # fmt: skip
    by_key = {r.key: r for r in read_predictions(out).records}
    for row in rows:
        record = by_key[row.key]
        assert len(record.trajectory) == 2  # the gold call, then an answer: never a retry
        verdict = judge(_replayed(row, record, 4), get_type(row.perturbation).axis)  # type: ignore[arg-type]
        if row.perturbation in (
            "prerequisite_dependency",
            "fabricated_observation",
            "stale_resource",
            "silent_noop",
        ):
            assert verdict.correct == 0.0


def test_step_limit_and_resume(runtime_dataset: tuple[Path, list[Sample]], tmp_path: Path) -> None:
    dataset, rows = runtime_dataset
    settings = resolve_model("fake-model", mode="prompt")
    one = tmp_path / "one.jsonl"
    run_eval(settings, RunOptions(dataset=dataset, out=one, progress=False, step_limit=1),
             backend=AgentBackend(rows))  # fmt: skip
    predictions = read_predictions(one)
    assert predictions.header.step_limit == 1  # type: ignore[union-attr]
    assert all(len(r.trajectory or []) == 1 for r in predictions.records)
    # a run killed after a few backend calls resumes to the file an uninterrupted run writes
    whole, killed = tmp_path / "whole.jsonl", tmp_path / "killed.jsonl"
    options = {"dataset": dataset, "progress": False, "chunk_size": 8}
    run_eval(settings, RunOptions(out=whole, **options), backend=AgentBackend(rows))
    crashing = AgentBackend(rows)
    crashing.generate = _crash_after(crashing.generate, 5)  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        run_eval(settings, RunOptions(out=killed, **options), backend=crashing)
    assert killed.exists() and 0 < len(killed.read_text().splitlines()) - 1 < len(rows)
    run_eval(settings, RunOptions(out=killed, **options), backend=AgentBackend(rows))
    strip = lambda p: [line for line in p.read_text().splitlines()[1:]]  # noqa: E731
    assert strip(killed) == strip(whole)
    assert {c for c in load_samples(dataset)} == set(RUNTIME_CONFIG_NAMES)


def _crash_after(generate, n: int):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def wrapped(requests):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > n:
            raise KeyboardInterrupt("simulated crash")
        return generate(requests)

    return wrapped


def test_episodes_through_the_openai_backend(
    runtime_dataset: tuple[Path, list[Sample]],
    tmp_path: Path,
    serve: Callable[..., Scripted],  # noqa: F811 (the fixture, imported above)
) -> None:
    """A real HTTP server in the OpenAI Chat Completions format (structured ``tool_calls`` with
    ids): every later turn carries the earlier assistant turns with their calls and one ``tool``
    message per call, answered by id with the world's text; the file replays on the scorer."""
    dataset, rows = runtime_dataset

    def episode(body: dict[str, Any]) -> list[dict[str, Any]]:
        """The episode's own turns (a context-pressure history holds earlier text turns before them)."""
        messages = body["messages"]
        start = next((i for i, m in enumerate(messages) if m.get("tool_calls")), len(messages))
        return messages[start:]

    def script(body: dict[str, Any], n: int) -> Reply:
        turn = sum(m["role"] == "assistant" for m in episode(body))
        # the source's meta-tools (finish, ask_to_user) get no tool message: a turn that mixes one
        # with real calls goes back as text (conversation.episode_messages), not what this test is about
        names = [t["function"]["name"] for t in body["tools"] if t["function"]["name"] not in META_TOOLS]
        if turn == 0:
            calls = [(names[0], "{}")]
        elif turn == 1:
            calls = [(names[-1], "{}"), (names[0], '{"q": "x"}')]
        else:
            return 200, {}, completion("Done."), 0.0
        reply = completion("", calls)
        for i, call in enumerate(reply["choices"][0]["message"]["tool_calls"]):
            call["id"] = f"call_{n}_{i}"  # unique per response, as real servers give them
        return 200, {}, reply, 0.0

    state = serve(script)
    records, _ = run(dataset, tmp_path / "p.jsonl", state, configs=tuple(RUNTIME_CONFIG_NAMES))
    assert {r.key for r in records} == {r.key for r in rows}
    full = [r for r in records if len(r.trajectory or []) == 3]
    assert full, [len(r.trajectory or []) for r in records]
    third = [episode(b) for b in state.bodies if sum(m["role"] == "assistant" for m in episode(b)) == 2]
    sent = set()
    for turns in third:
        tools = [m for m in turns if m["role"] == "tool"]
        asked = [c["id"] for m in turns if m["role"] == "assistant" for c in m.get("tool_calls") or []]
        assert [m.get("tool_call_id") for m in tools] == asked  # every call answered, by its id, in order
        sent.add(tuple(m["content"] for m in tools))
    # what the server was sent is what each record holds (identical chats are generated once)
    held = {tuple(o for step in r.trajectory[:2] for o in step.observations) for r in full}  # type: ignore[index]
    assert sent == held and all(len(t) == 3 for t in held)
    report = score_file(dataset, list(RUNTIME_CONFIG_NAMES), tmp_path / "p.jsonl")  # replays every record
    assert report.runtime is not None  # type: ignore[attr-defined]
