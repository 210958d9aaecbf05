"""Every section run with Streamlit's AppTest against the warehouse of a real `dbt build`.

What each section shows is compared with figures derived here from the built tables, so a wrong join,
sum, sign or label shows up as a failed assertion.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import formatting as fmt
from dashboard import reoptimize
from dashboard.reads import OUTPUT_TABLES
from dashboard.tests import demo_warehouse

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = {
    "overview": None,
    "channels": "sections/channels.py",
    "response_curves": "sections/response_curves.py",
    "budget": "sections/budget.py",
    "data_quality": "sections/data_quality.py",
    "experiments": "sections/experiments.py",
    "monitoring": "sections/monitoring.py",
}
PROBLEM = ["warn", "fail"]


def open_section(monkeypatch: pytest.MonkeyPatch, db: Path, section: str, market: str | None = None) -> AppTest:
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


def rows(tables, name: str, market: str) -> pd.DataFrame:
    frame = tables[name]
    return frame[frame["market"] == market].reset_index(drop=True)


def display(tables, market: str) -> dict[str, str]:
    summary = rows(tables, "fct_channel_summary", market)
    return dict(zip(summary["channel"], summary["display_name"]))


def disagreeing_market(tables) -> str:
    """The market with a lift test the model disagrees with (the fixture's Canadian search test)."""
    lift = tables["fct_lift_test_calibration"]
    [market] = lift.loc[lift["z_score"].abs() > 2, "market"].unique()
    return market


def markets_by_revenue(tables) -> list[str]:
    revenue = tables["fct_fitted_revenue"].groupby("market")["actual_revenue"].sum()
    return list(revenue.sort_values(ascending=False).index)


# --- overview -----------------------------------------------------------------------------------------------


def test_overview_shows_fit_and_contributions(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "overview")
    first = markets_by_revenue(tables)[0]
    assert texts(at.title) == ["Overview"]
    assert at.sidebar.selectbox[0].value == first  # the biggest market comes first
    fitted = rows(tables, "fct_fitted_revenue", first)
    checks = rows(tables, "fct_diagnostics", first)
    market_checks = checks[checks["channel"] == ""].set_index("check_name")
    shown = metrics(at)
    assert shown["Weeks modelled"] == str(len(fitted)) and shown["Holdout weeks"] == str(int(fitted["is_holdout"].sum()))
    assert shown["Actual revenue"] == fmt.money(fitted["actual_revenue"].sum())
    for name in ("holdout_r2", "holdout_mape", "in_sample_r2", "cv_mape", "durbin_watson"):
        assert shown[fmt.check_label(name)] == fmt.check_value(name, market_checks.at[name, "value"]), name
    assert [chart_title(s) for s in charts(at)] == ["Actual vs fitted weekly revenue", "Where weekly revenue came from"]
    marks = json.dumps(charts(at)[0]["layer"])
    assert '"rect"' in marks and '"area"' in marks  # holdout shading and interval band
    problems = market_checks[market_checks["status"].isin(PROBLEM)]
    [warning] = texts(at.warning)  # one box listing every market-level check that is not ok
    assert warning.startswith(f"{len(problems)} check(s) of the market are not ok:")
    lines = warning.splitlines()[1:]
    assert len(lines) == len(problems) > 0
    for line, name in zip(lines, problems.index):
        assert line.startswith(f"- **{fmt.check_label(name)}** is ") and problems.at[name, "message"] in line
    subject = int(((checks["channel"] != "") & checks["status"].isin(PROBLEM)).sum())
    assert texts(at.info) == [
        f"{subject} check(s) about a channel, a pair of channels, a control or a lift test need attention: see "
        "**Channels** (warnings in plain words), **Experiments** and **Data quality** (every check)."
    ]
    contributions = rows(tables, "fct_contributions", first)
    media = contributions.loc[contributions["component_type"] == "channel", "contribution"].sum()
    assert any(
        f"Media drove {fmt.money(media)} of {fmt.money(contributions['contribution'].sum())}" in c for c in texts(at.caption)
    )
    assert [e.label for e in at.expander] == ["All fit checks"]


def test_overview_of_another_market_by_url(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "overview", market="ca")
    assert at.sidebar.selectbox[0].value == "ca"
    assert "Market: **CA**" in texts(at.caption)[0]
    assert metrics(at)["Actual revenue"] == fmt.money(rows(tables, "fct_fitted_revenue", "ca")["actual_revenue"].sum())


def test_market_selector_lists_every_market_and_switches_figures(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "overview")
    not_fitted = [demo_warehouse.SMALL_MARKET]
    assert at.sidebar.selectbox[0].options == [m.upper() for m in markets_by_revenue(tables) + not_fitted]
    second = markets_by_revenue(tables)[1]
    at.sidebar.selectbox[0].set_value(second).run()
    assert metrics(at)["Actual revenue"] == fmt.money(rows(tables, "fct_fitted_revenue", second)["actual_revenue"].sum())


def test_market_not_modeled_says_why_on_every_section(monkeypatch, built_db, tables):
    reason = rows(tables, "fct_diagnostics", demo_warehouse.SMALL_MARKET).query("check_name == 'market_not_fitted'")
    for section in PAGES:
        at = open_section(monkeypatch, built_db, section, market=demo_warehouse.SMALL_MARKET)
        assert texts(at.error)[0] == (
            f"Market MX was not modeled: {reason['message'].iloc[0]}. Its data checks are under **Data quality**."
        ), section
        if section != "data_quality":
            assert not at.get("vega_lite_chart") and not at.warning, section


# --- channels ------------------------------------------------------------------------------------------------


def test_channels_warnings_roi_and_table(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "channels", market="us")
    assert texts(at.title) == ["Channels"]
    summary = rows(tables, "fct_channel_summary", "us").sort_values("spend", ascending=False)
    sentences = list(dict.fromkeys(w.strip().rstrip(".") for w in summary["warnings"] if w.strip()))
    shown_warnings = texts(at.warning)[: len(sentences)]  # the optional media terms' block may add its own below
    assert len(shown_warnings) == len(sentences) > 0
    for shown, sentence in zip(shown_warnings, sentences):
        names = " and ".join(summary.loc[summary["warnings"].str.strip().str.rstrip(".") == sentence, "display_name"])
        assert shown == f"**{names}**: {sentence[:1].upper() + sentence[1:]}."
    assert [chart_title(s) for s in charts(at)][:3] == ["Spend share vs contribution share", "ROI", "Marginal ROI"]
    table = at.dataframe[0].value
    assert list(table["Channel"]) == list(summary["display_name"])  # biggest spend first
    top = summary.iloc[0]
    row = table.set_index("Channel").loc[top["display_name"]]
    assert (row["ROI"], row["Marginal ROI"]) == (f"{top['roi']:.2f}", f"{top['mroi']:.2f}")
    assert row["Contribution interval"] == fmt.money_range(top["contribution_lower"], top["contribution_upper"])


# --- response curves -----------------------------------------------------------------------------------------


def test_response_curves_small_multiples(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "response_curves", market="us")
    assert texts(at.title) == ["Response curves"]
    summary = rows(tables, "fct_channel_summary", "us").sort_values("spend", ascending=False)
    specs = charts(at)
    names = list(summary["display_name"])  # biggest spend first, laid out row by row in 3 columns
    assert [chart_title(s) for s in specs] == [names[i] for column in range(3) for i in range(column, len(names), 3)]
    for spec in specs:  # band, curve, current/saturation rules, current-spend point
        assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line", "rule", "point"]
    captions = texts(at.caption)
    for _, channel in summary.iterrows():
        assert any(
            c.startswith(f"**{channel['display_name']}**: current {fmt.money(channel['current_weekly_spend'])}") for c in captions
        )
    assert [e.label for e in at.expander] == ["Fitted parameters behind the curves"]
    parameters = at.dataframe[0].value
    assert set(parameters["Channel"]) == set(summary["display_name"])


# --- budget -------------------------------------------------------------------------------------------------


def test_budget_allocation_scenarios_and_bounds(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "budget", market="ca")
    assert texts(at.title) == ["Budget"]
    allocation = rows(tables, "fct_optimal_allocation", "ca")
    names = display(tables, "ca")
    shown = metrics(at)
    assert shown["Weekly budget"] == fmt.money(allocation["weekly_budget"].iloc[0])
    change = allocation["expected_revenue_optimal"].sum() - allocation["expected_revenue_current"].sum()
    assert shown["Expected change per week"] == fmt.money(change, signed=True)
    bound = allocation[allocation["binding_constraint"] != ""]
    binding = next(i for i in texts(at.info) if i.startswith("At a bound: "))
    for _, row in bound.iterrows():
        assert f"**{names[row['channel']]}** held at its" in binding
    table = at.dataframe[0].value.set_index("Channel")
    lowest = bound[bound["binding_constraint"] == "lower"].iloc[0]
    assert table.loc[names[lowest["channel"]], "Bound"] == "held at its minimum"
    assert table.loc[names[lowest["channel"]], "Optimal weekly spend"] == fmt.money(lowest["min_weekly_spend"])
    scenarios = rows(tables, "fct_scenarios", "ca")
    shown_scenarios = at.dataframe[1].value
    assert len(shown_scenarios) == len(scenarios)
    assert list(shown_scenarios["Revenue change"]) == [fmt.money(v, signed=True) for v in scenarios["revenue_change"]]
    assert chart_title(charts(at)[0]) == "Current vs optimal weekly spend (red ticks: allowed range)"


def test_budget_target_modes(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "budget", market="ca")
    target = rows(tables, "fct_target_budget", "ca")
    infeasible = target[~target["feasible"]].iloc[0]
    assert any(infeasible["message"] in w and w.startswith("The channel bounds do not allow") for w in texts(at.warning))
    feasible = target[target["feasible"]].iloc[0]
    assert any(f"**{fmt.money(feasible['weekly_budget'])}**" in m for m in texts(at.markdown))
    assert target["mode"].nunique() == sum(
        t.startswith("**Smallest budget") or t.startswith("**Largest budget") for t in texts(at.markdown)
    )


@pytest.mark.skipif(not reoptimize.available(), reason=f"mmm.optimize not importable: {reoptimize.IMPORT_ERROR}")
def test_budget_input_reoptimises_from_stored_curves(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "budget", market="us")
    allocation = rows(tables, "fct_optimal_allocation", "us")
    stored = float(allocation["weekly_budget"].iloc[0])
    field = at.number_input(key="budget_us")
    assert field.value == round(stored)
    sentence = next(m for m in texts(at.markdown) if m.startswith("With **"))
    assert sentence.startswith(f"With **{fmt.money(stored)}** per week")
    terms = rows(tables, "fct_media_terms", "us")
    if (terms["term_type"] == "synergy").any():  # the re-split leaves the synergy's change out: said, split shown
        assert any(i.startswith("This market has synergy terms") for i in texts(at.info))
        assert not any("This is the budget of the stored optimum" in c for c in texts(at.main.caption))
        tables_before = len(at.dataframe) - 1
    else:
        assert any("This is the budget of the stored optimum" in c for c in texts(at.main.caption))
        tables_before = len(at.dataframe)
    new_budget = round(stored * 1.2)
    field.set_value(new_budget).run()
    assert not at.exception
    curves = rows(tables, "fct_response_curves", "us")
    expected = reoptimize.reoptimize(allocation, curves, float(new_budget))
    sentence = next(m for m in texts(at.markdown) if m.startswith("With **"))
    assert sentence.startswith(
        f"With **{fmt.money(new_budget)}** per week, the best split is expected to bring "
        f"**{fmt.money(expected.revenue_optimal)}**"
    )
    assert len(at.dataframe) == tables_before + 1  # the re-split's table
    resplit = at.dataframe[-1].value.set_index("Channel")
    optimal = dict(zip(expected.channels, expected.optimal))
    for channel, name in display(tables, "us").items():
        assert resplit.loc[name, "Optimal weekly spend"] == fmt.money(optimal[channel])
    at.number_input(key="budget_us").set_value(round(allocation["max_weekly_spend"].sum() * 2)).run()
    assert any("outside what the channel bounds allow" in w for w in texts(at.warning))


def test_budget_without_optimizer_shows_note(monkeypatch, built_db, tables):
    monkeypatch.setattr(reoptimize, "IMPORT_ERROR", "No module named 'mmm.optimize'")
    at = open_section(monkeypatch, built_db, "budget", market="us")
    assert any("Re-optimising needs the optimizer" in i and "No module named 'mmm.optimize'" in i for i in texts(at.info))
    assert not at.number_input
    allocation = rows(tables, "fct_optimal_allocation", "us")
    change = allocation["expected_revenue_optimal"].sum() - allocation["expected_revenue_current"].sum()
    assert metrics(at)["Expected change per week"] == fmt.money(change, signed=True)  # the stored optimum still shows


# --- data quality ---------------------------------------------------------------------------------------------


def test_data_quality_quarantine_expectations_checks(monkeypatch, built_db, tables):
    market = disagreeing_market(tables)
    at = open_section(monkeypatch, built_db, "data_quality", market=market)
    assert texts(at.title) == ["Data quality"]
    quarantined, results = tables["fct_quarantined_rows"], tables["fct_data_quality_results"]
    shown = metrics(at)
    assert shown["Quarantined rows"] == str(len(quarantined))
    failed = results[~results["success"]]
    assert shown["Expectations passed"] == f"{len(results) - len(failed)} of {len(results)}"
    assert (shown["Failed"], shown["Critical failures"]) == (str(len(failed)), str(int(failed["is_critical"].sum())))
    counts = at.dataframe[0].value
    by_rule = quarantined.groupby(["source_name", "rule"]).size()
    assert sorted(zip(counts["Source"], counts["Rule"], counts["Rows"])) == sorted((s, r, n) for (s, r), n in by_rule.items())
    labels = [e.label for e in at.expander]
    for (source, rule), n in by_rule.items():
        assert f"Examples: {source} · {rule} ({n} row{'s' if n != 1 else ''})" in labels
    assert f"{len(failed)} non-critical expectation(s) failed; see the table." in texts(at.warning)

    checks = rows(tables, "fct_diagnostics", market)
    counts = {s: int((checks["status"] == s).sum()) for s in ("fail", "warn", "ok")}
    assert " · ".join(f"{fmt.status(s)}: **{n}**" for s, n in counts.items()) in texts(at.markdown)
    # problems are shown, the ok checks folded: one expander per category with ok checks
    for category, group in checks.groupby("category"):
        n_ok = int((group["status"] == "ok").sum())
        if n_ok:
            assert any(label.endswith(f": {n_ok} ok") for label in labels), category
    problem_tables = [
        d.value
        for d in at.dataframe
        if "Status" in d.value.columns and len(d.value) and d.value["Status"].str.contains("warn|fail").all()
    ]
    assert sum(len(t) for t in problem_tables) == counts["warn"] + counts["fail"]
    shown_problems = pd.concat(problem_tables)
    assert "Lift test z-score" in set(shown_problems["Check"])  # the TV lift test the model disagrees with


def test_data_quality_of_a_market_not_modeled(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "data_quality", market=demo_warehouse.SMALL_MARKET)
    checks = rows(tables, "fct_diagnostics", demo_warehouse.SMALL_MARKET)
    fails = checks[checks["status"] == "fail"]
    assert texts(at.error)[1] == f"{len(fails)} check(s) failed: the market could not be modeled."
    shown = pd.concat([d.value for d in at.dataframe if "About" in d.value.columns])
    assert {fmt.check_label(n) for n in fails["check_name"]} <= set(shown["Check"])


# --- experiments ----------------------------------------------------------------------------------------------


def test_experiments_model_too_high_reads_as_such(monkeypatch, built_db, tables):
    market = disagreeing_market(tables)
    at = open_section(monkeypatch, built_db, "experiments", market=market)
    assert texts(at.title) == ["Experiments"]
    assert chart_title(charts(at)[0]) == "Measured vs predicted lift"
    lift = rows(tables, "fct_lift_test_calibration", market).sort_values(["start_date", "experiment_id"])
    table = at.dataframe[0].value
    assert list(table["Experiment"]) == list(lift["experiment_id"])
    off = lift[lift["z_score"].abs() > 2]
    assert len(off) == len(at.warning) >= 1
    for (_, row), warning in zip(off.iterrows(), texts(at.warning)):
        too_high = row["predicted_lift"] > row["measured_lift"]
        assert ("model too high: it predicts more" if too_high else "model too low: it predicts less") in warning
        assert f"{fmt.money(row['predicted_lift'])} predicted vs {fmt.money(row['measured_lift'])} measured" in warning
        verdict = table.set_index("Experiment").loc[row["experiment_id"], "Verdict"]
        assert verdict == ("✗ model too high" if too_high else "✗ model too low")


def test_experiments_in_agreement(monkeypatch, built_db, tables):
    market = next(m for m in markets_by_revenue(tables) if m != disagreeing_market(tables))
    at = open_section(monkeypatch, built_db, "experiments", market=market)
    lift = rows(tables, "fct_lift_test_calibration", market)
    assert (lift["z_score"].abs() <= 2).all() and not at.warning
    assert list(at.dataframe[0].value["Verdict"]) == ["✓ consistent"] * len(lift)


# --- missing or empty warehouse -------------------------------------------------------------------------------


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


def test_database_without_outputs(monkeypatch, db_copy):
    at = open_section(monkeypatch, db_copy(empty=OUTPUT_TABLES), "overview")
    assert len(at.error) == 1 and "has no model outputs yet" in at.error[0].value
    assert "run `make build` first" in at.error[0].value


@pytest.mark.parametrize(
    "section, table, state",
    [
        ("response_curves", "fct_response_curves", "does not exist"),
        ("experiments", "fct_lift_test_calibration", "is empty"),
        ("channels", "fct_channel_summary", "does not exist"),
        ("budget", "fct_scenarios", "is empty"),
        ("overview", "fct_contributions", "does not exist"),
    ],
)
def test_missing_or_empty_table_gives_build_hint(monkeypatch, db_copy, section, table, state):
    db = db_copy(drop=(table,)) if state == "does not exist" else db_copy(empty=(table,))
    at = open_section(monkeypatch, db, section, market="us")
    assert f"Table `{table}` {state} in the warehouse: run `make build` first." in texts(at.warning)


def test_data_quality_tables_missing_or_stale(monkeypatch, db_copy):
    db = db_copy(
        drop=("fct_quarantined_rows",),
        empty=("fct_data_quality_results",),
        sql=("alter table fct_diagnostics drop column category",),
    )
    at = open_section(monkeypatch, db, "data_quality", market="us")
    assert texts(at.warning) == [
        "Table `fct_quarantined_rows` does not exist in the warehouse: run `make build` first.",
        "Table `fct_data_quality_results` is empty in the warehouse: run `make build` first.",
        "Table `fct_diagnostics` in the warehouse has no column `category`: it was written by an older build; "
        "run `make build` first.",
    ]


def test_a_rebuilt_warehouse_is_read_again(monkeypatch, db_copy):
    """Reads are cached on the file's modification time: a change to the file shows on the next rerun."""
    db = db_copy()
    at = open_section(monkeypatch, db, "overview", market="us")
    assert not any("fct_contributions" in w for w in texts(at.warning))
    with duckdb.connect(str(db)) as con:  # what a new build does: the file changes
        con.execute("delete from fct_contributions")
    at.run()
    assert "Table `fct_contributions` is empty in the warehouse: run `make build` first." in texts(at.warning)


def test_unknown_market_in_the_url_falls_back_to_the_biggest(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "overview", market="atlantis")
    assert at.sidebar.selectbox[0].value == markets_by_revenue(tables)[0]


def test_dashboard_leaves_the_warehouse_untouched(monkeypatch, db_copy):
    db = db_copy()
    before = db.read_bytes()
    for section in PAGES:
        open_section(monkeypatch, db, section)
    assert db.read_bytes() == before


def test_a_failed_latest_build_is_said_on_every_page(monkeypatch, db_copy, tables):
    """After a failed build the page says plainly that the latest build failed and which build it shows."""
    db = db_copy(sql=(
        "insert into fct_build_runs select 'failed-later' as invocation_id, command, selection, started_at + interval 1 hour,"
        " finished_at + interval 1 hour, 'failed', node_count, 0, 0, 1, 0,"
        " 'a_market_can_be_modeled (test, fail): no market can be modeled', '', '', outputs_invocation_id"
        " from fct_build_runs order by finished_at desc limit 1",
    ))
    for section in ("overview", "data_quality"):
        at = open_section(monkeypatch, db, section, market="us")
        [error] = [t for t in texts(at.error) if t.startswith("The latest build")]
        assert "failed: a_market_can_be_modeled (test, fail): no market can be modeled." in error
        assert "The tables shown come from the build that finished" in error
    at = open_section(monkeypatch, db_copy(), "overview", market="us")
    assert not [t for t in texts(at.error) if t.startswith("The latest build")]
    assert any(t.startswith("The tables shown come from the build that finished") for t in texts(at.sidebar.caption))
