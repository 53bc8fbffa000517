"""A missing browser, engine or model skips a test locally and fails it under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.requires import require_path, unavailable


@pytest.mark.parametrize(
    "ci,outcome",
    [("true", pytest.fail.Exception), ("1", pytest.fail.Exception), ("", pytest.skip.Exception),
     ("false", pytest.skip.Exception)],
)  # fmt: skip
def test_unavailable_fails_only_in_ci(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="Chromium not found"):
        unavailable("Chromium not found at /usr/bin/chromium")
    with pytest.raises(outcome, match="no-such-dir"):
        require_path(Path("/no-such-dir"), "shared data")
    assert require_path(Path(__file__), "this file") == Path(__file__)


def test_ci_script_exports_ci_true():
    script = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "export CI=true" in script
