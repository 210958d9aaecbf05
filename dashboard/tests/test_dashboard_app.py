"""Every dashboard section run with Streamlit's AppTest against the fixture warehouse.

The expected figures follow from dashboard/fixture.py (e.g. US: TV 60k, search 40k, social 25k a week;
ROI 1.3 / 2.2 / 1.5 at current spend), so a wrong join, sum or label shows up as a failed assertion.
"""

from __future__ import annotations

import json
from pathlib import Path

import fixture
import formatting as fmt
import pytest
import reoptimize
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = {
    "overview": None,
    "channels": "sections/channels.py",
    "response_curves": "sections/response_curves.py",
    "budget": "sections/budget.py",
    "data_quality": "sections/data_quality.py",
    "experiments": "sections/experiments.py",
}


def open_section(
    monkeypatch: pytest.MonkeyPatch, db: Path, section: str, market: str | None = None
) -> AppTest:
    """Run the app against `db` and open `section` (optionally with ?market=...)."""
    monkeypatch.setenv("MMM_DUCKDB_PATH", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    if market:
        at.query_params["market"] = market
    at.run()
    if PAGES[section]:
        at.switch_page(PAGES[section]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def chart_title(spec: dict) -> str:
    title = spec.get("title", "")
    return title.get("text", "") if isinstance(title, dict) else str(title)


# --- sections on the fixture ------------------------------------------------------------------------------


def test_overview_shows_fit_and_contributions(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "overview")
    assert texts(at.title) == ["Overview"]
    assert at.sidebar.selectbox[0].value == "us"  # the biggest market comes first
    shown = metrics(at)
    us = fixture.build_tables()["fct_fitted_revenue"].query("market == 'us'")
    assert shown["Weeks modelled"] == "20" and shown["Holdout weeks"] == "4"
    assert shown["Actual revenue"] == fmt.money(us["actual_revenue"].sum()) == "$14.7M"
    assert shown["In-sample R²"] == "0.93" and shown["In-sample MAPE"] == "3.1%"
    assert shown["Holdout MAPE"] == "4.2%" and shown["Durbin-Watson"] == "1.84"
    specs = charts(at)
    assert [chart_title(s) for s in specs] == [
        "Actual vs fitted weekly revenue",
        "Where weekly revenue came from",
    ]
    marks = json.dumps(specs[0]["layer"])
    assert '"rect"' in marks and '"area"' in marks  # holdout shading and interval band
    assert not at.warning  # every US fit metric is ok; the one channel-level check is pointed to
    assert texts(at.info) == [
        "1 channel-level check(s) need attention: see **Channels** (warnings in plain "
        "words) and **Data quality** (every check)."
    ]
    assert any("Media drove $4.08M of $14.6M fitted revenue" in c for c in texts(at.caption))


def test_overview_flags_failed_diagnostic_in_other_market(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "overview", market="ca")
    assert at.sidebar.selectbox[0].value == "ca"
    assert metrics(at)["Holdout MAPE"] == "8.1%"
    assert texts(at.warning) == [
        "**Holdout MAPE** is 8.1% (threshold 6.0%): Mean absolute percentage error on the 4 held-out weeks"
    ]


def test_market_selector_switches_every_figure(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "overview")
    assert at.sidebar.selectbox[0].options == ["US", "CA"]
    at.sidebar.selectbox[0].set_value("ca").run()
    ca = fixture.build_tables()["fct_fitted_revenue"].query("market == 'ca'")
    assert metrics(at)["Actual revenue"] == fmt.money(ca["actual_revenue"].sum())
    assert "Market: **CA**" in texts(at.caption)[0]


def test_channels_warnings_roi_and_table(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "channels")
    assert texts(at.title) == ["Channels"]
    # the shared sentence is shown once, whole (it contains '; '), naming both channels
    assert texts(at.warning) == [
        "**Paid search and Paid social**: Search and social move together; their split is uncertain."
    ]
    assert texts(at.info) == [
        "**TV**: the data cannot tell whether it pays back; each $1 returns between $0.96 and $1.59."
    ]
    assert [chart_title(s) for s in charts(at)] == [
        "Spend share vs contribution share",
        "ROI",
        "Marginal ROI",
    ]
    table = at.dataframe[0].value
    assert list(table["Channel"]) == ["TV", "Paid search", "Paid social"]  # biggest spend first
    row = table.set_index("Channel").loc["Paid search"]
    assert (row["ROI"], row["Marginal ROI"], row["Current weekly spend"]) == ("2.15", "1.47", "$40.0k")
    assert row["Contribution interval"] == "$1.34M – $2.24M"


def test_channels_without_warnings_says_so(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "channels", market="ca")
    assert texts(at.warning) == ["**TV**: TV spent in only 6 weeks, so its ROI interval is wide."]


def test_response_curves_small_multiples(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "response_curves")
    assert texts(at.title) == ["Response curves"]
    specs = charts(at)
    assert [chart_title(s) for s in specs] == ["TV", "Paid search", "Paid social"]
    for spec in specs:  # band, curve, current/saturation rules, current-spend point
        assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line", "rule", "point"]
    captions = texts(at.caption)
    assert "**Paid search**: current $40.0k per week; saturation $65.3k per week (room to grow)." in captions
    assert (
        "**TV**: current $60.0k per week; saturation $36.7k per week (current spend is past it)." in captions
    )


def test_budget_allocation_scenarios_and_bounds(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "budget", market="ca")
    assert texts(at.title) == ["Budget"]
    shown = metrics(at)
    assert shown["Weekly budget"] == "$50.0k"
    assert shown["Expected change per week"] == "+$5.76k"
    assert texts(at.info)[0].startswith(
        "At a bound: **TV** held at its minimum ($12.0k per week). The optimizer would move these further"
    )
    allocation = at.dataframe[0].value.set_index("Channel")
    assert allocation.loc["TV", "Bound"] == "held at its minimum"
    assert allocation.loc["TV", "Change"] == "-$12.0k (-50.0%)"
    assert allocation.loc["Paid search", "Bound"] == "—"
    scenarios = at.dataframe[1].value
    assert list(scenarios["Scenario"]) == ["Spend minus 10pct", "Spend plus 10pct", "Optimal allocation"]
    assert scenarios.set_index("Scenario").loc["Optimal allocation", "Revenue change"] == "+$5.76k"
    assert chart_title(charts(at)[0]) == "Current vs optimal weekly spend (red ticks: allowed range)"


@pytest.mark.skipif(
    not reoptimize.available(), reason=f"mmm.optimize not importable: {reoptimize.IMPORT_ERROR}"
)
def test_budget_input_reoptimises_from_stored_curves(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "budget")
    assert at.number_input(key="budget_us").value == 125_000
    # same budget: the optimizer on the stored curves finds the stored optimum (+$9.95k a week)
    assert (
        "With **$125k** per week" in at.markdown[0].value and "**+$9.95k** vs today" in at.markdown[0].value
    )
    assert (
        len(at.dataframe) == 2 and "This is today's budget" in texts(at.main.caption)[-1]
    )  # no repeated table
    at.number_input(key="budget_us").set_value(150_000).run()
    assert not at.exception
    sentence = at.markdown[0].value
    assert sentence.startswith("With **$150k** per week, the best split is expected to bring **$236k**")
    table = at.dataframe[2].value  # the re-optimised allocation
    assert list(table["Channel"]) == ["TV", "Paid search", "Paid social"]
    assert table.set_index("Channel").loc["Paid search", "Optimal weekly spend"] == "$77.5k"
    at.number_input(key="budget_us").set_value(1_000_000).run()
    assert any("outside what the channel bounds allow" in w for w in texts(at.warning))


def test_budget_without_optimizer_shows_note(monkeypatch, fixture_db):
    monkeypatch.setattr(reoptimize, "IMPORT_ERROR", "No module named 'mmm.optimize'")
    at = open_section(monkeypatch, fixture_db, "budget")
    assert any(
        "Re-optimising needs the optimizer" in i and "No module named 'mmm.optimize'" in i
        for i in texts(at.info)
    )
    assert not at.number_input
    assert metrics(at)["Expected change per week"] == "+$9.95k"  # the stored optimum is still shown


def test_data_quality_quarantine_expectations_diagnostics(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "data_quality", market="ca")
    assert texts(at.title) == ["Data quality"]
    shown = metrics(at)
    assert shown["Quarantined rows"] == "4"
    assert (shown["Expectations passed"], shown["Failed"], shown["Critical failures"]) == ("2 of 3", "1", "0")
    counts = at.dataframe[0].value
    assert list(zip(counts["Source"], counts["Rule"], counts["Rows"])) == [
        ("raw_media_spend", "negative_spend", 2),
        ("raw_media_spend", "unknown_channel", 1),
        ("raw_sales", "future_date", 1),
    ]
    assert [e.label for e in at.expander] == [
        "Examples: raw_media_spend · negative_spend (2 rows)",
        "Examples: raw_media_spend · unknown_channel (1 row)",
        "Examples: raw_sales · future_date (1 row)",
        "Every column (expectation arguments and details)",
    ]
    examples = at.dataframe[1].value
    assert list(examples["raw_amount"]) == ["-1200.00", "-80.50"]
    expectations = at.dataframe[4].value  # readable columns, failures first
    assert list(expectations.columns) == ["expectation", "column", "success", "observed_value", "is_critical"]
    assert list(expectations["success"]) == ["✗ failed", "✓ passed", "✓ passed"]
    assert expectations.iloc[0]["column"] == "variable_type"
    assert texts(at.warning) == [
        "1 non-critical expectation(s) failed; see the table.",
        "1 diagnostic check(s) need attention.",
    ]
    diagnostics = at.dataframe[6].value
    assert diagnostics.iloc[0]["Check"] == "Holdout MAPE" and diagnostics.iloc[0]["Status"] == "⚠ warn"
    sufficiency = at.dataframe[7].value  # the ca market's data checks, problems first
    assert list(sufficiency["Check"]) == ["history weeks", "channel not configured"]
    assert sufficiency.iloc[1]["Channel"] == "radio" and "channel_config" in sufficiency.iloc[1]["Note"]
    assert any("2** of 2 data checks need attention" in m for m in texts(at.markdown))


def test_experiments_measured_vs_predicted(monkeypatch, fixture_db):
    at = open_section(monkeypatch, fixture_db, "experiments")
    assert texts(at.title) == ["Experiments"]
    assert chart_title(charts(at)[0]) == "Measured vs predicted lift"
    table = at.dataframe[0].value
    assert list(table["Experiment"]) == ["EXP-001"]
    row = table.iloc[0]
    assert (row["Channel"], row["Measured lift"], row["Predicted lift"]) == ("Paid search", "$120k", "$105k")
    assert (row["Measured interval"], row["Verdict"]) == ("$70.7k – $169k", "✓ consistent")
    assert not at.warning

    at.sidebar.selectbox[0].set_value("ca").run()
    assert texts(at.warning) == [
        "**EXP-002 · TV**: the model overstates this test's lift ($45.0k predicted vs "
        "$20.0k measured, z = -2.06)."
    ]
    assert at.dataframe[0].value.iloc[0]["Verdict"] == "✗ model too high"


# --- missing or empty warehouse ---------------------------------------------------------------------------


@pytest.mark.parametrize("section", list(PAGES))
def test_missing_database_gives_build_hint(monkeypatch, tmp_path, section):
    missing = tmp_path / "nowhere" / "mmm.duckdb"
    monkeypatch.setenv("MMM_DUCKDB_PATH", str(missing))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    if PAGES[section]:
        at.switch_page(PAGES[section]).run()
    assert not at.exception
    assert texts(at.error) == [f"No warehouse file at `{missing}`: run `make build` first."]
    assert not at.get("vega_lite_chart") and not at.dataframe


def test_database_without_outputs(monkeypatch, tmp_path):
    db = fixture.build_fixture(tmp_path / "empty.duckdb", empty=tuple(fixture.build_tables()))
    at = open_section(monkeypatch, db, "overview")
    assert len(at.error) == 1 and "has no model outputs yet" in at.error[0].value
    assert "run `make build` first" in at.error[0].value


@pytest.mark.parametrize(
    "section, table, state",
    [
        ("response_curves", "fct_response_curves", "does not exist"),
        ("experiments", "fct_lift_test_calibration", "is empty"),
        ("channels", "fct_channel_summary", "does not exist"),
    ],
)
def test_missing_or_empty_table_gives_build_hint(monkeypatch, tmp_path, section, table, state):
    kwargs = {"skip": (table,)} if state == "does not exist" else {"empty": (table,)}
    db = fixture.build_fixture(tmp_path / f"{table}.duckdb", **kwargs)
    at = open_section(monkeypatch, db, section)
    assert f"Table `{table}` {state} in the warehouse: run `make build` first." in texts(at.warning)


def test_data_quality_tables_missing(monkeypatch, tmp_path):
    db = fixture.build_fixture(
        tmp_path / "no_dq.duckdb",
        skip=("mmm_quarantine",),
        empty=("dq_validation_results", "fct_diagnostics"),
    )
    at = open_section(monkeypatch, db, "data_quality")
    assert texts(at.warning) == [
        "Table `mmm_quarantine` does not exist in the warehouse: run `make build` first.",
        "Table `dq_validation_results` is empty in the warehouse: run `make build` first.",
        "Table `fct_diagnostics` is empty in the warehouse: run `make build` first.",
    ]


def test_dashboard_leaves_the_warehouse_untouched(monkeypatch, tmp_path):
    db = fixture.build_fixture(tmp_path / "ro.duckdb")
    before = db.read_bytes()
    for section in PAGES:
        open_section(monkeypatch, db, section)
    assert db.read_bytes() == before
