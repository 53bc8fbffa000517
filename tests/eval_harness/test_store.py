"""The resumable predictions file: repair, header checks, canonical order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval_harness.store import PredictionStore, ResumeError, header_line, record_line
from robustbench_tc.predictions import PredictionRecord, RunHeader

HEADER = RunHeader(model="m", engine="vllm", sampling={"temperature": 0.0}, created_at="t0")


def rec(i: int) -> PredictionRecord:
    return PredictionRecord(id=f"s{i}", perturbation="clean", raw_output=f"out {i}")


def write(path: Path, lines: list[str], tail: bytes = b"") -> None:
    path.write_bytes("".join(lines).encode() + tail)


@pytest.mark.parametrize(
    ("tail", "kept"),
    [
        (b"", 3),
        (b'{"id":"s9","pert', 3),  # killed mid-write: no newline yet
        (b"\n", 3),
    ],
)
def test_truncated_tail_is_repaired(tmp_path: Path, tail: bytes, kept: int) -> None:
    path = tmp_path / "p.jsonl"
    write(path, [header_line(HEADER), *(record_line(rec(i)) for i in range(3))], tail)
    store = PredictionStore(path, HEADER.model_copy(update={"created_at": "t1"}))
    assert len(store.open()) == kept
    assert path.read_bytes().endswith(b"\n") and b"s9" not in path.read_bytes()
    store.append([rec(5)])
    assert [json.loads(x)["id"] for x in path.read_text().splitlines()[1:]] == ["s0", "s1", "s2", "s5"]
    assert store.header.created_at == "t0"  # the run that started the file


def test_torn_last_line_with_newline_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write(path, [header_line(HEADER), record_line(rec(0)), '{"id": "s1", "perturb\n'])
    assert list(PredictionStore(path, HEADER).open()) == [("s0", "clean")]


def test_corrupt_middle_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write(path, [header_line(HEADER), "not json\n", record_line(rec(0))])
    with pytest.raises(ResumeError, match=r"p.jsonl:2: unreadable line"):
        PredictionStore(path, HEADER).open()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "other"}, "model: 'm' (file) != 'other'"),
        ({"sampling": {"temperature": 0.6}}, "sampling"),
        ({"dataset_fingerprint": "abc"}, "dataset_fingerprint"),
        ({"engine": "openai"}, "engine"),
    ],
)
def test_header_mismatch_refuses_to_resume(tmp_path: Path, change: dict, message: str) -> None:
    path = tmp_path / "p.jsonl"
    write(path, [header_line(HEADER), record_line(rec(0))])
    other = HEADER.model_copy(update=change)
    with pytest.raises(ResumeError, match="different run") as info:
        PredictionStore(path, other).open()
    assert message in str(info.value) and "--overwrite" in str(info.value)
    assert PredictionStore(path, other, overwrite=True).open() == {}
    assert path.read_text().count("\n") == 1


def test_file_without_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write(path, [record_line(rec(0))])
    with pytest.raises(ResumeError, match="no run header"):
        PredictionStore(path, HEADER).open()


def test_finalize_orders_and_keeps_foreign_records(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    store = PredictionStore(path, HEADER)
    store.open()
    store.append([rec(2), rec(0), rec(7), rec(1)])
    store.finalize([("s0", "clean"), ("s1", "clean"), ("s2", "clean")])
    ids = [json.loads(x)["id"] for x in path.read_text().splitlines()[1:]]
    assert ids == ["s0", "s1", "s2", "s7"]
    assert not path.with_name("p.jsonl.tmp").exists()
