"""Experiments: each lift test's measured incremental revenue vs what the model predicts for it."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui
from dashboard.views import experiments
from dashboard.views.common import market_label

market = ui.header("Experiments", "Do the model's channel effects match what lift tests measured?")

result = ui.load("fct_lift_test_calibration")
if result.is_empty:
    st.warning(result.message())
    st.stop()
labels = ui.labels(market)
lift = ui.market_frame("fct_lift_test_calibration", market)
if lift.empty:
    others = ", ".join(market_label(m) for m in experiments.other_markets(result.frame))
    st.info(f"No lift tests in market {market_label(market)}. Lift tests exist for: {others}.")
    st.stop()
lift = experiments.ordered(lift, labels)

st.altair_chart(charts.lift_comparison(lift, experiments.Z90), width="stretch")
st.caption(
    "Black: lift the experiment measured (± 1.645 standard errors, 90%). Blue: incremental revenue "
    "the model predicts for the same channel, market and weeks, with its interval. The z-score is "
    "(predicted − measured) / combined standard error: positive when the model predicts more lift than "
    f"the experiment measured. Beyond ±{experiments.AGREE_Z:g} the two disagree."
)
for sentence in experiments.disagreements(lift):
    st.warning(sentence)
st.dataframe(experiments.lift_table(lift, labels), hide_index=True, width="stretch")
