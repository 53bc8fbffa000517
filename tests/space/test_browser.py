"""The board as a person sees it, in real Chromium (Playwright): the first screen at 1366×768,
1920×1080 and 390×844 (screenshots written to ``RBTC_SCREENSHOT_DIR`` when set, and bounding boxes
asserted), sorting, filters, the detail view and its link, one-click downloads, plot hover, an
upload, inert hostile names and the stated upload limit.

Chromium missing: skipped locally, a failure under ``CI=true`` (``tests/support/requires.py``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from space.app import Board, submit_handler
from space.config import BoardConfig
from tests.space.helpers import N_BOOT_FAST, corrupt_records, launch_board
from tests.support.requires import unavailable

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
XSS_IMG = '<img src=x onerror="window.__xss = 1; alert(1)">'
XSS_SCRIPT = "<script>window.__xss = 2; alert(2)</script>"
HEADLINE = ("Rank", "Model", "Clean", "Pert. Acc.", "Δ Obs", "Δ Act", "Δ Rew", "Δ Trn")
LOCAL = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"))

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


def _launch(built_dataset: Path, gold: Any, db: Path, **overrides: Any) -> tuple[Board, Any, str]:
    config = BoardConfig(dataset_dir=built_dataset, db_path=db, n_boot=N_BOOT_FAST, rate_limit_per_hour=0,
                         **overrides)  # fmt: skip
    return launch_board(config, gold)


@pytest.fixture(scope="module")
def shared_board(
    built_dataset: Path, gold, oracle_file: Path, tmp_path_factory
) -> Iterator[tuple[Board, str]]:
    """A server with the 21 paper rows and two submissions: the oracle file and an imperfect run."""
    tmp = tmp_path_factory.mktemp("browser")
    board, demo, url = _launch(built_dataset, gold, tmp / "board.sqlite")
    broken = corrupt_records(oracle_file, tmp / "broken.jsonl", list(range(0, 4000, 9)))
    for path, name, size in ((oracle_file, "oracle", "3"), (broken, "imperfect run", "")):
        status, *_ = submit_handler(board, str(path), name, "", size, "", LOCAL, None)
        assert status.startswith("Accepted"), status
    yield board, url
    demo.close()


@pytest.fixture
def page_url(built_dataset: Path, gold, tmp_path: Path) -> Iterator[str]:
    _, demo, url = _launch(built_dataset, gold, tmp_path / "board.sqlite")
    yield url
    demo.close()


def _screenshot(page, folder: Path, name: str, *, full_page: bool = False) -> Path:
    path = folder / name
    page.screenshot(path=str(path), full_page=full_page)
    if out := os.environ.get("RBTC_SCREENSHOT_DIR"):
        Path(out).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(out) / name)
    return path


def _open(chromium, url: str, width: int = 1366, height: int = 768, **kwargs: Any):
    page = chromium.new_page(viewport={"width": width, "height": height}, **kwargs)
    page.goto(url)
    page.wait_for_selector("#leaderboard-table tr[data-row]", timeout=60_000)
    return page


def _wait_idle(page) -> None:
    """Until no Gradio component shows its loading overlay (the load events have finished)."""
    page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=60_000)


def _header_box(page, label: str) -> dict:
    cell = page.locator("#leaderboard-table thead th", has_text=label).first
    box = cell.bounding_box()
    assert box is not None, label
    return box


def _inside(box: dict, width: int, height: int) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] + box["height"] <= height
    )


def _rows(page) -> list[dict]:
    """Every data row: its section, run id and the sort values of its cells."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('#leaderboard-table tbody')).flatMap(
        (body) => Array.from(body.querySelectorAll('tr[data-row]')).map((r) => ({
            section: body.dataset.section, row: r.dataset.row, text: r.innerText,
            values: Array.from(r.children).map((c) => c.dataset.v)})))""")


def _column(page, label: str) -> int:
    return page.evaluate(
        """(label) => Array.from(document.querySelectorAll('#leaderboard-table thead th'))
            .findIndex((th) => th.innerText.trim().startsWith(label))""",
        label,
    )


# -- the first screen at three sizes ------------------------------------------------------------
@pytest.mark.parametrize(
    "width,height,headers",
    [(1366, 768, HEADLINE), (1920, 1080, HEADLINE), (390, 844, ("Rank", "Model", "Pert. Acc."))],
)
def test_first_screen_shows_the_table(chromium, shared_board, tmp_path: Path, width, height, headers):
    board, url = shared_board
    page = _open(chromium, url, width, height)
    try:
        page.wait_for_selector("#leaderboard-table tr[data-row='22']", timeout=60_000)
        _wait_idle(page)
        _screenshot(page, tmp_path, f"board-{width}x{height}.png")
        for label in headers:
            box = _header_box(page, label)
            assert _inside(box, width, height), (label, box)
            assert box["height"] < 40, (label, box)  # one line
        first_rows = page.locator("#leaderboard-table tr[data-row]")
        for i in range(3):
            assert _inside(first_rows.nth(i).bounding_box(), width, height), i
        header = page.locator("#rbtc-header .rbtc-header").bounding_box()
        assert header["height"] < (90 if width < 600 else 30)  # one line on a desktop
        overflow = page.evaluate("""() => [document.documentElement.scrollWidth, window.innerWidth,
            document.querySelector('#leaderboard-table .rbtc-scroll').scrollWidth,
            document.querySelector('#leaderboard-table .rbtc-scroll').clientWidth]""")
        assert overflow[0] <= overflow[1], overflow  # the page never scrolls sideways
        if width < 600:
            assert overflow[2] <= overflow[3] + 1, overflow  # nor does the phone's table
            assert page.locator("#leaderboard-table thead th", has_text="Clean").first.is_hidden()
        else:
            assert page.locator("#leaderboard-table thead th", has_text="Data").count() == 0  # a heading now
            assert "This board's build" in page.locator("#leaderboard-table").inner_text()
    finally:
        page.close()


def test_model_stays_pinned_and_columns_come_from_the_picker(chromium, shared_board, tmp_path: Path):
    _, url = shared_board
    page = _open(chromium, url)
    try:
        _wait_idle(page)
        assert page.locator("#leaderboard-table thead th", has_text="Size (B)").count() == 0
        page.locator("#filters").get_by_text("Filters and columns").click()
        for group in ("Model details", "Per type: Observation", "Per type: Action"):
            page.locator("#column-picker").get_by_label(group).check()
        page.wait_for_selector("#leaderboard-table thead th[data-col='acc.same_name_A']", timeout=30_000)
        _wait_idle(page)  # the last re-render is in: a later one would reset the scroll measured below
        page.evaluate("() => window.scrollTo(0, document.querySelector('#leaderboard-table').offsetTop)")
        before = _header_box(page, "Model")
        scrolled = page.evaluate("""() => { const s = document.querySelector('#leaderboard-table .rbtc-scroll');
            s.scrollLeft = 700; return [s.scrollLeft, s.scrollWidth > s.clientWidth]; }""")
        assert scrolled[0] > 0 and scrolled[1]
        after = _header_box(page, "Model")
        assert abs(after["x"] - before["x"]) < 1  # pinned
        row = page.locator("#leaderboard-table td.model").first.bounding_box()
        assert abs(row["x"] - before["x"]) < 1
        rank = page.locator("#leaderboard-table td.rank").first.bounding_box()
        assert abs(rank["x"] + rank["width"] - row["x"]) < 1  # no gap for scrolled cells to show through
        _screenshot(page, tmp_path, "board-1366x768-scrolled.png")
        still = page.evaluate("() => document.querySelector('#leaderboard-table .rbtc-scroll').scrollLeft")
        assert still == scrolled[0]  # the screenshot shows the scrolled table
    finally:
        page.close()


# -- sorting, filters ---------------------------------------------------------------------------
def test_header_click_sorts_numerically_within_each_group(chromium, shared_board):
    _, url = shared_board
    page = _open(chromium, url)
    try:
        _wait_idle(page)
        before = _rows(page)
        sections = {r["row"]: r["section"] for r in before}
        for label, first_dir in (("Δ Act", 1), ("Clean", -1)):
            index = _column(page, label)
            page.locator("#leaderboard-table thead th", has_text=label).first.click()
            for direction in (first_dir, -first_dir):
                rows = _rows(page)
                assert {r["row"]: r["section"] for r in rows} == sections  # groups never mix
                for section in ("served", "paper"):
                    values = [float(r["values"][index]) for r in rows if r["section"] == section]
                    assert values == sorted(values, reverse=direction < 0), (label, section, values)
                if direction == first_dir:
                    page.locator("#leaderboard-table thead th", has_text=label).first.click()
        caption = page.locator("#leaderboard-table [data-sorted]").inner_text()
        assert caption.startswith("Sorted by Clean") and "Rank stays by Pert. Acc." in caption
        paper = [r for r in _rows(page) if r["section"] == "paper"]
        index = _column(page, "Δ Act")
        page.locator("#leaderboard-table thead th", has_text="Δ Act").first.click()
        paper = [r for r in _rows(page) if r["section"] == "paper"]
        assert paper[0]["values"][index] == "-0.01"  # MUA-RL-32B's −0.010 first: numbers, not text
    finally:
        page.close()


def test_long_sections_show_their_first_rows_by_the_current_sort_and_show_all(
    chromium, built_dataset: Path, gold, tmp_path: Path
):
    """With ``page_rows=3`` the paper's 21 rows show 3 at a time (a 1,000-row board shows 100): a
    sort shows the first 3 by the new order, and "Show all" lays out the rest."""
    _, demo, url = _launch(built_dataset, gold, tmp_path / "board.sqlite", page_rows=3)
    page = _open(chromium, url)
    visible = """() => Array.from(document.querySelectorAll('#leaderboard-table tr[data-row]'))
        .filter((r) => r.offsetParent !== null).map((r) => r.children[1].innerText.trim())"""
    try:
        _wait_idle(page)
        assert page.evaluate(visible) == ["Qwen3-14B", "MUA-RL-32B", "Qwen3-32B"]
        assert len(_rows(page)) == 21  # all in the page, 18 not laid out
        page.locator("#leaderboard-table thead th", has_text="Δ Act").first.click()
        shown = page.evaluate(visible)
        assert len(shown) == 3 and shown[0] == "MUA-RL-32B"  # its −0.010 is the smallest Δ Act
        button = page.get_by_role("button", name="Show all 21 rows of this group (18 more)")
        button.click()
        assert len(page.evaluate(visible)) == 21 and not button.is_visible()
    finally:
        page.close()
        demo.close()


def test_filters_apply_on_change_and_an_empty_view_says_so(chromium, shared_board, tmp_path: Path):
    _, url = shared_board
    page = _open(chromium, url)
    try:
        _wait_idle(page)
        assert "MUA-RL-32B" in page.locator("#leaderboard-table").inner_text()
        page.locator("#filters").get_by_text("Filters and columns").click()
        field = page.locator("#max-size input")
        field.fill("14")
        field.blur()  # no Enter: the filter applies on change
        page.wait_for_function(
            "() => !document.querySelector('#leaderboard-table').innerText.includes('MUA-RL-32B')",
            timeout=30_000,
        )
        text = page.locator("#leaderboard-table").inner_text()
        assert "Qwen3-14B" in text and "LoopTool-32B" not in text
        page.locator("#search input, #search textarea").first.fill("no model has this name")
        page.wait_for_selector("#leaderboard-table .rbtc-empty", timeout=30_000)
        assert "No rows match" in page.locator("#leaderboard-table").inner_text()
        assert page.locator("#leaderboard-table thead").count() == 0  # no squashed empty headers
        _screenshot(page, tmp_path, "board-no-match.png")
    finally:
        page.close()


# -- detail view ------------------------------------------------------------------------------
def test_detail_follows_the_store_and_opens_from_its_link(chromium, shared_board, oracle_file: Path,
                                                          tmp_path: Path):  # fmt: skip
    board, url = shared_board
    page = _open(chromium, url, accept_downloads=True)
    try:
        _wait_idle(page)
        page.get_by_role("tab", name="Detail").click()
        view = page.locator("#detail-view")
        assert view.locator("table").count() == 0 and "Choose a row" in view.inner_text()  # no placeholders
        # a submission made elsewhere (another browser) after this page loaded
        late = corrupt_records(oracle_file, tmp_path / "late.jsonl", [3, 5, 7])
        status, *_ = submit_handler(board, str(late), "late arrival", "", "", "", LOCAL, None)
        run_id = int(status.split("#")[1].split()[0])
        page.locator("#detail-refresh").click()
        page.locator("#detail-run input").click()
        page.get_by_role("option", name=f"#{run_id} late arrival").wait_for(timeout=30_000)
        page.keyboard.press("Escape")

        link = chromium.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        link.goto(f"{url}?row={run_id}")
        link.wait_for_function(
            f"() => (document.querySelector('#detail-heading') || {{}}).innerText?.startsWith('#{run_id} late arrival')",
            timeout=60_000,
        )
        assert link.get_by_role("tab", name="Detail").get_attribute("aria-selected") == "true"
        _wait_idle(link)
        _screenshot(link, tmp_path, "detail-1366x768.png", full_page=True)
        cut = link.evaluate("""() => Array.from(document.querySelectorAll('#detail-view td, #detail-view th'))
            .filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.innerText)""")
        assert cut == []  # no value is cut off
        heads = link.locator("#detail-view th", has_text="param. mismatch").first.bounding_box()
        assert heads["height"] < 40 and heads["width"] > 60  # readable, not a letter per line
        assert (
            "Appendix L" in link.locator("body").inner_text()
            and "Ghost-tool calls" in link.locator("body").inner_text()
        )
        shared = link.locator("#detail-view .share a").inner_text()
        assert shared.endswith(f"?row={run_id}")
        with link.expect_download() as info:  # one click
            link.locator("#per-sample-button").click()
        records = [json.loads(x) for x in Path(info.value.path()).read_text(encoding="utf-8").splitlines()]
        assert len(records) == board.gold.n_records and sum(r["correct"] == 0.0 for r in records) == 3
        link.close()
    finally:
        page.close()


def test_board_downloads_are_one_click_with_every_type(chromium, shared_board, tmp_path: Path):
    import pandas as pd

    _, url = shared_board
    page = _open(chromium, url, accept_downloads=True)
    try:
        _wait_idle(page)
        frame = pd.read_csv(_download(page, "#download-csv"), dtype=str, keep_default_na=False)
        assert {
            "acc.realistic_typos",
            "acc.realistic_typos_ci",
            "drop.realistic_typos",
            "Rank",
            "Status",
        } <= set(frame.columns)
        assert frame["Model"].tolist()[0] == "oracle" and "imperfect run" in frame["Model"].tolist()
        assert len(pd.read_parquet(_download(page, "#download-parquet"))) == len(frame)
    finally:
        page.close()


def _download(page, selector: str, attempts: int = 6) -> str:
    """Click a download button; its file is prepared right after the table renders, so a click in
    the first moment after load may find none yet: click again (each click is one download)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        try:
            with page.expect_download(timeout=5_000) as info:
                page.locator(selector).click()
            return info.value.path()
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
    raise AssertionError(selector)


