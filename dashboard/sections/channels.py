"""Channels: spend vs contribution share, ROI and marginal ROI with intervals, warnings in plain words."""

from __future__ import annotations

import charts
import common
import formatting as fmt
import pandas as pd
import streamlit as st

market = common.header("Channels", "Which channels pay back, and how sure the model is about it.")

summary = common.table_for_market("fct_channel_summary", market)
summary = common.with_labels(summary, common.channel_labels(market)).sort_values("spend", ascending=False)

st.subheader("Warnings")
# Shown whole: a warning may itself contain '; ' ("search and social move together; their split is
# uncertain"), so splitting would cut sentences apart. The same text often sits on two channels.
sentences: dict[str, list[str]] = {}
for _, row in summary.iterrows():
    text = str(row.get("warnings") or "").strip().rstrip(".")
    if text and text.lower() not in ("nan", "none"):
        sentences.setdefault(text, []).append(row["label"])
for sentence, channels in sentences.items():
    st.warning(f"**{' and '.join(channels)}**: {sentence[:1].upper() + sentence[1:]}.")
warned = {label for labels in sentences.values() for label in labels}
for _, row in summary[~summary["label"].isin(warned)].iterrows():  # a warning already says it otherwise
    if pd.notna(row["roi_lower"]) and pd.notna(row["roi_upper"]) and row["roi_lower"] < 1 < row["roi_upper"]:
        st.info(
            f"**{row['label']}**: the data cannot tell whether it pays back; each $1 returns between "
            f"${row['roi_lower']:.2f} and ${row['roi_upper']:.2f}."
        )
if not sentences:
    st.success("No warnings for this market's channels.")

left, right = st.columns(2)
left.altair_chart(charts.spend_vs_contribution_share(summary), width="stretch")
right.markdown(
    "**How to read it.** A channel whose contribution share is larger than its spend share "
    "earns more per dollar than the average channel; a smaller one earns less."
)

left, right = st.columns(2)
left.altair_chart(charts.roi_whiskers(summary, "roi", "roi_lower", "roi_upper", "ROI"), width="stretch")
right.altair_chart(
    charts.roi_whiskers(summary, "mroi", "mroi_lower", "mroi_upper", "Marginal ROI"), width="stretch"
)
st.caption(
    "ROI: revenue attributed to the channel per $1 spent over the whole period. Marginal ROI: revenue "
    "from the next $1 at the current weekly spend. Whiskers show the interval; right of the red dashed "
    "line (1.0) a channel returns more than it costs."
)

st.subheader("Channel table")
st.dataframe(
    pd.DataFrame(
        {
            "Channel": summary["label"],
            "Spend": summary["spend"].map(fmt.money),
            "Contribution": summary["contribution"].map(fmt.money),
            "Contribution interval": [
                fmt.money_range(lo, hi)
                for lo, hi in zip(summary["contribution_lower"], summary["contribution_upper"])
            ],
            "ROI": summary["roi"].map(fmt.ratio),
            "ROI interval": [
                f"{fmt.ratio(lo)} – {fmt.ratio(hi)}"
                for lo, hi in zip(summary["roi_lower"], summary["roi_upper"])
            ],
            "Marginal ROI": summary["mroi"].map(fmt.ratio),
            "Spend share": summary["spend_share"].map(fmt.share),
            "Contribution share": summary["contribution_share"].map(fmt.share),
            "Current weekly spend": summary["current_weekly_spend"].map(fmt.money),
        }
    ),
    hide_index=True,
    width="stretch",
)
