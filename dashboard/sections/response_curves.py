"""Response curves: one small chart per channel with band, current spend and saturation point."""

from __future__ import annotations

import charts
import common
import formatting as fmt
import pandas as pd
import streamlit as st

import data

COLUMNS = 3

market = common.header(
    "Response curves", "Expected weekly revenue of each channel if its weekly spend were held at a level."
)

curves = common.table_for_market("fct_response_curves", market)
labels = common.channel_labels(market)
summary_result = data.load_table("fct_channel_summary")
summary = data.for_market(summary_result, market)
by_channel = summary.set_index("channel") if not summary.empty else pd.DataFrame()

st.caption(
    "Blue line: expected weekly revenue; band: its interval; black dashed line and dot: current weekly "
    "spend; red dashed line: saturation, where the next $1 returns less than $1."
)

channels = list(dict.fromkeys(curves["channel"]))
if not by_channel.empty:  # biggest spenders first
    channels.sort(key=lambda c: -float(by_channel["spend"].get(c, 0.0)))
grid = st.columns(COLUMNS)
for i, channel in enumerate(channels):
    curve = curves[curves["channel"] == channel].sort_values("weekly_spend")
    current = saturation = None
    if channel in by_channel.index:
        current = by_channel.at[channel, "current_weekly_spend"]
        saturation = by_channel.at[channel, "saturation_weekly_spend"]
    elif curve["is_current_spend"].any():
        current = curve.loc[curve["is_current_spend"].astype(bool), "weekly_spend"].iloc[0]
    label = labels.get(channel, channel)
    with grid[i % COLUMNS]:
        st.altair_chart(charts.response_curve(curve, label, current, saturation), width="stretch")
        if saturation is None or pd.isna(saturation):
            note = "not reached within the curve"
        elif saturation <= curve["weekly_spend"].min():
            note = "from the first dollar (the next $1 returns less than $1 at any spend)"
        else:
            note = fmt.money(saturation) + " per week"
            if current is not None and pd.notna(current):
                note += " (current spend is past it)" if current > saturation else " (room to grow)"
        st.caption(f"**{label}**: current {fmt.money(current)} per week; saturation {note}.")
