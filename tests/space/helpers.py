"""Helpers shared by the leaderboard tests."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

from space.app import Board, create_board, serve
from space.config import BoardConfig
from space.gold import GoldSet

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


def launch_board(config: BoardConfig, gold: GoldSet | None = None) -> tuple[Board, object, str]:
    board = create_board(config, gold=gold)
    port = free_port()
    demo = serve(board, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    return board, demo, f"http://127.0.0.1:{port}/"


class LocalHub:
    """A local stand-in of the HfApi calls the sync and the request queue make (create_repo,
    create_commit with ``parent_commit``, repo_info, list_repo_files, hf_hub_download), backed by a
    folder per repo: it receives the real ``CommitOperationAdd`` objects, and a commit made on a
    stale head is refused as the Hub refuses it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repos: dict[str, dict] = {}
        self.commits: list[tuple[str, list[str], str]] = []
        self.fail = False
        self.tokens: list[str | None] = []
        self.heads: dict[str, int] = {}
        self.lock = threading.Lock()
        """Commit count per repo: ``repo_info(...).sha``; a commit on another head is refused (412)."""

    def api(self, token=None) -> LocalHub:
        self.tokens.append(token)
        return self

    def _folder(self, repo_id: str) -> Path:
        return self.root / repo_id.replace("/", "__")

    def create_repo(self, repo_id, *, repo_type=None, private=None, exist_ok=False, **_):
        if self.fail:
            raise OSError("Hub unreachable")
        assert repo_type == "dataset"
        if repo_id in self.repos and not exist_ok:
            raise FileExistsError(repo_id)
        self.repos.setdefault(repo_id, {"private": private})
        self._folder(repo_id).mkdir(parents=True, exist_ok=True)

    def create_commit(self, repo_id, operations, *, commit_message, repo_type=None, parent_commit=None, **_):
        if self.fail:
            raise OSError("Hub unreachable")
        assert repo_type == "dataset" and repo_id in self.repos
        with self.lock:  # the Hub applies one commit at a time, each file replaced whole
            head = str(self.heads.get(repo_id, 0))
            if parent_commit is not None and parent_commit != head:
                raise RuntimeError(f"412 Precondition Failed: {parent_commit} is not the head ({head})")
            self.heads[repo_id] = self.heads.get(repo_id, 0) + 1
            paths = []
            for op in operations:
                target = self._folder(repo_id) / op.path_in_repo
                target.parent.mkdir(parents=True, exist_ok=True)
                staging = target.with_name(target.name + ".partial")
                staging.write_bytes(op.path_or_fileobj)
                staging.replace(target)
                paths.append(op.path_in_repo)
            self.commits.append((repo_id, paths, commit_message))

    def repo_info(self, repo_id, *, repo_type=None, **_):
        if self.fail:
            raise OSError("Hub unreachable")
        return SimpleNamespace(sha=str(self.heads.get(repo_id, 0)))

    def list_repo_files(self, repo_id, *, repo_type=None, **_):
        if self.fail:
            raise OSError("Hub unreachable")
        folder = self._folder(repo_id)
        return (
            sorted(
                str(p.relative_to(folder))
                for p in folder.rglob("*")
                if p.is_file() and p.suffix != ".partial"
            )
            if folder.is_dir()
            else []
        )

    def hf_hub_download(self, repo_id, filename, *, repo_type=None, **_):
        if self.fail:
            raise OSError("Hub unreachable")
        return str(self._folder(repo_id) / filename)


def write_subset(built: Path, out: Path, per_config: int = 1) -> Path:
    """A dataset folder with ``per_config`` rows of every config of ``built``: the ones with the
    shortest prompts (the board needs every config; a handful of short rows keeps a real model's
    run on CPU short). Rows keep the dataset's order."""
    from robustbench_tc.dataset import config_path
    from robustbench_tc.taxonomy import CONFIG_NAMES

    for config in CONFIG_NAMES:
        src, dst = config_path(built, config), config_path(out, config)
        dst.parent.mkdir(parents=True, exist_ok=True)
        lines = src.read_text(encoding="utf-8").splitlines()
        size = {i: len(line) for i, line in enumerate(lines)}
        keep = sorted(sorted(size, key=lambda i: (size[i], i))[:per_config])
        dst.write_text("\n".join(lines[i] for i in keep) + "\n", encoding="utf-8")
    return out
