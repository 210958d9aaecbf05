"""Helpers shared by the sections: the selected market, tables with a clear message when absent."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import data

MARKET_KEY = "market"


def selected_market() -> str | None:
    """The market chosen in the sidebar (set by app.py before any section runs)."""
    return st.session_state.get(MARKET_KEY)


def market_label(market: str | None) -> str:
    return "all markets" if market is None else market.upper() if len(market) <= 3 else market.title()


def header(title: str, caption: str) -> str | None:
    """Section title plus a one-line caption naming the market; returns the market."""
    market = selected_market()
    st.title(title)
    st.caption(f"Market: **{market_label(market)}** · {caption}")
    return market


def table_for_market(name: str, market: str | None, stop: bool = True) -> pd.DataFrame | None:
    """The market's rows of `name`; if the table is missing or has no rows for the market, show a
    warning and stop the section (or return None when `stop` is False)."""
    result = data.load_table(name)
    if result.is_empty:
        st.warning(data.missing_message(result))
    else:
        frame = data.for_market(result, market)
        if not frame.empty:
            return frame
        st.warning(
            f"Table `{name}` has no rows for market {market_label(market)}: {data.BUILD_HINT} "
            "(or pick another market)."
        )
    if stop:
        st.stop()
    return None


def channel_labels(market: str | None) -> dict[str, str]:
    """channel -> display name (from fct_channel_summary, falling back to the channel code)."""
    result = data.load_table("fct_channel_summary")
    if result.is_empty or "display_name" not in result.frame.columns:
        return {}
    frame = data.for_market(result, market)
    return {str(c): str(d) for c, d in zip(frame["channel"], frame["display_name"]) if pd.notna(d) and d}


def with_labels(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Add a `label` column: the channel's display name."""
    return frame.assign(label=frame["channel"].map(lambda c: labels.get(str(c), str(c))))
