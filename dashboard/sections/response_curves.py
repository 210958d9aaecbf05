"""Response curves: one small chart per channel with band, current spend and saturation point."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui
from dashboard.views import response_curves

COLUMNS = 3

market = ui.header("Response curves", "Expected weekly revenue of each channel if its weekly spend were held at a level.")
curves = ui.table_for_market("fct_response_curves", market)
labels = ui.labels(market)
panels = response_curves.panels(curves, ui.market_frame("fct_channel_summary", market), labels)

st.caption(
    "Blue line: expected weekly revenue; band: its interval; black dashed line and dot: current weekly "
    "spend; red dashed line: saturation, where the next $1 returns less than $1."
)
grid = st.columns(COLUMNS)
for i, panel in enumerate(panels):
    with grid[i % COLUMNS]:
        st.altair_chart(
            charts.response_curve(panel.curve, panel.label, panel.current_spend, panel.saturation_spend),
            width="stretch",
        )
        st.caption(panel.caption)

parameters = ui.market_frame("fct_fit_parameters", market)
if not parameters.empty:
    with st.expander("Fitted parameters behind the curves"):
        st.caption(
            "Estimates of the best-fitting parameters with their intervals (fct_fit_parameters). Carry-over: "
            "the share of a week's effect carried to the next; half saturation: the weekly spend giving half "
            "the maximum effect; saturation shape above 1: an S-shaped curve."
        )
        st.dataframe(
            response_curves.parameters_table(parameters, [p.channel for p in panels], labels),
            hide_index=True,
            width="stretch",
        )
