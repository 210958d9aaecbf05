"""Marketing mix modeling dashboard (Streamlit). Start with `make dashboard`.

Reads only the marts of docs/contracts.md section 2 plus the data-quality tables, from the DuckDB file
in MMM_DUCKDB_PATH (default warehouse/mmm.duckdb), opened read-only; it never refits the model.
Each section is a page with its own URL: / (overview), /channels, /response-curves, /budget,
/data-quality, /experiments.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # `streamlit run` adds it; AppTest and plain imports may not
    sys.path.insert(0, str(HERE))

import common  # noqa: E402

import data  # noqa: E402

st.set_page_config(page_title="Marketing mix dashboard", page_icon=":material/monitoring:", layout="wide")

SECTIONS = [
    st.Page(
        "sections/overview.py",
        title="Overview",
        icon=":material/monitoring:",
        url_path="overview",
        default=True,
    ),
    st.Page("sections/channels.py", title="Channels", icon=":material/bar_chart:", url_path="channels"),
    st.Page(
        "sections/response_curves.py",
        title="Response curves",
        icon=":material/show_chart:",
        url_path="response-curves",
    ),
    st.Page("sections/budget.py", title="Budget", icon=":material/payments:", url_path="budget"),
    st.Page(
        "sections/data_quality.py",
        title="Data quality",
        icon=":material/fact_check:",
        url_path="data-quality",
    ),
    st.Page(
        "sections/experiments.py", title="Experiments", icon=":material/science:", url_path="experiments"
    ),
]
page = st.navigation(SECTIONS)


def choose_market() -> None:
    """Sidebar market selector; `?market=ca` in the URL preselects a market."""
    try:
        path = data.check_database()
        markets = data.markets()
    except data.WarehouseUnavailable as exc:
        st.title(page.title)
        st.error(str(exc))
        st.stop()
    if not markets:
        st.title(page.title)
        st.error(
            f"The warehouse `{path}` has no model outputs yet (fct_fitted_revenue, fct_channel_summary "
            f"and fct_optimal_allocation are missing or empty): {data.BUILD_HINT}."
        )
        st.stop()
    wanted = st.query_params.get("market")
    if st.session_state.get(common.MARKET_KEY) not in markets:
        st.session_state[common.MARKET_KEY] = wanted if wanted in markets else markets[0]
    st.sidebar.selectbox("Market", markets, key=common.MARKET_KEY, format_func=common.market_label)
    built = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    st.sidebar.caption(f"Warehouse `{path.name}`, last built {built}. Read-only; the model is not refitted.")


choose_market()
try:
    page.run()
except data.WarehouseUnavailable as exc:  # e.g. a build took the lock between two reads
    st.error(str(exc))
