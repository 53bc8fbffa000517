"""The run loop with a scripted backend: two-pass transition bookkeeping, dedupe, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval_harness.manifest import resolve_model
from eval_harness.runner import RunOptions, run_eval
from robustbench_tc.predictions import PredictionRecord
from robustbench_tc.taxonomy import TRANSITION_ERRORS
from robustbench_tc.testing.mini_dataset import MINI_CONFIGS
from tests.eval_harness.fake_backend import AFTER_FAULT, CALLS, FakeBackend


def _records(path: Path) -> list[dict]:
    import json

    lines = path.read_text(encoding="utf-8").splitlines()
    assert "header" in json.loads(lines[0])
    return [json.loads(line) for line in lines[1:]]


def _run(dataset: Path, out: Path, mode: str = "prompt", **kw) -> tuple[FakeBackend, object]:
    backend = kw.pop("backend", None) or FakeBackend()
    options = RunOptions(dataset=dataset, out=out, progress=False, **kw)
    summary = run_eval(resolve_model("fake-model", mode=mode), options, backend=backend)
    return backend, summary


QUERY_OF = {
    "bfcl_v3__BFCL_v3_multiple__multiple_1": "What is the weather in Paris?",
    "apibank__level1_1": "Convert 10 to EUR please.",
    "toolalpaca__Cities__inst0": "Tell me about Madrid.",
}


@pytest.mark.parametrize("mode", ["prompt", "fc"])
def test_transition_two_pass_bookkeeping(mini_dataset: Path, tmp_path: Path, mode: str) -> None:
    backend, summary = _run(mini_dataset, tmp_path / "p.jsonl", mode=mode)
    records = {(r["id"], r["perturbation"]): r for r in _records(tmp_path / "p.jsonl")}
    assert len(records) == 3 * len(MINI_CONFIGS)
    for (sample_id, config), r in records.items():
        first = CALLS[QUERY_OF[sample_id]]
        PredictionRecord.model_validate(r)
        if config not in TRANSITION_ERRORS:
            assert r["raw_output"] == first
            assert r["first_pass_output"] is None and r["transition_injected"] is None
        elif sample_id == "apibank__level1_1":  # pass 1 made no call: no fault, pass 1 scored
            assert (r["transition_injected"], r["raw_output"], r["first_pass_output"]) == (
                False,
                first,
                first,
            )
        else:
            assert (r["transition_injected"], r["raw_output"], r["first_pass_output"]) == (
                True,
                AFTER_FAULT,
                first,
            )
    assert summary.transition_injected == 2 * 2  # 2 samples with calls x 2 transition configs
    # one chunk: one pass-1 call (deduplicated: clean + 2 transition copies share the chat) and one pass-2 call
    assert [len(c) for c in backend.calls] == [3 + 3, 2 * 2]
    assert not backend.closed  # the caller's backend stays open


@pytest.mark.parametrize(
    ("mode", "sample_id", "role", "content"),
    [
        ("prompt", "bfcl_v3__BFCL_v3_multiple__multiple_1", "tool", "{error}"),
        ("prompt", "toolalpaca__Cities__inst0", "user", "Observation: {error}"),
        ("fc", "bfcl_v3__BFCL_v3_multiple__multiple_1", "tool", "{error}"),
        ("fc", "toolalpaca__Cities__inst0", "tool", "{error}"),
    ],
)
def test_fault_injected_as_the_tool_response(
    mini_dataset: Path, tmp_path: Path, mode: str, sample_id: str, role: str, content: str
) -> None:
    backend, _ = _run(mini_dataset, tmp_path / "p.jsonl", mode=mode, configs=("transient_server_error",))
    second = {r.messages[-3 if mode == "prompt" else -3]["content"]: r for r in backend.calls[1]}
    request = second[QUERY_OF[sample_id]]
    error = TRANSITION_ERRORS["transient_server_error"]
    assert request.messages[-2] == {"role": "assistant", "content": CALLS[QUERY_OF[sample_id]]}
    assert request.messages[-1] == {"role": role, "content": content.format(error=error)}
    assert (request.tools is not None) == (mode == "fc")
    system = request.messages[0]["content"]
    assert ("Functions you can call" in system or "Tools (JSON)" in system) == (mode == "prompt")


def test_resume_after_crash_matches_uninterrupted_run(mini_dataset: Path, tmp_path: Path) -> None:
    _run(mini_dataset, tmp_path / "full.jsonl", chunk_size=4)
    crashed = FakeBackend(fail_after_calls=3)  # dies inside the second chunk
    with pytest.raises(KeyboardInterrupt):
        _run(mini_dataset, tmp_path / "resumed.jsonl", chunk_size=4, backend=crashed)
    written = _records(tmp_path / "resumed.jsonl")
    assert 0 < len(written) < 12
    backend, summary = _run(mini_dataset, tmp_path / "resumed.jsonl", chunk_size=4)
    assert summary.resumed == len(written) and summary.generated == 12 - len(written)
    assert _records(tmp_path / "resumed.jsonl") == _records(tmp_path / "full.jsonl")
    # a finished run resumed again generates nothing
    backend, summary = _run(mini_dataset, tmp_path / "resumed.jsonl", chunk_size=4)
    assert backend.calls == [] and summary.generated == 0


def test_records_are_in_dataset_order(mini_dataset: Path, tmp_path: Path) -> None:
    _run(mini_dataset, tmp_path / "p.jsonl", chunk_size=2)
    keys = [(r["perturbation"], r["id"]) for r in _records(tmp_path / "p.jsonl")]
    expected = [(c, i) for c in MINI_CONFIGS for i in QUERY_OF]
    assert keys == expected


def test_client_errors_become_error_records(mini_dataset: Path, tmp_path: Path) -> None:
    from eval_harness.backends.base import Generation

    backend = FakeBackend(reply=lambda request: Generation(text="", error="HTTP 400: too long"))
    _, summary = _run(mini_dataset, tmp_path / "p.jsonl", backend=backend, configs=("transient_timeout",))
    records = _records(tmp_path / "p.jsonl")
    assert summary.errors == 3 and all(r["error"] for r in records)
    assert all(r["transition_injected"] is False for r in records)


def test_scorer_reads_the_file_as_written(mini_dataset: Path, tmp_path: Path) -> None:
    from robustbench_tc.testing.mini_dataset import score_file

    _run(mini_dataset, tmp_path / "p.jsonl")
    report = score_file(mini_dataset, MINI_CONFIGS, tmp_path / "p.jsonl")
    correct = {c.config: round(c.acc.value * c.n) for c in report.configs}
    # clean/CD: the BFCL and ToolAlpaca calls match gold, API-Bank answers in text; transition
    # configs score pass 2 (text after the fault) where injected, pass 1 (text) where not.
    assert correct == {"clean": 2, "CD": 2, "transient_timeout": 0, "transient_server_error": 0}


@pytest.mark.parametrize(
    ("mode", "reply"),
    [
        ("prompt", '[weather.get(city="Paris"), convert_currency(amount=1, currency="EUR")]'),
        (
            "fc",
            '<tool_call>\n{"name": "weather.get", "arguments": {"city": "Paris"}}\n</tool_call>\n'
            '<tool_call>\n{"name": "convert_currency", "arguments": {"amount": 1}}\n</tool_call>',
        ),
    ],
)
def test_every_call_of_a_multi_call_turn_gets_the_fault(
    mini_dataset: Path, tmp_path: Path, mode: str, reply: str
) -> None:
    from eval_harness.backends.base import Generation

    def two_calls(request):
        if request.messages[-1]["role"] == "tool":
            return Generation(text=AFTER_FAULT)
        return Generation(text=reply)

    backend = FakeBackend(reply=two_calls)
    _run(
        mini_dataset,
        tmp_path / "p.jsonl",
        mode=mode,
        configs=("transient_server_error",),
        backend=backend,
        limit=1,
    )  # the BFCL sample
    (second,) = backend.calls[1]
    error = TRANSITION_ERRORS["transient_server_error"]
    assert second.messages[-3:] == [
        {"role": "assistant", "content": reply},
        {"role": "tool", "content": error},
        {"role": "tool", "content": error},
    ]


def test_revision_learned_during_the_run_does_not_block_resume(mini_dataset: Path, tmp_path: Path) -> None:
    """A Hub model is only in the cache (so its revision only known) once the engine downloaded it:
    a run killed after that must still resume, and end with the same header as an uninterrupted one."""

    class Downloading(FakeBackend):
        def __init__(self, cached: bool, **kw: object) -> None:
            super().__init__(**kw)
            self.cached = cached

        def model_revision(self) -> str | None:
            return "abc123" if self.cached or self.calls else None

    out = tmp_path / "p.jsonl"
    with pytest.raises(KeyboardInterrupt):
        _run(mini_dataset, out, chunk_size=4, backend=Downloading(False, fail_after_calls=3))
    assert json.loads(out.read_text().splitlines()[0])["header"]["model_revision"] is None
    _, summary = _run(mini_dataset, out, chunk_size=4, backend=Downloading(True))
    assert summary.resumed > 0
    assert json.loads(out.read_text().splitlines()[0])["header"]["model_revision"] == "abc123"

    _run(mini_dataset, tmp_path / "full.jsonl", chunk_size=4, backend=Downloading(False))
    assert (
        json.loads((tmp_path / "full.jsonl").read_text().splitlines()[0])["header"]["model_revision"]
        == "abc123"
    )


def test_resume_with_other_configs_adds_them_without_duplicates(mini_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    _run(mini_dataset, out, configs=("clean",), chunk_size=2)
    _, summary = _run(mini_dataset, out, configs=("clean", "transient_timeout"), chunk_size=2)
    keys = [(r["perturbation"], r["id"]) for r in _records(out)]
    assert keys == [(c, i) for c in ("clean", "transient_timeout") for i in QUERY_OF]
    by_key = {(r["id"], r["perturbation"]): r for r in _records(out)}
    for i in QUERY_OF:
        assert by_key[(i, "transient_timeout")]["first_pass_output"] == by_key[(i, "clean")]["raw_output"]
    _, summary = _run(mini_dataset, out, configs=("CD",), chunk_size=2)  # earlier configs are kept
    assert summary.generated == 3 and len(_records(out)) == 9


class _Clock:
    """A fake clock the backend advances: ``seconds_per_request`` per generated chat."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _timed_backend(clock: _Clock, seconds_per_request: float) -> FakeBackend:
    class Timed(FakeBackend):
        def generate(self, requests):  # type: ignore[no-untyped-def]
            clock.now += seconds_per_request * len(requests)
            return super().generate(requests)

    return Timed()


