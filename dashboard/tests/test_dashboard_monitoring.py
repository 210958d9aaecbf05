"""The Monitoring section (alerts, ROI over runs, backtest) and the overview's holdout forecast, on the tests'
warehouse: a real `dbt build` whose run history has two runs (demo_warehouse.EARLIER_AS_OF, then the full
build) and whose last two Canadian weeks are anomalies. Expected values are derived from the built tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard import formatting as fmt
from dashboard.tests import demo_warehouse
from dashboard.tests.test_dashboard_app import chart_title, charts, metrics, open_section, rows, texts
from dashboard.views import monitoring

# --- the tables the pipeline wrote ------------------------------------------------------------------------


def test_the_history_holds_both_runs_as_two_states(tables):
    history = tables["fct_run_history"]
    runs = history.drop_duplicates("run_id").sort_values("run_started_at")
    assert len(runs) == 2 and runs["same_as_run_id"].isna().all()
    assert f"{runs['as_of_date'].iloc[0]:%Y-%m-%d}" == demo_warehouse.EARLIER_AS_OF
    assert f"{runs['as_of_date'].iloc[1]:%Y-%m-%d}" == demo_warehouse.VARS["as_of_date"]
    # the market that is not modeled has no runs; the new channel is only in the second
    assert set(history["market"]) == {"us", "ca"}
    new = history[history["channel"] == demo_warehouse.NEW_CHANNEL]
    assert set(new["run_id"]) == {runs["run_id"].iloc[1]}


def test_the_anomaly_and_the_new_channel_raise_alerts(tables):
    alerts = rows(tables, "fct_alerts", "ca")
    anomaly = alerts[alerts["alert_name"] == "revenue_outside_prediction_interval"]
    assert (anomaly["severity"] == "critical").all()
    assert f"{anomaly['week_start_date'].max():%Y-%m-%d}" == "2025-12-22"
    assert anomaly["message"].str.contains("far below the model's").all()
    alerts = alerts.set_index("alert_name")
    assert alerts.loc["forecast_drift", "severity"] in ("warning", "critical")
    new = alerts.loc["new_channel"]
    assert new["channel"] == demo_warehouse.NEW_CHANNEL and new["severity"] == "info"
    assert f"not in the run as of {demo_warehouse.EARLIER_AS_OF}" in new["message"]


# --- views ---------------------------------------------------------------------------------------------------


def test_alert_boxes_group_by_severity_most_severe_first(tables):
    alerts = rows(tables, "fct_alerts", "ca")
    boxes = monitoring.alert_boxes(alerts)
    levels = [b.level for b in boxes]
    assert levels == [lvl for s, lvl in monitoring.SEVERITY_BOX.items() if (alerts["severity"] == s).any()]
    for box in boxes:
        severity = next(s for s, lvl in monitoring.SEVERITY_BOX.items() if lvl == box.level)
        messages = alerts.loc[alerts["severity"] == severity, "message"]
        assert box.text.startswith(f"**{monitoring.SEVERITY_TITLE[severity]}** ({len(messages)}):")
        assert all(f"- {m}" in box.text for m in messages)
    counts = {f.label: f.value for f in monitoring.alert_counts(alerts)}
    assert counts == {monitoring.SEVERITY_TITLE[s]: str(int((alerts["severity"] == s).sum())) for s in monitoring.SEVERITY_ORDER}


def test_roi_over_runs_has_one_point_per_state_and_channel(tables):
    history = rows(tables, "fct_run_history", "ca")
    data = monitoring.roi_over_runs(history, {})
    assert data["run_label"].drop_duplicates().tolist() == [
        f"as of {demo_warehouse.EARLIER_AS_OF}",
        f"as of {demo_warehouse.VARS['as_of_date']}",
    ]
    assert len(data) == len(history)  # no repeats in this history
    # a repeated state adds no point
    repeat = history[history["run_id"] == history["run_id"].iloc[-1]].assign(run_id="again", same_as_run_id="x")
    assert len(monitoring.roi_over_runs(pd.concat([history, repeat]), {})) == len(history)
    summary = rows(tables, "fct_channel_summary", "ca")
    labels = dict(zip(summary["channel"], summary["display_name"]))
    assert set(monitoring.roi_over_runs(history, labels)["label"]) >= set(labels.values())


def test_roi_changes_compare_the_last_two_states(tables):
    history = rows(tables, "fct_run_history", "ca")
    changes = monitoring.roi_changes(history, {}).set_index("Channel")
    last = history[history["run_id"] == history.sort_values("run_started_at")["run_id"].iloc[-1]]
    first = history[history["run_id"] != last["run_id"].iloc[0]].set_index("channel")
    assert changes.loc[demo_warehouse.NEW_CHANNEL, "Change"] == "new channel"
    for r in last.itertuples():
        if r.channel in first.index:
            inside = first.at[r.channel, "roi_lower"] <= r.roi <= first.at[r.channel, "roi_upper"]
            verdict = "within the previous interval" if inside else "moved outside the previous interval"
            assert changes.loc[r.display_name, "Change"] == verdict
    assert monitoring.roi_changes(history[history["run_id"] == last["run_id"].iloc[0]], {}) is None


def test_backtest_error_by_horizon_and_sentence(tables):
    backtest = rows(tables, "fct_backtest", "us")
    by_h = monitoring.error_by_horizon(backtest)
    assert by_h["horizon_weeks"].tolist() == list(range(1, int(backtest["horizon_weeks"].max()) + 1))
    one = backtest[backtest["horizon_weeks"] == 1]
    assert by_h["mape"].iloc[0] == pytest.approx(one["absolute_percentage_error"].mean())
    assert by_h["forecasts"].iloc[0] == backtest["origin_week_start_date"].nunique()
    sentence = monitoring.backtest_sentence(backtest)
    assert sentence.startswith(f"{backtest['origin_week_start_date'].nunique()} past origins. 1 week ahead the forecast")
    assert fmt.share(by_h["mape"].iloc[0]) in sentence


# --- the app ---------------------------------------------------------------------------------------------


def test_monitoring_shows_alerts_roi_over_runs_and_backtest(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "monitoring", market="ca")
    assert texts(at.title) == ["Monitoring"]
    alerts = rows(tables, "fct_alerts", "ca")
    shown = metrics(at)
    for severity in monitoring.SEVERITY_ORDER:
        assert shown[monitoring.SEVERITY_TITLE[severity]] == str(int((alerts["severity"] == severity).sum()))
    critical = alerts.loc[alerts["severity"] == "critical", "message"]
    assert len(at.error) == 1 and all(m in at.error[0].value for m in critical)
    infos = " ".join(texts(at.info))
    assert all(m in infos for m in alerts.loc[alerts["severity"] == "info", "message"])
    titles = [chart_title(s) for s in charts(at)]
    assert titles == [
        "ROI per channel over successive runs",
        "Backtest: what past origins forecast vs what happened",
        "Forecast error by horizon",
    ]
    assert monitoring.backtest_sentence(rows(tables, "fct_backtest", "ca")) in texts(at.caption)
    [changes, runs] = [d.value for d in at.dataframe[:2]]
    assert "new channel" in set(changes["Change"])
    assert len(runs) == 2 and set(runs["Same as"]) == {"new state"}
    assert [e.label for e in at.expander] == ["Runs in the history", "Error by horizon"]


def test_monitoring_without_alerts_says_so(monkeypatch, db_copy, tables):
    db = db_copy(empty=("fct_alerts",))
    at = open_section(monkeypatch, db, "monitoring", market="us")
    assert "No alerts for this market on the latest build" in texts(at.success)[0]
    assert not at.error


def test_monitoring_with_one_run_asks_for_more(monkeypatch, db_copy, tables):
    history = tables["fct_run_history"]
    first = history.sort_values("run_started_at")["run_id"].iloc[0]
    db = db_copy(sql=(f"delete from fct_run_history where run_id = '{first}'",))
    at = open_section(monkeypatch, db, "monitoring", market="us")
    assert any(t.startswith("Only one run so far") for t in texts(at.info))
    assert len(at.dataframe) == 2  # no comparison table: the runs and the horizons


def test_monitoring_tables_missing(monkeypatch, db_copy):
    db = db_copy(drop=("fct_alerts", "fct_run_history", "fct_backtest"))
    at = open_section(monkeypatch, db, "monitoring", market="us")
    assert texts(at.warning) == [
        f"Table `{name}` does not exist in the warehouse: run `make build` first."
        for name in ("fct_alerts", "fct_run_history", "fct_backtest")
    ]


def test_monitoring_of_a_market_not_modeled_stops_after_saying_why(monkeypatch, built_db):
    at = open_section(monkeypatch, built_db, "monitoring", market=demo_warehouse.SMALL_MARKET)
    assert len(at.error) == 1 and "was not modeled" in at.error[0].value
    assert not at.get("vega_lite_chart") and not at.metric


def test_overview_chart_shows_the_holdout_forecast(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "overview", market="us")
    spec = charts(at)[0]
    layers = json.dumps(spec["layer"])
    assert "forecast_revenue" in layers and "strokeDash" in layers
    fitted = rows(tables, "fct_fitted_revenue", "us")
    assert fitted["forecast_revenue"].notna().sum() == fitted["is_holdout"].sum() > 0
