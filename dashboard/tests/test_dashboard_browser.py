"""End-to-end: the dashboard served by `streamlit run`, driven in real headless Chromium (Playwright).

Starts the app on a free localhost port against the tests' warehouse (a real `dbt build`, conftest.py),
opens every section (by URL, and once by clicking the sidebar link), checks that the Vega-Lite charts
were drawn and the key text is there, and saves a full-page screenshot of each section under
test-output/screenshots/. Skipped with a message when /usr/bin/chromium (Debian package `chromium`) or
the playwright package is missing.
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

import pandas as pd
import pytest

from dashboard import formatting as fmt

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
# dataframes on a canvas, so their cells are not page text; AppTest checks those). The texts are derived
# from the built tables by ``sections(tables)``.
def sections(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str, int, list[str]]]:
    fitted = tables["fct_fitted_revenue"]
    first = fitted.groupby("market")["actual_revenue"].sum().idxmax()
    summary = tables["fct_channel_summary"]
    summary = summary[summary["market"] == first].sort_values("spend", ascending=False)
    top = summary.iloc[0]
    allocation = tables["fct_optimal_allocation"]
    allocation = allocation[allocation["market"] == first]
    change = allocation["expected_revenue_optimal"].sum() - allocation["expected_revenue_current"].sum()
    quarantined = tables["fct_quarantined_rows"]
    source, rule = quarantined.groupby(["source_name", "rule"]).size().idxmax()
    terms = tables["fct_media_terms"]
    terms = terms[terms["market"] == first]  # the optional media terms the fixture declares (demo_warehouse.TERM_SEEDS)
    drifting = terms.loc[terms["term_type"] == "time_varying", "channel_a"]
    synergy = terms[terms["term_type"] == "synergy"]
    names = dict(zip(summary["channel"], summary["display_name"]))
    return [
        (
            "",
            "Overview",
            2,
            [
                fmt.money(fitted.loc[fitted["market"] == first, "actual_revenue"].sum()),
                "Fit quality",
                "Holdout R²",
                "Weekly contributions",
                "Media drove",
            ],
        ),
        (
            "channels",
            "Channels",
            3 + len(drifting),  # one effectiveness chart per drifting channel
            ["Warnings", "Spend share vs contribution share", "Channel table", "Optional media terms"]
            + (["Synergy between channels"] if len(synergy) else [])
            + [f"{names[a]} & {names[b]}" for a, b in zip(synergy["channel_a"], synergy["channel_b"])]
            + (["Effectiveness over time"] if len(drifting) else []),
        ),
        (
            "response-curves",
            "Response curves",
            len(summary),
            [f"{top['display_name']}: current {fmt.money(top['current_weekly_spend'])} per week"],
        ),
        (
            "budget",
            "Budget",
            1,
            [
                fmt.money(change, signed=True),
                "Scenarios",
                "Target budgets",
                "Try another weekly budget",
                "the best split is expected to bring",
            ],
        ),
        (
            "data-quality",
            "Data quality",
            0,
            ["Quarantined rows", f"{source} · {rule}", "Great Expectations results", "Data sufficiency"],
        ),
        ("experiments", "Experiments", 1, ["The z-score is", "positive when the model predicts more lift"]),
        ("monitoring", "Monitoring", 3, ["Alerts", "ROI over successive runs", "Backtest", "past origins"]),
    ]


pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless browser test skipped: /usr/bin/chromium is absent (apt-get install chromium chromium-driver)",
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
def server(built_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path_factory.mktemp("streamlit") / "server.log").open("w")
    env = {**os.environ, "MMM_DUCKDB_PATH": str(built_db)}
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


def test_every_section_renders_in_chromium(server: str, page, tables) -> None:
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for number, (path, title, charts, texts) in enumerate(sections(tables), start=1):
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


def test_sidebar_navigation_and_market_selector(server: str, page, tables) -> None:
    lift = tables["fct_lift_test_calibration"]
    first = tables["fct_fitted_revenue"].groupby("market")["actual_revenue"].sum().idxmax()
    # the test the model disagrees with is named in a warning (chart labels are drawn, not text)
    off = lift[lift["z_score"] > 2]
    [other] = off["market"].unique()
    assert other != first and (lift.loc[lift["market"] == first, "z_score"].abs() <= 2).all()
    page.goto(server)
    _wait_for_section(page, "Overview", 2)
    page.set_viewport_size(VIEWPORT)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Experiments").click()
    _wait_for_section(page, "Experiments", 1, ["The z-score is"])
    assert "/experiments" in page.url
    assert "model too high" not in _body(page)
    # switch the market in the sidebar: there the model predicts more lift than a test measured
    page.set_viewport_size(VIEWPORT)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name=other.upper()).click()
    _wait_for_section(page, "Experiments", 1, ["model too high: it predicts more lift"])
    body = _body(page)
    assert all(e in body for e in off["experiment_id"])
    _screenshot(page, f"7_experiments_{other}.png")


def test_budget_input_reoptimises(server: str, page, tables) -> None:
    first = tables["fct_fitted_revenue"].groupby("market")["actual_revenue"].sum().idxmax()
    allocation = tables["fct_optimal_allocation"]
    stored = allocation.loc[allocation["market"] == first, "weekly_budget"].iloc[0]
    budget = round(stored * 1.2)
    page.goto(f"{server}/budget")
    _wait_for_section(page, "Budget", 1)
    page.set_viewport_size(VIEWPORT)
    field = page.locator('[data-testid="stNumberInput"] input').first
    field.fill(str(budget))
    field.press("Enter")
    _wait_for_section(page, "Budget", 2, [f"With {fmt.money(budget)} per week"])
    _screenshot(page, "8_budget_what_if.png")


def test_experiment_planner_and_next_quarter_render(server: str, page, tables) -> None:
    """The experiment planner page and the Budget page's next-quarter block in Chromium (texts from the tables)."""
    first = tables["fct_fitted_revenue"].groupby("market")["actual_revenue"].sum().idxmax()
    plan = tables["fct_experiment_plan"]
    plan = plan[(plan["market"] == first) & plan["is_recommended"]]
    names = dict(zip(tables["fct_channel_summary"]["channel"], tables["fct_channel_summary"]["display_name"]))
    best = plan[plan["is_testable"]].sort_values("priority_rank").iloc[0]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/experiment-plan")
    texts = ["Next test:", "Did the model predict the lift tests before seeing them?", "Before seeing them, the model predicted"]
    if not plan["is_testable"].all():
        texts.append("Cannot be tested usefully with the markets available")
    _wait_for_section(page, "Experiment planner", 1, texts)
    body = _body(page)
    assert names[best["channel"]] in body and fmt.money(best["expected_lift"]) in body
    _screenshot(page, "9_experiment_plan.png")
    summary = tables["fct_plan_summary"]
    row = summary[(summary["market"] == first) & (summary["plan_name"] == "spend_plan")].iloc[0]
    page.goto(f"{server}/budget")
    _wait_for_section(page, "Budget", 3, ["Next quarter: plans forecast week by week", "Under your spend plan"])
    body = _body(page)
    assert fmt.money(row["expected_revenue"]) in body
    _screenshot(page, "10_budget_next_quarter.png")
    # pick the optimized plan: its figures replace the spend plan's
    optimized = summary[(summary["market"] == first) & (summary["plan_name"] == "optimized")].iloc[0]
    page.set_viewport_size(VIEWPORT)
    page.get_by_text("Optimized split of the budget", exact=True).first.click()
    _wait_for_section(page, "Budget", 3, ["Under optimized split of the budget"])
    assert fmt.money(optimized["expected_revenue"]) in _body(page)
    assert not errors, f"JavaScript errors: {errors}"
def test_monitoring_shows_the_alerts_of_a_market_in_chromium(server: str, page, tables) -> None:
    alerts = tables["fct_alerts"]
    [market] = alerts.loc[alerts["severity"] == "critical", "market"].unique()
    critical = alerts.loc[(alerts["market"] == market) & (alerts["severity"] == "critical"), "message"]
    page.goto(f"{server}/monitoring?market={market}")
    _wait_for_section(page, "Monitoring", 3, ["Critical"])
    body = _body(page)
    for message in critical:
        assert message.split(":")[0] in body
    _screenshot(page, f"11_monitoring_{market}.png")
