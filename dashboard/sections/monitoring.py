"""Monitoring: the latest build's alerts, ROI per channel over successive runs, and the backtest."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui
from dashboard.views import common, monitoring

market = ui.header("Monitoring", "Is the model still matching reality, and how did its answers move from run to run?")
if common.not_fitted_message(ui.load("fct_diagnostics").frame, market):
    st.stop()  # the header said why; a market not modeled has no runs, alerts or backtest

st.subheader("Alerts")
alerts = ui.load("fct_alerts")
if alerts.is_missing:
    st.warning(alerts.message())
else:
    mine = ui.market_frame("fct_alerts", market)
    ui.figures(monitoring.alert_counts(mine))
    if mine.empty:
        st.success("No alerts for this market on the latest build: its newest weeks look as the model expected.")
    for box in monitoring.alert_boxes(mine):
        ui.note(box.level, box.text)
    st.caption(
        "Each build checks the newest weeks against the model: forecasts much worse than usual, revenue far "
        "outside the prediction interval, a channel's ROI outside the previous run's interval, spend beyond "
        "what the model has seen, new or vanished channels, a partial last week."
    )

st.subheader("ROI over successive runs")
history = ui.table_for_market("fct_run_history", market, stop=False)
if history is not None:
    labels = ui.labels(market)
    data = monitoring.roi_over_runs(history, labels)
    n_states = data["run_order"].nunique()
    st.altair_chart(charts.roi_over_runs(data), width="content")
    if n_states < 2:
        st.info(
            "Only one run so far: each `dbt build` on new data adds a point. Two builds of the same input and "
            "settings are the same state and add no point."
        )
    st.caption(
        "One point per state of the model (a build on new data or settings); the bar is the run's interval. "
        "A point outside the previous bar moved more than a few new weeks normally justify."
    )
    changes = monitoring.roi_changes(history, labels)
    if changes is not None:
        st.dataframe(changes, hide_index=True, width="stretch")
    with st.expander("Runs in the history"):
        st.dataframe(monitoring.runs_table(history), hide_index=True, width="stretch")

st.subheader("Backtest")
backtest = ui.table_for_market("fct_backtest", market, stop=False)
if backtest is not None:
    st.altair_chart(
        charts.backtest_forecasts(monitoring.backtest_forecasts(backtest), monitoring.actual_series(backtest)),
        width="stretch",
    )
    st.caption(monitoring.backtest_sentence(backtest))
    by_horizon = monitoring.error_by_horizon(backtest)
    st.altair_chart(charts.error_by_horizon(by_horizon), width="stretch")
    with st.expander("Error by horizon"):
        st.dataframe(monitoring.horizon_table(by_horizon), hide_index=True, width="stretch")