# -- plots ------------------------------------------------------------------------------------
def test_plots_hover_shows_model_and_value(chromium, shared_board, tmp_path: Path):
    _, url = shared_board
    page = _open(chromium, url)
    try:
        page.get_by_role("tab", name="Plots").click()
        page.wait_for_selector("#retention-plot .scatterlayer .point", timeout=60_000)
        _wait_idle(page)
        _screenshot(page, tmp_path, "plots-1366x768.png", full_page=True)
        legend = page.locator("#retention-plot .legend").first.text_content() or ""
        assert "Submission (self-reported)" in legend and "ToolRL-DR" in legend
        hovered = ""
        for point in page.locator("#retention-plot .scatterlayer .point").all()[:6]:
            point.hover(force=True)
            page.wait_for_timeout(300)
            hovered = page.locator("#retention-plot .hoverlayer").first.text_content() or ""
            if "retention" in hovered:
                break
        assert "retention" in hovered and "size" in hovered, hovered
        notes = page.locator("body").inner_text()
        assert "Not on this plot (no declared size)" in notes and "imperfect run" in notes
        page.locator("#heatmap-plot .heatmaplayer").first.wait_for(timeout=30_000)
    finally:
        page.close()


# -- an upload and hostile names ----------------------------------------------------------------
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


