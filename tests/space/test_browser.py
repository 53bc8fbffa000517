"""The board in a real browser (Chromium via Playwright): seeded rows, an upload, inert hostile names."""

from __future__ import annotations

import json
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


def _attach(page, upload: Path, attempts: int = 3) -> None:
    """Put ``upload`` in the file box and wait until Gradio lists it as uploaded.

    Gradio renders the name as stem and extension in separate elements, and depending on layout
    the browser puts a line break between them, so the name is matched with whitespace removed.
    A file set on an input that Svelte replaces a moment later never uploads: that is retried.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("#predictions-upload")
    box.wait_for(state="visible", timeout=30_000)
    shown = "([el, name]) => el.innerText.replace(/\\s+/g, '').includes(name)"
    for attempt in range(attempts):
        clear = box.locator("button[aria-label='Clear']")
        if clear.count():  # the previous file is still shown: clear it first
            clear.first.click()
        field = box.locator("input[type=file]")
        field.wait_for(state="attached", timeout=30_000)
        field.set_input_files(str(upload))
        try:
            page.wait_for_function(shown, arg=[box.element_handle(), upload.name], timeout=20_000)
            return
        except PlaywrightTimeout as exc:
            if attempt == attempts - 1:
                raise AssertionError(
                    f"{upload.name} never showed as uploaded; the box reads: {box.inner_text()!r}"
                ) from exc


def _submit(page, upload: Path, name: str) -> str:
    page.get_by_role("tab", name="Submit").click()
    _attach(page, upload)
    page.get_by_label("Model name (required)").fill(name)
    status = page.locator("#submit-status textarea")
    before = status.input_value()
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_function(
        "([el, before]) => el.value !== before && (el.value.startsWith('Accepted') || el.value.startsWith('Refused'))",
        arg=[status.element_handle(), before], timeout=60_000,
    )  # fmt: skip
    return status.input_value()


_ROWS_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('#leaderboard-table [role=row]'))
    .filter(r => r.getAttribute('aria-rowindex') !== '1')
    .map(r => [r.getAttribute('aria-rowindex'),
                 ' | ' + Array.from(r.children).map(c => c.innerText.trim()).filter(t => t).join(' | ') + ' | ']))"""
_SCROLL_JS = """() => {
    for (const e of document.querySelectorAll('#leaderboard-table [role=grid], #leaderboard-table [role=grid] *')) {
    if (e.scrollHeight > e.clientHeight + 4) e.scrollTop += 200; } }"""


def _table_rows(page) -> list[str]:
    """Every data row's text; the Dataframe renders rows lazily, so scroll through it."""
    page.get_by_role("tab", name="Leaderboard").click()
    total = int(page.locator("#leaderboard-table [role=grid]").get_attribute("aria-rowcount")) - 1
    rows: dict[str, str] = {}
    for _ in range(50):
        rows |= page.evaluate(_ROWS_JS)
        if len(rows) >= total:
            break
        page.evaluate(_SCROLL_JS)
        page.wait_for_timeout(100)
    return [rows[k] for k in sorted(rows, key=int)]


def _row_count(page) -> int:
    return int(page.locator("#leaderboard-table [role=grid]").get_attribute("aria-rowcount")) - 1


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
            page.wait_for_selector("#leaderboard-table [role=row][aria-rowindex='2']", timeout=60_000)
            assert _row_count(page) == 21
            rows = _table_rows(page)
            assert len(rows) == 21
            assert [next(n for n in seeded if f" | {n} | " in r) for r in rows][:2] == [
                "Qwen3-14B",
                "MUA-RL-32B",
            ]
            assert {n for n in seeded for r in rows if f" | {n} | " in r} == set(seeded)
            page.evaluate("() => window.scrollTo(0, 0)")
            _screenshot(page, tmp_path, "board.png")

            status = _submit(page, oracle_file, XSS_IMG)
            assert status.startswith("Accepted as submission #22"), status
            status = _submit(page, hostile, XSS_SCRIPT)
            assert status.startswith("Refused") and "binary content" in status
            _screenshot(page, tmp_path, "submit.png")

            page.wait_for_function(
                "() => document.querySelector('#leaderboard-table [role=grid]').getAttribute('aria-rowcount') === '23'"
            )
            rows = _table_rows(page)
            assert len(rows) == 22 == _row_count(page)
            assert (
                XSS_IMG in rows[0] and "1.000 ± 0.000" in rows[0]
            )  # the oracle tops the board, name literal
            assert not any(XSS_SCRIPT in r for r in rows)  # the refused upload added no row
            assert page.locator("#leaderboard-table img").count() == 0
            assert page.evaluate("() => window.__xss") is None
            assert dialogs == []
            page.evaluate(_SCROLL_JS.replace("+= 200", "= 0"))
            page.evaluate("() => window.scrollTo(0, 0)")
            _screenshot(page, tmp_path, "board_after.png")

            page.get_by_role("tab", name="Plots").click()
            page.wait_for_timeout(500)
            page.wait_for_selector("img[src^='data:image/png']", timeout=60_000)
            _screenshot(page, tmp_path, "plots.png")
        finally:
            browser.close()


def _grid_text(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id}").inner_text()


