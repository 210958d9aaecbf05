"""Channels: spend vs contribution share, ROI and marginal ROI with intervals, warnings in plain words."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui
from dashboard.views import channels

market = ui.header("Channels", "Which channels pay back, and how sure the model is about it.")
summary = channels.ordered(ui.table_for_market("fct_channel_summary", market), ui.labels(market))

st.subheader("Warnings")
warnings = channels.warnings(summary)
for names, sentence in warnings:
    st.warning(channels.warning_sentence(names, sentence))
for text in channels.uncertain_payback(summary, {name for names, _ in warnings for name in names}):
    st.info(text)
if not warnings:
    st.success("No warnings for this market's channels.")

left, right = st.columns(2)
left.altair_chart(charts.spend_vs_contribution_share(summary), width="stretch")
right.markdown(
    "**How to read it.** A channel whose contribution share is larger than its spend share "
    "earns more per dollar than the average channel; a smaller one earns less."
)

left, right = st.columns(2)
left.altair_chart(charts.roi_whiskers(summary, "roi", "roi_lower", "roi_upper", "ROI"), width="stretch")
right.altair_chart(charts.roi_whiskers(summary, "mroi", "mroi_lower", "mroi_upper", "Marginal ROI"), width="stretch")
st.caption(
    "ROI: revenue attributed to the channel per $1 spent over the whole period. Marginal ROI: revenue "
    "from the next $1 at the current weekly spend. Whiskers show the interval; right of the red dashed "
    "line (1.0) a channel returns more than it costs."
)

st.subheader("Channel table")
st.dataframe(channels.channel_table(summary), hide_index=True, width="stretch")
