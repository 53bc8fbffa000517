"""The board in a real browser (Chromium via Playwright): seeded rows, an upload, inert hostile names."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from space.config import BoardConfig
from tests.space.helpers import N_BOOT_FAST, launch_board

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
XSS_IMG = '<img src=x onerror="window.__xss = 1; alert(1)">'
XSS_SCRIPT = "<script>window.__xss = 2; alert(2)</script>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def page_url(built_dataset: Path, gold, tmp_path: Path) -> Iterator[str]:
    config = BoardConfig(dataset_dir=built_dataset, db_path=tmp_path / "board.sqlite", n_boot=N_BOOT_FAST,
                         rate_limit_per_hour=0)  # fmt: skip
    _, demo, url = launch_board(config)
    yield url
    demo.close()


def _screenshot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    if out := os.environ.get("RBTC_SCREENSHOT_DIR"):
        Path(out).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(out) / name)


def _submit(page, upload: Path, name: str) -> str:
    page.get_by_role("tab", name="Submit").click()
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_label("Model name (required)").fill(name)
    page.get_by_role("button", name="Submit", exact=True).click()
    status = page.locator("#submit-status textarea")
    page.wait_for_function(
        "el => el.value.startsWith('Accepted') || el.value.startsWith('Refused')",
        arg=status.element_handle(), timeout=60_000,
    )  # fmt: skip
    return status.input_value()


def _table_text(page) -> str:
    page.get_by_role("tab", name="Leaderboard").click()
    return page.locator("#leaderboard-table").inner_text()


def test_board_in_chromium(page_url: str, oracle_file: Path, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    from leaderboard_seed import SEED_PATH
    from space.seed import load_seed

    seeded = [r.model for r in load_seed(SEED_PATH)[0]]
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_bytes(b"\x00\x01\x02 not a predictions file")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(page_url)
            page.wait_for_selector("#leaderboard-table tbody tr", timeout=60_000)
            rows = page.locator("#leaderboard-table tbody tr")
            assert rows.count() == 21
            text = _table_text(page)
            assert all(name in text for name in seeded)
            _screenshot(page, tmp_path, "board.png")

            status = _submit(page, oracle_file, XSS_IMG)
            assert status.startswith("Accepted as submission #22"), status
            status = _submit(page, hostile, XSS_SCRIPT)
            assert status.startswith("Refused") and "binary content" in status
            page.wait_for_function("() => document.querySelectorAll('#leaderboard-table tbody tr').length == 22")
            _screenshot(page, tmp_path, "submit.png")

            text = _table_text(page)
            first = rows.first.inner_text()
            assert XSS_IMG in first and "1.000 ± 0.000" in first  # the oracle tops the board, name literal
            assert XSS_SCRIPT not in text  # the refused upload added no row
            assert page.locator("#leaderboard-table img").count() == 0
            assert page.evaluate("() => window.__xss") is None
            assert dialogs == []
            _screenshot(page, tmp_path, "board_after.png")

            page.get_by_role("tab", name="Plots").click()
            page.wait_for_timeout(500)
            page.wait_for_selector("img[src^='data:image/png']", timeout=60_000)
            _screenshot(page, tmp_path, "plots.png")
        finally:
            browser.close()
