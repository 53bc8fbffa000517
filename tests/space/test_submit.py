"""The submission pipeline: every bad upload is refused with a clear message and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from robustbench_tc.predictions import read_predictions
from robustbench_tc.scoring import score_predictions
from space.app import Board, create_board, submit_handler
from space.config import BoardConfig
from space.submit import SubmissionError, SubmissionMeta, clean_meta
from tests.space.helpers import corrupt_records

META = SubmissionMeta(model="test-model")


def _records(oracle: str) -> list[str]:
    return [ln for ln in oracle.splitlines() if ln and not ln.startswith('{"header"')]


def _replace_first_id(oracle: str) -> bytes:
    lines = _records(oracle)
    rec = json.loads(lines[0])
    rec["id"] = "nope__no_such_sample"
    return "\n".join([json.dumps(rec), *lines[1:]]).encode()


def _nested(depth: int) -> bytes:
    return ('{"id": "x", "perturbation": "clean", "raw_output": "a", "meta": {"k": '
            + "[" * depth + "]" * depth + "}}").encode()  # fmt: skip


def _other_fingerprint(oracle: str) -> bytes:
    first, *rest = oracle.splitlines()
    doc = json.loads(first)
    doc["header"]["dataset_fingerprint"] = "0" * 64  # made on another dataset build
    return "\n".join([json.dumps(doc), *rest]).encode()


# name -> (content builder from the oracle text, expected fragment of the message)
BAD_UPLOADS: dict[str, tuple[Callable[[str], bytes], str]] = {
    "not json": (lambda o: b"this is not JSON at all\n", "not valid JSON"),
    "truncated json document": (lambda o: b'[{"id": "a", "perturbation": "clean", "raw_', "not valid JSON"),
    "wrong schema (record)": (lambda o: b'{"id": 5, "perturbation": "clean"}\n', "field"),
    "wrong schema (extra field)": (
        lambda o: b'{"id": "a", "perturbation": "clean", "raw_output": "", "score": 1}\n',
        "score",
    ),
    "wrong top-level document": (lambda o: b'{"records": []}', "Extra inputs are not permitted"),
    "json scalar": (lambda o: b"42", "expected a JSON object"),
    "unknown id": (_replace_first_id, "unknown sample id"),
    "unknown perturbation": (
        lambda o: b'{"id": "a", "perturbation": "typos", "raw_output": ""}\n',
        "unknown perturbation",
    ),
    "duplicate id": (lambda o: (o + _records(o)[0] + "\n").encode(), "duplicate record"),
    "missing ids": (lambda o: "\n".join(o.splitlines()[:-5]).encode(), "incomplete predictions: 5 of"),
    "only a header": (lambda o: o.splitlines()[0].encode(), "no prediction records"),
    "NaN": (lambda o: b'{"id": "a", "perturbation": "clean", "raw_output": NaN}\n', "NaN"),
    "Infinity in meta": (
        lambda o: b'{"id": "a", "perturbation": "clean", "raw_output": "", "meta": {"t": 1e999}}\n',
        "out of range",
    ),
    "binary": (lambda o: b"PK\x03\x04\x00\x00binary\xff\xfe", "binary content"),
    "deeply nested": (lambda o: _nested(200), "nested"),
    "absurdly nested": (lambda o: _nested(100_000), "nested"),
    "utf-16": (lambda o: "\n".join(o.splitlines()[:20]).encode("utf-16"), "UTF-8"),
    "latin-1": (
        lambda o: '{"id": "café", "perturbation": "clean", "raw_output": ""}'.encode("latin-1"),
        "not valid UTF-8",
    ),
    "other dataset build": (_other_fingerprint, "different dataset build"),
    "empty": (lambda o: b"", "empty"),
    "whitespace only": (lambda o: b" \n\n\t ", "empty"),
    "oversized": (lambda o: b" " * (2 * 2**20 + 1), "the limit is"),
}


@pytest.fixture
def small_cap_board(board_config, gold, oracle_file: Path) -> Board:
    # a 2 MB cap still fits the oracle file (so only the oversized case hits it)
    cap = max(2 * 2**20, oracle_file.stat().st_size + 1024)
    return create_board(replace(board_config, max_upload_bytes=cap, rate_limit_per_hour=0), gold=gold)


def _state(board: Board) -> tuple[int, int, int]:
    return board.store.count_runs(), board.store.count_sample_results(), len(board.store.paired_tests())


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_upload_is_refused_and_changes_nothing(
    case, small_cap_board: Board, oracle_file: Path, tmp_path: Path
):
    build, fragment = BAD_UPLOADS[case]
    content = build(oracle_file.read_text(encoding="utf-8"))
    if case == "oversized":
        content = b" " * (small_cap_board.config.max_upload_bytes + 1)
    path = tmp_path / "upload.jsonl"
    path.write_bytes(content)
    before = _state(small_cap_board)
    status, components, per_type, modes = submit_handler(
        small_cap_board, str(path), "m", "", "", "", None, None
    )
    assert status.startswith("Refused: ")
    assert fragment in status, status
    assert components.empty and modes.empty and per_type.empty
    assert _state(small_cap_board) == before
    # the board keeps working: the oracle still goes in afterwards
    ok, *_ = submit_handler(small_cap_board, str(oracle_file), "oracle", "", "", "", None, None)
    assert ok.startswith("Accepted"), ok


@pytest.mark.parametrize(
    "fields,fragment",
    [
        (("", None, None, None), "model name is required"),
        (("x" * 81, None, None, None), "limit is 80"),
        (("bad\u202ename", None, None, None), "control characters"),
        (("m", "not an id!", None, None), "HF id"),
        (("m", None, "abc", None), "size must be a number"),
        (("m", None, "-3", None), "positive"),
        (("m", None, "nan", None), "positive"),
        (("m", None, "inf", None), "positive"),
        (("m", None, None, "javascript:alert(1)"), "http(s) URL"),
        (("m", None, None, "https://exa mple.com"), "http(s) URL"),
    ],
)
def test_bad_metadata_is_refused(fields, fragment, board: Board, oracle_file: Path):
    with pytest.raises(SubmissionError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        clean_meta(*fields)
    status, *_ = submit_handler(board, str(oracle_file), *fields, None, None)
    assert status.startswith("Refused") and fragment in status
    assert board.store.count_runs("submission") == 0


def test_markup_in_names_is_kept_verbatim():
    meta = clean_meta("<script>alert(1)</script>", "org/model", "3", "https://example.com/a?b=<c>")
    assert meta.model == "<script>alert(1)</script>"


def test_oracle_scores_perfectly_and_resubmission_is_refused(board: Board, oracle_file: Path):
    status, components, per_type, modes = submit_handler(
        board, str(oracle_file), "oracle", "", "3", "", None, None
    )
    assert status.startswith("Accepted as submission #22"), status
    run = next(r for r in board.store.runs() if r.origin == "submission")
    assert (run.clean, run.pert_acc, run.d_obs, run.d_act, run.d_rew, run.d_trn) == (
        1.0,
        1.0,
        0.0,
        0.0,
        0.0,
        0.0,
    )
    assert board.store.count_sample_results() == board.gold.n_records
    assert components.iloc[0].tolist() == ["Clean", "1.000 ± 0.000", "199"]
    assert dict(zip(modes.iloc[:, 0], modes.iloc[:, 1]))["correct"] == str(board.gold.n_records)
    assert len(per_type) == 23
    again, *_ = submit_handler(board, str(oracle_file), "oracle again", "", "", "", None, None)
    assert again.startswith("Refused") and "already submitted" in again
    assert board.store.count_runs("submission") == 1


def test_rate_limit_per_client(board_config, gold, oracle_file: Path, tmp_path: Path):
    board = create_board(replace(board_config, rate_limit_per_hour=2), gold=gold)
    files = [corrupt_records(oracle_file, tmp_path / f"o{i}.jsonl", [i]) for i in range(3)]

    class Req:
        def __init__(self, host):
            self.client = type("C", (), {"host": host})()

    statuses = [submit_handler(board, str(f), "m", "", "", "", Req("10.0.0.1"), None)[0] for f in files]
    assert [s.split(" ")[0] for s in statuses] == ["Accepted", "Accepted", "Refused:"]
    assert "2 per hour" in statuses[2]
    other, *_ = submit_handler(board, str(files[2]), "m", "", "", "", Req("10.0.0.2"), None)
    assert other.startswith("Accepted")


def test_space_requires_login(board_config, gold, oracle_file: Path):
    board = create_board(replace(board_config, on_space=True), gold=gold)
    status, *_ = submit_handler(board, str(oracle_file), "m", "", "", "", None, None)
    assert status.startswith("Refused") and "sign in with Hugging Face" in status
    profile = {"preferred_username": "alice", "name": "Alice", "picture": "",
               "profile": "https://huggingface.co/alice"}  # fmt: skip
    import gradio as gr

    ok, *_ = submit_handler(board, str(oracle_file), "m", "", "", "", None, gr.OAuthProfile(profile))
    assert ok.startswith("Accepted")
    assert next(r for r in board.store.runs() if r.origin == "submission").submitter == "alice"


def test_stored_paired_test_equals_the_scorers(board: Board, oracle_file: Path, tmp_path: Path):
    worse = corrupt_records(oracle_file, tmp_path / "worse.jsonl", list(range(199, 199 + 120)))
    for path, name in ((oracle_file, "oracle"), (worse, "worse")):
        status, *_ = submit_handler(board, str(path), name, "", "", "", None, None)
        assert status.startswith("Accepted"), status
    (stored,) = board.store.paired_tests()
    report = score_predictions(
        board.gold.samples, read_predictions(worse), reference=read_predictions(oracle_file),
        n_boot=board.config.n_boot, seed=0,
    )  # fmt: skip
    scorer = next(t for t in report.paired if t.metric == "pert_acc")
    assert stored.p_value == scorer.p_value
    assert stored.diff == pytest.approx(-scorer.diff)
    assert stored.p_value < 0.05


def test_default_ten_thousand_draws(board_config, gold, oracle_file: Path, tmp_path: Path):
    board = create_board(replace(board_config, n_boot=10_000), gold=gold)
    assert board.config.n_boot == BoardConfig(dataset_dir=tmp_path).n_boot == 10_000
    worse = corrupt_records(oracle_file, tmp_path / "w.jsonl", list(range(0, 400, 3)))
    for path in (oracle_file, worse):
        status, *_ = submit_handler(board, str(path), path.stem, "", "", "", None, None)
        assert status.startswith("Accepted"), status
    run = next(r for r in board.store.runs() if r.model == "w")
    assert run.details["n_boot"] == 10_000
    assert 0 < run.clean_ci < 0.1 and run.clean < 1
    (paired,) = board.store.paired_tests()
    assert paired.p_value < 0.05
