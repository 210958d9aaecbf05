"""Challenger: gradient-boosted trees on the MMM's design, compared out of sample; importances; implied curves."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui
from dashboard.views import challenger
from dashboard.views.common import label

COLUMNS = 3

market = ui.header("Challenger", "Does a flexible model forecast better than the MMM? If so, the MMM is missing something.")
st.info(challenger.NOT_CAUSAL)

validation = ui.table_for_market("fct_challenger_validation", market)
verdict = challenger.verdict(validation, ui.market_frame("fct_diagnostics", market))
ui.note(verdict.level, verdict.text)
st.dataframe(challenger.folds_table(validation), hide_index=True, width="stretch")
st.caption(
    "Both models are refitted on the weeks before each cross-validation origin (the MMM's own folds) and forecast "
    "the weeks after it. The challenger is gradient-boosted trees (LightGBM) started from the MMM's fit, on the same "
    "weekly design: each channel's carried-over spend, trend, seasonality, holidays and controls."
)

labels = ui.labels(market)
importance = ui.market_frame("fct_challenger_importance", market)
if not importance.empty:
    st.subheader("What the challenger relies on")
    ranked = challenger.importance(importance, labels)
    st.altair_chart(charts.challenger_importance(ranked), width="stretch")
    st.dataframe(challenger.importance_table(ranked), hide_index=True, width="stretch")
    st.caption(
        "Mean |SHAP|: how far the feature moves a week's prediction from the average week. Permutation importance: "
        "how much the challenger's error grows when the feature's weeks are shuffled. Both predictive, not causal."
    )

response = ui.market_frame("fct_challenger_response", market)
if not response.empty:
    st.subheader("Implied response next to the MMM's curve")
    long = challenger.response_long(response)
    order = challenger.channel_order(ranked) if not importance.empty else sorted(response["channel"].unique())
    grid = st.columns(COLUMNS)
    for i, channel in enumerate(order):
        with grid[i % COLUMNS]:
            st.altair_chart(charts.challenger_response(long[long["channel"] == channel], label(channel, labels)), width="stretch")
    st.caption(
        "Blue: the MMM's expected weekly revenue (band: its interval), the curve the budget numbers use. Orange dashed: "
        "the challenger's prediction with the channel held at that weekly spend over the last weeks, minus the same at "
        "zero. Where they part, the challenger saw something in the data the MMM's curve does not have."
    )
