"""The Space checks the transition protocol (scoring.protocol) and refuses a file that skips the
injected fault or claims one after a pass 1 without a call; nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from space.app import Board, submit_handler


def _edit_first_transition(oracle: Path, out: Path, **changes: object) -> tuple[Path, str]:
    lines = oracle.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record.get("transition_injected"):
            record.update(changes)
            lines[i] = json.dumps(record, ensure_ascii=False)
            out.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return out, f"{record['id']}/{record['perturbation']}"
    raise AssertionError("the oracle has no transition record")


@pytest.mark.parametrize(
    "changes, fragment",
    [
        # the correct call sent as pass 1 with the fault skipped
        ({"transition_injected": False}, "transition_injected=false but pass 1 makes a tool call"),
        # a fault "injected" after a pass 1 that only mentions a call in prose
        (
            {"first_pass_output": "The call f(a=1) is what I would make, but I cannot."},
            "transition_injected=true but its first_pass_output makes no tool call",
        ),
    ],
)
def test_protocol_violations_are_refused_and_nothing_is_stored(
    changes, fragment, board: Board, oracle_file: Path, tmp_path: Path
):
    path, key = _edit_first_transition(oracle_file, tmp_path / "upload.jsonl", **changes)
    before = board.store.count_runs(), board.store.count_sample_results()
    status, components, per_type, modes = submit_handler(board, str(path), "m", "", "", "", None, None)
    assert status.startswith("Refused: ") and fragment in status and key in status, status
    assert components.empty and per_type.empty and modes.empty
    assert (board.store.count_runs(), board.store.count_sample_results()) == before


def test_accepted_run_shows_error_modes_and_ghost_rate(board: Board, oracle_file: Path):
    status, _components, per_type, modes = submit_handler(
        board, str(oracle_file), "m", "", "", "", None, None
    )
    assert status.startswith("Accepted"), status
    assert {"name_bias", "parameter_mismatch", "ghost tool"} <= set(per_type.columns)
    shown = dict(zip(modes.iloc[:, 0], modes.iloc[:, 1]))
    assert shown["ghost-tool calls (App. N (7))"].startswith("0.0% (0/")