def test_upload_and_hostile_names_in_chromium(chromium, page_url: str, oracle_file: Path, tmp_path: Path):
    from leaderboard_seed import SEED_PATH
    from space.seed import load_seed

    seeded = {r.model for r in load_seed(SEED_PATH)[0]}
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_bytes(b"\x00\x01\x02 not a predictions file")
    page = _open(chromium, page_url, 1600, 1200)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        rows = _rows(page)
        assert len(rows) == 21 and {r["section"] for r in rows} == {"paper"}
        assert {m for m in seeded for r in rows if m in r["text"]} == seeded
        assert [r["text"].split("\t")[1].strip() for r in rows[:2]] == ["Qwen3-14B", "MUA-RL-32B"]
        for elem in ("submit-components", "submit-modes", "submit-per-type"):
            assert not page.locator(f"#{elem}").is_visible(), elem  # no placeholder tables

        status = _submit(page, oracle_file, XSS_IMG)
        assert status.startswith("Accepted as submission #22"), status
        status = _submit(page, hostile, XSS_SCRIPT)
        assert status.startswith("Refused") and "binary content" in status
        page.get_by_role("tab", name="Leaderboard").click()
        page.wait_for_selector("#leaderboard-table tr[data-row='22']", timeout=60_000)
        rows = _rows(page)
        assert len(rows) == 22 and rows[0]["row"] == "22" and rows[0]["section"] == "served"
        assert XSS_IMG in rows[0]["text"] and "1.000" in rows[0]["text"]  # the name is literal text
        assert "matches gold on every record" in rows[0]["text"] and "self-reported" in rows[0]["text"]
        assert not any(XSS_SCRIPT in r["text"] for r in rows)  # the refused upload added no row
        assert page.locator("#leaderboard-table img").count() == 0
        page.get_by_role("tab", name="Plots").click()
        page.wait_for_selector("#retention-plot .scatterlayer .point", timeout=60_000)
        page.get_by_role("tab", name="Detail").click()
        page.wait_for_function(
            "() => (document.querySelector('#detail-heading') || {}).innerText?.startsWith('#22 ')",
            timeout=60_000,
        )
        assert page.evaluate("() => window.__xss") is None
        assert dialogs == []
        _screenshot(page, tmp_path, "after-upload.png")
    finally:
        page.close()


