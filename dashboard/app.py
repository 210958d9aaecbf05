"""Marketing mix modeling dashboard (Streamlit). Start with `make dashboard`.

Reads only what dashboard/reads.py declares (public marts of docs/contracts.md), from the DuckDB file
in MMM_DUCKDB_PATH (default warehouse/mmm.duckdb), opened read-only; it never refits the model. Each
section is a page with its own URL: / (overview), /channels, /response-curves, /budget, /data-quality,
/experiments, /experiment-plan, /challenger, /monitoring.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import ui, warehouse

SECTIONS_DIR = Path(__file__).resolve().parent / "sections"

st.set_page_config(page_title="Marketing mix dashboard", page_icon=":material/monitoring:", layout="wide")

page = st.navigation(
    [
        st.Page(SECTIONS_DIR / "overview.py", title="Overview", icon=":material/monitoring:", url_path="overview", default=True),
        st.Page(SECTIONS_DIR / "channels.py", title="Channels", icon=":material/bar_chart:", url_path="channels"),
        st.Page(
            SECTIONS_DIR / "response_curves.py",
            title="Response curves",
            icon=":material/show_chart:",
            url_path="response-curves",
        ),
        st.Page(SECTIONS_DIR / "budget.py", title="Budget", icon=":material/payments:", url_path="budget"),
        st.Page(SECTIONS_DIR / "data_quality.py", title="Data quality", icon=":material/fact_check:", url_path="data-quality"),
        st.Page(SECTIONS_DIR / "experiments.py", title="Experiments", icon=":material/science:", url_path="experiments"),
        st.Page(
            SECTIONS_DIR / "experiment_plan.py",
            title="Experiment planner",
            icon=":material/labs:",
            url_path="experiment-plan",
        ),
        st.Page(SECTIONS_DIR / "challenger.py", title="Challenger", icon=":material/compare_arrows:", url_path="challenger"),
        st.Page(SECTIONS_DIR / "monitoring.py", title="Monitoring", icon=":material/history:", url_path="monitoring"),
    ]
)

ui.choose_market(page.title)
try:
    page.run()
except warehouse.WarehouseUnavailable as exc:  # e.g. a build took the lock between two reads
    st.error(str(exc))
