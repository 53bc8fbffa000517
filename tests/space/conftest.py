"""Leaderboard fixtures: the oracle predictions, boards on fresh databases, a launched server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from space.app import Board, create_board
from space.config import BoardConfig
from space.gold import GoldSet
from tests.space.helpers import N_BOOT_FAST, launch_board


@pytest.fixture(scope="session")
def oracle_file(built_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from robustbench_tc.scoring.oracle import write_oracle
    from robustbench_tc.taxonomy import CONFIG_NAMES

    # the paper's configs: a submission need not hold the runtime configs (tests/space/test_runtime.py)
    return write_oracle(built_dataset, tmp_path_factory.mktemp("oracle") / "oracle.jsonl", CONFIG_NAMES)


@pytest.fixture(scope="session")
def gold(built_dataset: Path) -> GoldSet:
    return GoldSet.load(built_dataset)


@pytest.fixture
def board_config(built_dataset: Path, tmp_path: Path) -> BoardConfig:
    return BoardConfig(dataset_dir=built_dataset, db_path=tmp_path / "board.sqlite", n_boot=N_BOOT_FAST)


@pytest.fixture
def board(board_config: BoardConfig, gold: GoldSet) -> Board:
    return create_board(board_config, gold=gold)


@pytest.fixture(scope="module")
def server(built_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Board, str]]:
    """A real server on 127.0.0.1 (random free port), fresh database, no rate limit, a queue that
    holds 20 concurrent submissions and their follow-up events."""
    config = BoardConfig(
        dataset_dir=built_dataset,
        db_path=tmp_path_factory.mktemp("server") / "board.sqlite",
        n_boot=N_BOOT_FAST,
        rate_limit_per_hour=0,
        queue_size=64,
    )
    board, demo, url = launch_board(config)
    yield board, url
    demo.close()
