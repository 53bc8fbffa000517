"""Helpers shared by the leaderboard tests."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from space.app import Board, create_board, serve
from space.config import BoardConfig

N_BOOT_FAST = 200
"""Bootstrap draws in tests that submit many files (the default 10,000 is covered separately)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corrupt_records(
    oracle: Path, out: Path, indices: list[int], raw_output: str = "no tool call here"
) -> Path:
    """The oracle file with the records at ``indices`` (0-based, header skipped) answered wrongly."""
    lines = oracle.read_text(encoding="utf-8").splitlines()
    offset = 1 if lines and lines[0].startswith('{"header"') else 0
    for index in indices:
        record = json.loads(lines[offset + index])
        record["raw_output"] = raw_output
        lines[offset + index] = json.dumps(record, ensure_ascii=False)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def launch_board(config: BoardConfig) -> tuple[Board, object, str]:
    board = create_board(config)
    port = free_port()
    demo = serve(board, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    return board, demo, f"http://127.0.0.1:{port}/"
