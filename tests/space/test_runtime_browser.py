"""The runtime columns (beyond the paper) through the real Space in Chromium: a submission with
trajectories is replayed on upload and fills the "Runtime (beyond the paper)" columns and plot; the
same file with one tool result changed is refused and adds no row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.space.test_browser import ARGS, CHROMIUM, _launch, _open, _submit, _wait_idle
from tests.space.test_runtime import forged
from tests.support.requires import unavailable

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(f"Chromium not found at {CHROMIUM} (scripts/install.sh --browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def runtime_file(built_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from robustbench_tc.scoring.oracle import write_oracle

    return write_oracle(
        built_dataset, tmp_path_factory.mktemp("rt") / "never_retry.jsonl", agent="never_retry"
    )


@pytest.fixture
def page_url(built_dataset: Path, gold: Any, tmp_path: Path) -> Iterator[str]:
    _, demo, url = _launch(built_dataset, gold, tmp_path / "board.sqlite")
    yield url
    demo.close()


def _cell(page: Any, row: str, col: str) -> str:
    return page.evaluate(
        """([row, col]) => {
            const index = Array.from(document.querySelectorAll('#leaderboard-table thead th'))
                .findIndex((th) => th.dataset.col === col);
            const tr = document.querySelector(`#leaderboard-table tr[data-row='${row}']`);
            return tr && index >= 0 ? tr.children[index].innerText : null; }""",
        [row, col],
    )


def test_runtime_submission_shows_the_runtime_columns_and_a_forged_one_is_refused(
    chromium: Any, page_url: str, runtime_file: Path, tmp_path: Path
) -> None:
    bad, sample_id = forged(runtime_file, tmp_path / "forged.jsonl")
    page = _open(chromium, page_url, 1600, 1200)
    try:
        status = _submit(page, bad, "forger")
        assert status.startswith("Refused") and "do not replay in the tool world" in status, status
        assert sample_id in status
        status = _submit(page, runtime_file, "never retries")
        assert status.startswith("Accepted as submission #22"), status
        page.get_by_role("tab", name="Leaderboard").click()
        page.wait_for_selector("#leaderboard-table tr[data-row='22']", timeout=60_000)
        assert page.locator("#leaderboard-table tr[data-row]").count() == 22  # the refused file added no row
        _wait_idle(page)
        assert page.locator("#leaderboard-table thead th[data-col='acc.episode_clean']").count() == 0
        page.locator("#filters").get_by_text("Filters and columns").click()
        for group in ("Runtime (beyond the paper)", "Runtime drops (Clean-Ep − Acc)"):
            page.locator("#column-picker").get_by_label(group).check()
        page.wait_for_selector("#leaderboard-table thead th[data-col='drop.silent_noop']", timeout=30_000)
        assert _cell(page, "22", "acc.episode_clean").startswith("1.000")
        assert _cell(page, "22", "acc.prerequisite_dependency").startswith("0.000")
        assert _cell(page, "22", "drop.prerequisite_dependency").startswith("+1.000")
        assert _cell(page, "22", "attack_success.tool_result_injection").startswith("0.000")
        assert _cell(page, "22", "recovery.prerequisite_dependency").startswith("0.000")
        paper_row = page.evaluate(
            "() => document.querySelector(`tbody[data-section='paper'] tr[data-row]`).dataset.row"
        )
        assert _cell(page, paper_row, "acc.episode_clean") == "—"  # the paper's rows have no runtime records
        page.get_by_role("tab", name="Plots").click()
        page.wait_for_selector("#runtime-plot .scatterlayer .point", timeout=60_000)
    finally:
        page.close()