def test_head_to_head_in_chromium(chromium, shared_board):
    _, url = shared_board
    page = _open(chromium, url)
    try:
        page.goto(f"{url}?row=23")
        page.wait_for_function(
            "() => (document.querySelector('#detail-heading') || {}).innerText?.startsWith('#23 imperfect run')",
            timeout=60_000,
        )
        _wait_idle(page)
        page.locator("#compare-button").click()
        page.wait_for_function(
            "() => document.querySelector('#compare-table').innerText.includes('Pert. Acc.')", timeout=60_000
        )
        compare = page.locator("#compare-table").inner_text()
        assert "Acc Typo" in compare and "p (paired bootstrap)" in compare
        assert "B = #22 oracle" in page.locator("#compare-note").inner_text()
    finally:
        page.close()


def test_evaluation_queue_end_to_end_with_smollm2(chromium, built_dataset: Path, tmp_path: Path):
    """Request -> worker -> verified row in the browser, with the real SmolLM2-135M-Instruct through
    the real harness (transformers on CPU) on the shortest row of every config."""
    import subprocess
    import sys
    import time

    from robustbench_tc.testing.smollm2 import SmolLM2Unavailable, smollm2_gguf
    from tests.space.helpers import write_subset

    try:
        gguf = smollm2_gguf()
    except SmolLM2Unavailable as exc:
        unavailable(str(exc))
    model_id = "HuggingFaceTB/SmolLM2-135M-Instruct"
    subset = write_subset(built_dataset, tmp_path / "subset")
    board, demo, url = _launch(subset, None, tmp_path / "board.sqlite")
    page = _open(chromium, url)
    try:
        start = time.monotonic()
        page.get_by_role("tab", name="Request evaluation").click()
        page.locator("#request-model input, #request-model textarea").first.fill(model_id)
        page.locator("#request-button").click()
        status = page.locator("#request-status textarea, #request-status input").first
        page.wait_for_function("(el) => el.value.startsWith('Filed as request #1')", arg=status.element_handle(),
                               timeout=60_000)  # fmt: skip
        page.wait_for_function(
            "() => document.querySelector('#request-queue').innerText.includes('pending')", timeout=30_000
        )
        worker_start = time.monotonic()
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
        done = subprocess.run(
            [sys.executable, "-m", "robustbench_tc", "board", "worker", "--db", str(board.config.db_path),
             "--dataset", str(subset), "--backend", "transformers", "--local-model", f"{model_id}={gguf}",
             "--max-tokens", "16", "--once", "--n-boot", "200", "--work-dir", str(tmp_path / "work")],
            capture_output=True, text=True, timeout=900, env=env,
        )  # fmt: skip
        worker_s = time.monotonic() - worker_start
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        assert "1 verified, 0 failed" in done.stdout
        page.reload()
        page.wait_for_selector("#leaderboard-table tr[data-row] .badge.verified", timeout=60_000)
        _wait_idle(page)
        page.locator("#verified-only input").check()
        page.wait_for_function(
            "() => document.querySelectorAll('#leaderboard-table tr[data-row]').length === 1", timeout=30_000
        )
        (row,) = _rows(page)
        assert model_id in row["text"] and "✓ verified" in row["text"] and row["section"] == "served"
        total_s = time.monotonic() - start
        _screenshot(page, tmp_path, "queue-verified-row.png")
        (request,) = board.queue.list()
        assert (request.status, request.run_id) == ("finished", int(row["row"]))
        run = board.store.get_run(request.run_id)
        verified = run.metadata["verified"]
        assert verified["engine"] == "transformers" and verified["requested_revision"] == "main"
        assert verified["revision"].startswith("local-sha256:") and verified["sampling"]["max_tokens"] == 16
        page.goto(f"{url}?row={request.run_id}")
        page.wait_for_function(
            "() => (document.querySelector('#detail-view') || {}).innerText?.includes('Verified: engine')",
            timeout=60_000,
        )
        print(f"queue end to end (request -> worker -> verified row in the browser): {total_s:.1f} s, "
              f"worker process {worker_s:.1f} s, {board.gold.n_records} records")  # fmt: skip
        if out := os.environ.get("RBTC_SCREENSHOT_DIR"):
            Path(out, "queue_e2e.json").write_text(json.dumps({"total_s": total_s, "worker_s": worker_s}))
    finally:
        page.close()
        demo.close()


