"""``fetch-sources`` against a local server laid out like raw.githubusercontent.com (offline)."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dataset_builder.fetch import FetchError, fetch_sources
from dataset_builder.pins import PINS, sha256_file

REPO = Path(__file__).resolve().parents[2]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


def _mirror(sources_dir: Path, root: Path) -> Path:
    """``<owner>/<repo>/<commit>/<path>`` links to the pinned files, like the raw-file host."""
    for pin in PINS.values():
        target = root / pin.repo / pin.commit / pin.upstream_path
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(sources_dir / pin.path)
    return root


@pytest.fixture
def raw_server(sources_dir, tmp_path) -> Iterator[tuple[str, Path]]:
    root = _mirror(sources_dir, tmp_path / "mirror")
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_fetch_downloads_verifies_and_resumes(raw_server, tmp_path):
    url, _ = raw_server
    out = tmp_path / "sources"
    first = fetch_sources(out, base_url=url, progress=False, timeout=10)
    assert sorted(first.downloaded) == sorted(PINS) and first.skipped == ()
    for pin in PINS.values():
        assert sha256_file(out / pin.path) == pin.sha256
    damaged = "rotbench/Data/First_Turn/clean.json"
    (out / damaged).write_bytes(b"[]")
    again = fetch_sources(out, base_url=url, progress=False, timeout=10)
    assert again.downloaded == (damaged,) and len(again.skipped) == len(PINS) - 1
    assert sha256_file(out / damaged) == PINS[damaged].sha256
    assert not list(out.rglob("*.part"))


def test_a_file_that_differs_from_its_pin_is_not_kept(raw_server, tmp_path):
    url, root = raw_server
    pin = PINS["toolalpaca/data/eval_real.json"]
    served = root / pin.repo / pin.commit / pin.upstream_path
    served.unlink()
    served.write_bytes(b"{}")
    out = tmp_path / "sources"
    with pytest.raises(FetchError, match="expected " + pin.sha256):
        fetch_sources(out, base_url=url, paths=[pin.path], progress=False, timeout=10)
    assert not (out / pin.path).exists() and not list(out.rglob("*.part"))


def test_fetch_cli_reports_an_unreachable_server(raw_server, tmp_path):
    url, _ = raw_server
    out = tmp_path / "sources"
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "robustbench_tc",
            "fetch-sources",
            "--out",
            str(out),
            "--base-url",
            url,
            "--quiet",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert ok.returncode == 0, ok.stderr
    assert f"downloaded {len(PINS)}, already present 0" in ok.stdout
    (out / "bfcl/LICENSE").unlink()
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "robustbench_tc",
            "fetch-sources",
            "--out",
            str(out),
            "--base-url",
            url + "/nowhere",
            "--quiet",
            "--timeout",
            "5",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "could not download bfcl/LICENSE" in bad.stderr
