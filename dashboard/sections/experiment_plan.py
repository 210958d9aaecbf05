"""Experiment planner: which lift test to run next and how large, and whether the model predicted the last ones."""

from __future__ import annotations

import streamlit as st

from dashboard import planning_charts, ui
from dashboard.views import experiment_plan as view

market = ui.header(
    "Experiment planner",
    "Which lift test to run next, how large it must be, and whether the model predicted the last ones before seeing them.",
)
labels = ui.labels(market)
plan_all = ui.load("fct_experiment_plan")
plan = ui.table_for_market("fct_experiment_plan", market)
n_channels = plan_all.frame.drop_duplicates(["market", "channel"]).shape[0]

figures, sentence = view.next_test(plan, labels, n_channels)
ui.figures(figures)
if sentence:
    st.success(sentence)
if untestable := view.untestable(plan, labels):
    st.warning(untestable)
st.altair_chart(planning_charts.testing_value_bars(view.value_chart_frame(plan, labels)), width="stretch")
st.caption(
    "A channel is worth testing when its ROI is uncertain and money rides on it: value of testing = the standard "
    "deviation of its ROI over the model's posterior draws x a year of its current spend. For each channel the "
    "planner sizes three designs (switch it off, raise its spend, or switch it off here with the other markets as "
    "control) and recommends the shortest one that reaches the target power; power and detectable lift come from "
    "a two-sample t-test on weekly revenue net of the model's baseline (statsmodels). Priority ranks the channels "
    "of all markets together."
)
st.subheader("Channels by value of testing")
st.dataframe(view.ranking_table(plan, labels), hide_index=True, width="stretch")
with st.expander("Every design considered"):
    st.dataframe(view.designs_table(plan, labels), hide_index=True, width="stretch")

st.subheader("Did the model predict the lift tests before seeing them?")
result = ui.load("fct_experiment_validation")
validation = ui.market_frame("fct_experiment_validation", market)
if result.is_missing:
    st.warning(result.message())
elif validation.empty:
    st.info(
        "No lift test in this market yet. When one arrives (raw_lift_tests), the next build compares what it measured "
        "with what the model predicted for it before using it, then calibrates the model on it."
    )
else:
    head, misses = view.validation_summary(validation, labels)
    st.markdown(head)
    for miss in misses:
        st.warning(miss)
    st.dataframe(view.validation_table(validation, labels), hide_index=True, width="stretch")
    st.caption(
        "Predicted before: the model refitted with only the lift tests that had finished before this one started. "
        "z = (predicted − measured) / combined standard error, positive when the model predicted more lift than "
        "measured. The reported model is calibrated on every test (predicted after calibration)."
    )
