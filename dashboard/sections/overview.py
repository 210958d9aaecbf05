"""Overview: actual vs fitted revenue, fit quality, stacked weekly contributions."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, ui
from dashboard.views import overview

market = ui.header("Overview", "How well the model reproduces weekly revenue, and where revenue came from.")

fitted = ui.table_for_market("fct_fitted_revenue", market).sort_values("week_start_date")
ui.figures(overview.headline(fitted))
st.altair_chart(charts.fitted_vs_actual(fitted), width="stretch")
st.caption(
    "The blue band is the model's interval for fitted revenue. The shaded weeks on the right are the holdout: "
    "the orange dashed line is what a fit that never saw them forecast for them (the out-of-sample check); the "
    "closer it follows the actual line, the better the model predicts weeks it has not seen."
)

st.subheader("Fit quality")
diagnostics = ui.table_for_market("fct_diagnostics", market, stop=False)
if diagnostics is not None:
    quality = overview.fit_quality(diagnostics)
    ui.figures(quality.figures)
    if quality.problems:
        st.warning(overview.problems_text(quality.problems))
    if quality.subject_problems:
        st.info(
            f"{quality.subject_problems} check(s) about a channel, a pair of channels, a control or a lift test "
            "need attention: see **Channels** (warnings in plain words), **Experiments** and **Data quality** "
            "(every check)."
        )
    with st.expander("All fit checks"):
        st.dataframe(quality.table, hide_index=True, width="stretch")

st.subheader("Weekly contributions")
contributions = ui.table_for_market("fct_contributions", market, stop=False)
if contributions is not None:
    st.altair_chart(charts.stacked_contributions(contributions, ui.labels(market)), width="stretch")
    st.caption(overview.media_caption(contributions))
