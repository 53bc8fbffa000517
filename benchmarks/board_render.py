"""The leaderboard's render time with ``--rows`` submissions (target: <= 0.5 s at 1,000 rows).

Populates a fresh database with ``--rows`` synthetic submissions (realistic per-type results and
details, 20 paired tests each; ``space_abuse.populate``) beside the 21 paper rows, starts the
Space as a separate process on 127.0.0.1, and times, ``--repeat`` times each (min and median):

1. in-process, the server's work for one render: ``leaderboard_html`` (store read, rank ranges,
   HTML), against its floor, ``Store.board_runs`` alone;
2. the ``/leaderboard`` API call through ``gradio_client`` (the same rows as records);
3. in Chromium (when ``/usr/bin/chromium`` exists), what a visitor waits for: from typing in the
   search box to the re-rendered table in the page (request, render, transfer, DOM update), against
   its floor, the browser alone parsing, laying out and painting the same table's HTML.

    python benchmarks/board_render.py --dataset DIR [--rows 1000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from space_abuse import populate, start_server  # benchmarks/ is this script's folder

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 0.5
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def figures(name: str, times: list[float], extra: str = "") -> None:
    low, mid = min(times), statistics.median(times)
    print(f"{name}: min {low:.3f} s, median {mid:.3f} s ({mid / TARGET_S:.2f} x the {TARGET_S} s target){extra}",
          flush=True)  # fmt: skip


def in_process(db: Path, dataset: Path, repeat: int) -> None:
    sys.path.insert(0, str(REPO))
    from space.app import create_board, leaderboard_html
    from space.board import BoardFilter
    from space.config import BoardConfig

    board = create_board(BoardConfig(dataset_dir=dataset, db_path=db))
    flt = BoardFilter()
    html_times, read_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        board.store.board_runs()
        read_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        html = leaderboard_html(board, flt)
        html_times.append(time.perf_counter() - start)
    rows = html.count("<tr data-row=")
    figures(
        "in-process render (leaderboard_html)", html_times, f"; {rows} rows, {len(html) / 1e6:.1f} MB of HTML"
    )
    figures("  floor: Store.board_runs alone", read_times)


def through_api(url: str, repeat: int) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        rows = client.predict("", False, api_name="/leaderboard")
        times.append(time.perf_counter() - start)
    figures("/leaderboard API (gradio_client)", times, f"; {len(rows)} rows")


DOM_FLOOR_JS = """async (n) => {
    const parent = document.querySelector('#leaderboard-table .rbtc-board').parentNode;
    const html = parent.querySelector(':scope > .rbtc-board').outerHTML;
    const out = [];
    for (let i = 0; i < n; i++) {
        const start = performance.now();
        const holder = document.createElement('div');
        holder.innerHTML = html;
        parent.replaceChild(holder.firstElementChild, parent.querySelector(':scope > .rbtc-board'));
        document.body.offsetHeight;  // layout
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));  // the next frame painted
        out.push((performance.now() - start) / 1000);
    }
    return out;
}"""
"""Chromium's own cost of the table: the page's table replaced by a copy of its HTML, until the next
frame; what any re-render pays whatever the server does."""


def in_chromium(url: str, repeat: int, settle: float) -> None:
    """Type a search that changes the view (all rows <-> the synthetic ones), and time until the
    page shows the new row count: the visitor's wait for a re-render."""
    if not CHROMIUM.exists():
        print("in Chromium: skipped (no /usr/bin/chromium)")
        return
    from playwright.sync_api import sync_playwright

    count = "(n) => document.querySelectorAll('#leaderboard-table tr[data-row]').length === n"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("#leaderboard-table tr[data-row]", timeout=120_000)
        page.wait_for_function("() => !document.querySelector('.pending')", timeout=120_000)
        first = time.perf_counter() - start
        total = page.locator("#leaderboard-table tr[data-row]").count()
        search = page.locator("#search input, #search textarea").first
        page.fill("#search input, #search textarea", "synthetic")
        page.wait_for_function(count, arg=total - 21, timeout=120_000)
        times = []
        for i in range(2 * repeat):
            text, expected = ("", total) if i % 2 == 0 else ("synthetic", total - 21)
            time.sleep(settle)  # the previous change's download files (about 0.5 s) are written first
            start = time.perf_counter()
            search.fill(text)
            page.wait_for_function(count, arg=expected, polling="raf", timeout=120_000)
            times.append(time.perf_counter() - start)
        search.fill("")
        page.wait_for_function(count, arg=total, polling="raf", timeout=120_000)
        floor = page.evaluate(DOM_FLOOR_JS, 2 * repeat)
        browser.close()
    figures(
        f"in Chromium: search typed -> table re-rendered (changes {settle:g} s apart)",
        times,
        f"; {total} / {total - 21} rows in the page",
    )
    figures("  floor: the same table's HTML parsed, laid out and painted (no server)", floor)
    print(f"  page load to the first table (includes Gradio's own start-up): {first:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="built dataset folder")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", type=Path, default=None, help="keep (and reuse) the populated database here")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="seconds between two changes in Chromium (0 = back to back, as a fast typist)")  # fmt: skip
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f}  cores: {os.cpu_count()}  rows: {args.rows}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "rows.sqlite"
        if not db.exists():
            start = time.perf_counter()
            populate(db, args.dataset, args.rows, REPO)
            print(f"populated {args.rows} submissions in {time.perf_counter() - start:.0f} s", flush=True)
        in_process(db, args.dataset, args.repeat)
        proc, url = start_server(REPO, args.dataset, db)
        try:
            through_api(url, args.repeat)
            in_chromium(url, args.repeat, args.settle)
        finally:
            proc.kill()
            proc.wait()
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
