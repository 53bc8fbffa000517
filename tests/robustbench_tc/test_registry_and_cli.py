from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from robustbench_tc.registry import Registry


def test_registry_register_get_and_duplicates():
    reg: Registry[int] = Registry("thing")
    reg.register("alpha", 1)
    assert reg.get("alpha") == 1 and "alpha" in reg and reg.names() == ["alpha"]
    with pytest.raises(ValueError, match="already registered"):
        reg.register("alpha", 2)
    with pytest.raises(KeyError, match="did you mean 'alpha'"):
        reg.get("alpah")


def test_python_dash_m_and_console_script_agree():
    out = subprocess.run(
        [sys.executable, "-m", "robustbench_tc", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "robustbench-tc" in out
    for command in ("build", "score", "oracle", "run", "serve"):
        assert command in out, f"subcommand {command!r} missing from --help"


def test_subcommands_come_from_the_entry_point_table_not_from_the_core():
    from robustbench_tc import cli

    source = Path(cli.__file__).read_text(encoding="utf-8")
    for app in ("dataset_builder", "eval_harness", "space.cli", "train.cli"):
        assert f'"{app}' not in source, f"the core names the app {app!r}"
    names = [name for name, _ in cli.command_entries()]
    assert names[:5] == ["dataset_builder", "scoring", "eval_harness", "space", "train"]


def test_installed_plugin_entry_points_add_subcommands(monkeypatch):
    from importlib import metadata

    from robustbench_tc import cli

    plugin = metadata.EntryPoint("toy", "tests.robustbench_tc.toy_plugin:add_commands", cli.COMMAND_GROUP)
    monkeypatch.setattr(
        cli.metadata, "entry_points", lambda group: [plugin] if group == cli.COMMAND_GROUP else []
    )
    assert cli.main(["toy-hello"]) == 0
    assert cli.main(["toy-fail"]) == 2  # a RobustBenchError: one line, exit 2


def test_without_a_checkout_table_only_installed_entries_count(monkeypatch, tmp_path):
    from robustbench_tc import cli

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n')
    assert cli._checkout_entries(tmp_path / "pyproject.toml") == []
    assert cli._checkout_entries(tmp_path / "missing.toml") == []


def test_a_user_error_prints_one_line_and_exits_2(tmp_path, capsys):
    from robustbench_tc.cli import main

    assert main(["oracle", "--dataset", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("robustbench-tc oracle: error:") and "Traceback" not in err