def test_detail_downloads_and_head_to_head_in_chromium(page_url: str, oracle_file: Path, tmp_path: Path):
    """The done-when of issue 15: an oracle submission's detail view, its per-sample file, the board
    CSV, and a head-to-head against another submission, in real Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.space.helpers import corrupt_records

    shots = tmp_path / "shots"
    shots.mkdir()
    broken = corrupt_records(oracle_file, tmp_path / "broken.jsonl", list(range(0, 4000, 40)))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200}, accept_downloads=True)
            page.goto(page_url)
            page.wait_for_selector("#leaderboard-table [role=row][aria-rowindex='2']", timeout=60_000)
            header = page.locator("body").inner_text()
            assert "Rows are comparable only within one data version" in header
            assert "paper release (3,721 rows, LLM-generated)" in header

            # before any upload the Submit tab shows no placeholder tables ("1 2 3" headers)
            page.get_by_role("tab", name="Submit").click()
            page.wait_for_selector("#predictions-upload", timeout=30_000)
            for elem in ("submit-components", "submit-modes", "submit-per-type"):
                assert not page.locator(f"#{elem}").is_visible(), elem
            _screenshot(page, shots, "submit_empty.png")

            status = _submit(page, oracle_file, "oracle")
            assert status.startswith("Accepted as submission #22"), status
            page.wait_for_selector("#submit-components", state="visible", timeout=30_000)

            # the detail view of the oracle submission
            page.get_by_role("tab", name="Submission detail").click()
            page.wait_for_function(
                "() => document.querySelector('#detail-title textarea').value.startsWith('#22 oracle')",
                timeout=60_000,
            )
            page.wait_for_function("() => document.querySelector('#detail-types').innerText.includes('Typo')")
            types = _grid_text(page, "detail-types")
            assert "1.000 ± 0.000" in types and "omitted" in types
            summary = _grid_text(page, "detail-summary")
            assert "Data fingerprint" in summary and "oracle" in summary
            _screenshot(page, shots, "detail.png")

            # its per-sample verdicts
            page.locator("#per-sample-button").click()
            link = page.locator("#per-sample-file a").first
            link.wait_for(state="visible", timeout=60_000)
            with page.expect_download() as info:
                link.click()
            per_sample = tmp_path / "per-sample.jsonl"
            info.value.save_as(per_sample)
            records = [json.loads(line) for line in per_sample.read_text(encoding="utf-8").splitlines()]
            assert len(records) > 4000 and all(r["correct"] == 1.0 for r in records)
            assert set(records[0]) == {"id", "perturbation", "correct", "error_mode", "calls"}

            # a second submission, compared head to head with the oracle
            status = _submit(page, broken, "broken run")
            assert status.startswith("Accepted as submission #23"), status
            page.get_by_role("tab", name="Submission detail").click()
            page.wait_for_function(
                "() => document.querySelector('#detail-title textarea').value.startsWith('#23 broken run')",
                timeout=60_000,
            )
            page.locator("#compare-button").click()
            page.wait_for_function(
                "() => document.querySelector('#compare-note textarea').value.startsWith('A = #23')",
                timeout=60_000,
            )
            page.wait_for_function(
                "() => document.querySelector('#compare-table').innerText.includes('Pert. Acc.')"
            )
            compare = _grid_text(page, "compare-table")
            assert "Acc Typo" in compare and "p (paired bootstrap)" in compare
            assert "B = #22 oracle" in page.locator("#compare-note textarea").input_value()
            _screenshot(page, shots, "compare.png")

            # the board as CSV, with the data version column and the hidden columns
            page.get_by_role("tab", name="Leaderboard").click()
            page.locator("#download-csv").click()
            link = page.locator("#board-download a").first
            link.wait_for(state="visible", timeout=60_000)
            with page.expect_download() as info:
                link.click()
            board_csv = tmp_path / "board.csv"
            info.value.save_as(board_csv)
            import pandas as pd

            frame = pd.read_csv(board_csv, dtype=str, keep_default_na=False)
            assert len(frame) == 23 and {"Data", "data_fingerprint", "scorer_version"} <= set(frame.columns)
            assert frame["Model"].tolist()[:2] == ["oracle", "broken run"]
            page.evaluate("() => window.scrollTo(0, 0)")
            _screenshot(page, shots, "board_versions.png")
            assert "build " in _grid_text(page, "leaderboard-table")
        finally:
            browser.close()
    assert sorted(p.name for p in shots.iterdir()) == ["board_versions.png", "compare.png", "detail.png",
                                                      "submit_empty.png"]  # fmt: skip


def test_stated_upload_limit_is_the_one_the_browser_enforces(built_dataset: Path, tmp_path: Path):
    """The Submit tab's limit and Gradio's pop-up for a bigger file name the same size."""
    import re

    from playwright.sync_api import sync_playwright

    cap = 2 * 2**20
    config = BoardConfig(dataset_dir=built_dataset, db_path=tmp_path / "board.sqlite", n_boot=N_BOOT_FAST,
                         max_upload_bytes=cap)  # fmt: skip
    _, demo, url = launch_board(config)
    over = tmp_path / "over.jsonl"
    over.write_bytes(b" " * (cap + 1))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1200})
                page.goto(url)
                page.get_by_role("tab", name="Submit").click()
                stated = page.get_by_text("Limits: files up to").inner_text()
                field = page.locator("#predictions-upload input[type=file]")
                field.wait_for(state="attached", timeout=30_000)
                field.set_input_files(str(over))
                popup = page.get_by_text("exceed the maximum allowed size")
                popup.first.wait_for(timeout=30_000)
                shown = popup.first.inner_text()
                _screenshot(page, tmp_path, "upload_limit.png")
            finally:
                browser.close()
    finally:
        demo.close()
    stated_match = re.search(r"files up to ([\d.]+) MB", stated)
    popup_match = re.search(r"allowed size of ([\d.]+) MB", shown, re.IGNORECASE)  # Gradio writes "Mb"
    assert stated_match and popup_match, (stated, shown)
    assert float(stated_match.group(1)) == float(popup_match.group(1)) == cap / 2**20, (stated, shown)