@pytest.mark.parametrize(
    ("seconds_per_request", "largest_later_chunk"),
    [
        (0.01, 64),  # fast engine: chunks grow 4x per chunk: 16, 64, then the 40 left
        (10.0, 8),  # 10 s per chat: 1-2 samples (4-8 items, 40-120 s) per chunk
    ],
    ids=["fast", "slow"],
)
def test_adaptive_chunks_follow_throughput(
    tmp_path: Path, seconds_per_request: float, largest_later_chunk: int
) -> None:
    """Without --chunk-size, each chunk is sized to take about --flush-seconds at the previous
    chunk's rate and ends on a sample boundary (4 configs per sample here); temperature > 0 turns
    dedupe off, so pass 1 of a chunk is one batch of exactly the chunk's items."""
    from eval_harness.runner import run_eval
    from robustbench_tc.testing.mini_dataset import write_mini_dataset

    dataset = write_mini_dataset(tmp_path / "d", copies=10)  # 30 samples x 4 configs
    clock = _Clock()
    backend = _timed_backend(clock, seconds_per_request)
    out = tmp_path / "p.jsonl"
    options = RunOptions(dataset=dataset, out=out, progress=False, flush_seconds=60.0)
    settings = resolve_model("fake-model", temperature=0.7)
    run_eval(settings, options, backend=backend, clock=clock)
    pass1 = [len(b) for b in backend.calls if not any(m["role"] == "assistant" for m in b[0].messages)]
    assert pass1[0] == 16 and sum(pass1) == 120
    assert all(n % 4 == 0 for n in pass1) and max(pass1[1:]) == largest_later_chunk
    if seconds_per_request < 1:
        assert pass1 == [16, 64, 40]
    assert len(_records(out)) == 120
