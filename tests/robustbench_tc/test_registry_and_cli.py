from __future__ import annotations

import subprocess
import sys

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
