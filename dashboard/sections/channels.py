"""Channels: spend vs contribution share, ROI and marginal ROI with intervals, warnings in plain words, and the
optional media terms (synergy between pairs, effectiveness drifting over time) when declared."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui, warehouse
from dashboard.views import channels, media_terms

market = ui.header("Channels", "Which channels pay back, and how sure the model is about it.")
labels = ui.labels(market)
summary = channels.ordered(ui.table_for_market("fct_channel_summary", market), labels)

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


def media_terms_block(market: str | None, labels: dict[str, str]) -> None:
    """Synergy terms and drifting channels (fct_media_terms, fct_channel_effectiveness), or why there are none."""
    terms_read = ui.load("fct_media_terms")
    if terms_read.is_missing:
        st.warning(terms_read.message())
        return
    terms = warehouse.for_market(terms_read.frame, market)
    off = media_terms.nothing_to_show(terms_read.frame, terms, market)
    if off:
        st.caption(off)
        return

    synergy = media_terms.synergy(terms, labels)
    if not synergy.empty:
        st.markdown("**Synergy between channels**")
        for _, row in synergy.iterrows():
            sentence = media_terms.synergy_sentence(row)
            ui.note(sentence.level, sentence.text)
        st.dataframe(media_terms.synergy_table(synergy), hide_index=True, width="stretch")
        st.caption(media_terms.SYNERGY_SPLIT)

    effectiveness_read = ui.load("fct_channel_effectiveness")
    effectiveness = warehouse.for_market(effectiveness_read.frame, market)
    drifting = media_terms.drifting(terms, effectiveness, labels)
    if not drifting.empty:
        st.markdown("**Effectiveness over time**")
        for _, row in drifting.iterrows():
            sentence = media_terms.drift_sentence(row)
            ui.note(sentence.level, sentence.text)
            path = media_terms.effectiveness_path(effectiveness, row["channel"])
            if path.empty:
                st.warning(effectiveness_read.message() if effectiveness_read.is_missing else
                           f"`fct_channel_effectiveness` has no weeks for {row['label']}: rebuild with `make build`.")
            else:
                st.altair_chart(charts.effectiveness_path(path, f"{row['label']}: effectiveness over time"), width="stretch")
        st.caption(
            "Effectiveness: revenue from a unit of the channel's saturated, carried-over spend that week over its average "
            "(1 = average; band: the interval). ROI now: the ROI the whole period would have had at the last week's "
            "effectiveness. The response curves, marginal ROI and the budget use the current effectiveness."
        )


st.subheader("Optional media terms")
media_terms_block(market, labels)
