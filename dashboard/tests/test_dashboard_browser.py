"""End-to-end: the dashboard served by `streamlit run`, driven in real headless Chromium (Playwright).

Starts the app on a free localhost port against the fixture warehouse, opens every section (by URL, and
once by clicking the sidebar link), checks that the Vega-Lite charts were drawn and the key text is
there, and saves a full-page screenshot of each section under test-output/screenshots/. Skipped with
a message when /usr/bin/chromium (Debian package `chromium`) or the playwright package is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app.py"
REPO_ROOT = APP.parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
VIEWPORT = {"width": 1440, "height": 1000}

# (url path, title, charts expected at least, texts that must be shown outside tables: Streamlit draws
# dataframes on a canvas, so their cells are not page text; AppTest checks those)
SECTIONS = [
    ("", "Overview", 2, ["$14.7M", "Fit quality", "Holdout MAPE", "Weekly contributions", "Media drove"]),
    (
        "channels",
        "Channels",
        3,
        [
            "Search and social move together; their split is uncertain",
            "the data cannot tell whether it pays back",
            "Channel table",
        ],
    ),
    (
        "response-curves",
        "Response curves",
        3,
        [
            "saturation $65.3k per week (room to grow)",
            "saturation $36.7k per week (current spend is past it)",
        ],
    ),
    (
        "budget",
        "Budget",
        1,
        [
            "+$9.95k",
            "Scenarios",
            "Try another weekly budget",
            "the best split is expected to bring",
            "This is today's budget",
        ],
    ),
    (
        "data-quality",
        "Data quality",
        0,
        [
            "Quarantined rows",
            "raw_media_spend · negative_spend",
            "2 of 3",
            "non-critical expectation(s) failed",
        ],
    ),
    ("experiments", "Experiments", 1, ["The z-score is the gap", "Experiment"]),
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless browser test skipped: /usr/bin/chromium is absent "
    "(apt-get install chromium chromium-driver)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def server(fixture_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path_factory.mktemp("streamlit") / "server.log").open("w")
    env = {**os.environ, "MMM_DUCKDB_PATH": str(fixture_db)}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def _fit_viewport(page) -> None:
    """Grow the viewport to the section's height: Streamlit scrolls inside its main block and draws
    charts only once they are in view, so a tall viewport shows (and screenshots) everything."""
    height = page.evaluate("""() => Math.max(900, ...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stMainBlockContainer"]')].map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 60, 8000)})


def _wait_for_section(page, title: str, charts: int, texts: list[str] = ()) -> None:
    """The section's title and `texts` are shown and `charts` Vega-Lite charts have drawn their marks."""
    page.set_viewport_size(VIEWPORT)
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=20_000)
    for text in texts:
        page.get_by_text(text, exact=False).first.wait_for(timeout=20_000)
    _fit_viewport(page)
    page.wait_for_function(
        """(n) => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                    .filter(c => c.querySelector('canvas, svg.marks')).length >= n""",
        arg=charts,
        timeout=20_000,
    )
    _fit_viewport(page)  # drawn charts may have changed the height
    page.wait_for_timeout(500)  # let Vega finish drawing before the screenshot


def _body(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def _screenshot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_every_section_renders_in_chromium(server: str, page) -> None:
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for number, (path, title, charts, texts) in enumerate(SECTIONS, start=1):
        page.goto(f"{server}/{path}")
        _wait_for_section(page, title, charts, texts)
        drawn = page.locator('[data-testid="stVegaLiteChart"]').count()
        assert drawn >= charts, f"{title}: {drawn} charts, expected at least {charts}"
        body = _body(page)
        for text in texts:
            assert text in body, f"{title}: {text!r} not shown"
        assert "Traceback" not in body and "run `make build` first" not in body
        _screenshot(page, f"{number}_{path or 'overview'}.png")
    assert not errors, f"JavaScript errors: {errors}"


def test_sidebar_navigation_and_market_selector(server: str, page) -> None:
    page.goto(server)
    _wait_for_section(page, "Overview", 2)
    page.set_viewport_size(VIEWPORT)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Experiments").click()
    _wait_for_section(page, "Experiments", 1)
    assert "/experiments" in page.url
    assert "EXP-001" in _body(page)
    # switch the market in the sidebar: Canada has the lift test the model disagrees with
    page.set_viewport_size(VIEWPORT)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name="CA").click()
    _wait_for_section(page, "Experiments", 1, ["the model overstates this test's lift"])
    body = _body(page)
    assert "the model overstates this test's lift" in body and "EXP-001" not in body
    _screenshot(page, "7_experiments_ca.png")


def test_budget_input_reoptimises(server: str, page) -> None:
    page.goto(f"{server}/budget")
    _wait_for_section(page, "Budget", 1)
    page.set_viewport_size(VIEWPORT)
    field = page.locator('[data-testid="stNumberInput"] input').first
    field.fill("150000")
    field.press("Enter")
    _wait_for_section(page, "Budget", 2, ["With $150k per week"])
    _screenshot(page, "8_budget_150k.png")