def test_stated_upload_limit_is_the_one_the_browser_enforces(chromium, built_dataset: Path, gold,
                                                             tmp_path: Path):  # fmt: skip
    """The Submit tab's limit and Gradio's pop-up for a bigger file name the same size."""
    import re

    cap = 2 * 2**20
    _, demo, url = _launch(built_dataset, gold, tmp_path / "board.sqlite", max_upload_bytes=cap)
    over = tmp_path / "over.jsonl"
    over.write_bytes(b" " * (cap + 1))
    try:
        page = _open(chromium, url, 1600, 1200)
        page.get_by_role("tab", name="Submit").click()
        stated = page.get_by_text("Limits: files up to").inner_text()
        field = page.locator("#predictions-upload input[type=file]")
        field.wait_for(state="attached", timeout=30_000)
        field.set_input_files(str(over))
        popup = page.get_by_text("exceed the maximum allowed size")
        popup.first.wait_for(timeout=30_000)
        shown = popup.first.inner_text()
        page.close()
    finally:
        demo.close()
    stated_match = re.search(r"files up to ([\d.]+) MB", stated.replace("\n", " "))
    popup_match = re.search(r"allowed size of ([\d.]+) MB", shown, re.IGNORECASE)  # Gradio writes "Mb"
    assert stated_match and popup_match, (stated, shown)
    assert float(stated_match.group(1)) == float(popup_match.group(1)) == cap / 2**20, (stated, shown)
