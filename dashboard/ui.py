"""The Streamlit layer shared by the sections: cached reads, the market selector, headers, messages."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard import warehouse
from dashboard.reads import OUTPUT_TABLES
from dashboard.views import common

MARKET_KEY = "market"


@st.cache_data(show_spinner=False, max_entries=64)
def _read(path: str, version: float, name: str) -> warehouse.TableRead:
    del version  # only part of the cache key: a rebuilt warehouse has another modification time
    return warehouse.read_table(path, name)


def load(name: str) -> warehouse.TableRead:
    """A declared table (cached until the file changes); raises WarehouseUnavailable when the file
    itself is missing or locked."""
    path = warehouse.check_database()
    result = _read(str(path), warehouse.file_version(path), name)
    frame = None if result.frame is None else result.frame.copy()  # sections may add columns
    return warehouse.TableRead(result.name, frame, result.missing_columns)


def market_frame(name: str, market: str | None) -> pd.DataFrame:
    """The market's rows of `name` (an empty frame when the table cannot be read)."""
    return warehouse.for_market(load(name).frame, market)


def selected_market() -> str | None:
    return st.session_state.get(MARKET_KEY)


def choose_market(page_title: str) -> None:
    """Sidebar market selector; `?market=ca` in the URL preselects a market. Stops the page with one
    message when there is no warehouse or no model output."""
    try:
        path = warehouse.check_database()
        outputs = [load(name) for name in OUTPUT_TABLES]
        markets = common.markets(outputs[0].frame, [r.frame for r in outputs[1:]], load("fct_diagnostics").frame)
        status = common.build_status(load("fct_build_runs").frame)
    except warehouse.WarehouseUnavailable as exc:
        st.title(page_title)
        st.error(str(exc))
        st.stop()
    if status is not None and status.level != "caption":
        note(status.level, status.text)  # on every page, above its title
    if not markets:
        st.title(page_title)
        st.error(
            f"The warehouse `{path}` has no model outputs yet ({', '.join(OUTPUT_TABLES)} are missing or "
            f"empty): {warehouse.BUILD_HINT}."
        )
        st.stop()
    wanted = st.query_params.get("market")
    if st.session_state.get(MARKET_KEY) not in markets:
        st.session_state[MARKET_KEY] = wanted if wanted in markets else markets[0]
    st.sidebar.selectbox("Market", markets, key=MARKET_KEY, format_func=common.market_label)
    built = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    st.sidebar.caption(f"Warehouse `{path.name}`, last written {built}. Read-only; the model is not refitted.")
    if status is not None and status.level == "caption":
        st.sidebar.caption(status.text)


def header(title: str, caption: str) -> str | None:
    """Section title plus a caption naming the market; says so when the market was not modeled."""
    market = selected_market()
    st.title(title)
    st.caption(f"Market: **{common.market_label(market)}** · {caption}")
    reason = common.not_fitted_message(load("fct_diagnostics").frame, market)
    if reason:
        st.error(f"Market {common.market_label(market)} was not modeled: {reason}. Its data checks are under **Data quality**.")
    return market


def table_for_market(name: str, market: str | None, stop: bool = True) -> pd.DataFrame | None:
    """The market's rows of `name`; if the table cannot be read or has no rows for the market, say so
    and stop the section (or return None when `stop` is False)."""
    result = load(name)
    if result.is_empty:
        st.warning(result.message())
    else:
        frame = warehouse.for_market(result.frame, market)
        if not frame.empty:
            return frame
        if not common.not_fitted_message(load("fct_diagnostics").frame, market):  # else the header said why
            st.warning(
                f"Table `{name}` has no rows for market {common.market_label(market)}: {warehouse.BUILD_HINT} "
                "(or pick another market)."
            )
    if stop:
        st.stop()
    return None


def labels(market: str | None) -> dict[str, str]:
    """channel -> display name for the market."""
    return common.channel_labels(market_frame("fct_channel_summary", market))


def figures(items: list[common.Figure]) -> None:
    """A row of st.metric figures."""
    if not items:
        return
    for column, item in zip(st.columns(len(items)), items):
        kwargs = {"help": item.help}
        if item.delta is not None:
            kwargs.update(delta=item.delta)
            if not item.delta.startswith(("+", "-")):  # a status, not a change
                kwargs.update(delta_color="off", delta_arrow="off")
        column.metric(item.label, item.value, **kwargs)


def note(level: str, text: str) -> None:
    """st.info / st.warning / st.error / st.success / st.caption by name."""
    {"info": st.info, "warning": st.warning, "error": st.error, "success": st.success, "caption": st.caption}[level](text)
