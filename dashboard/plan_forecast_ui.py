"""The Budget page's 'Next quarter' block: what each plan brings week by week (Streamlit layer)."""

from __future__ import annotations

import streamlit as st

from dashboard import planning_charts, ui
from dashboard.views import plan_forecast as view


def render(market: str | None, labels: dict[str, str]) -> None:
    st.subheader("Next quarter: plans forecast week by week")
    summary = ui.table_for_market("fct_plan_summary", market, stop=False)
    if summary is None:
        return
    forecast = ui.market_frame("fct_plan_forecast", market)
    allocation = ui.market_frame("fct_plan_allocation", market)
    names = view.plans(summary)
    chosen = st.radio(
        "Plan",
        names,
        index=names.index(view.default_plan(summary)),
        format_func=view.plan_label,
        horizontal=True,
        key=f"plan_{market}",
    )
    ui.figures(view.figures(summary, chosen))
    st.markdown(view.plan_sentence(summary, chosen))
    if target := view.target_note(summary):
        ui.note(*target)
    for text in view.notes(summary, chosen):
        st.caption(text)
    if not forecast.empty:
        st.altair_chart(
            planning_charts.plan_forecast_lines(view.forecast_chart_frame(forecast), view.plan_label(chosen)), width="stretch"
        )
    st.dataframe(view.summary_table(summary), hide_index=True, width="stretch")
    if not allocation.empty:
        st.altair_chart(
            planning_charts.plan_allocation_bars(
                view.allocation_frame(allocation, chosen, labels), f"{view.plan_label(chosen)}: weekly spend by channel"
            ),
            width="stretch",
        )
        with st.expander(f"{view.plan_label(chosen)}: spend per week and channel"):
            st.dataframe(view.allocation_table(allocation, chosen, labels), hide_index=True, width="stretch")
    st.caption(
        "Expected revenue includes the carry-over of the spend already made, seasonality, the trend, known holidays "
        "and controls (as planned in seed control_plan, else at their recent level). Your spend plan is seed "
        "spend_plan; the optimized split spreads the same budget (var plan_budget) over weeks and channels within "
        "each channel's bounds; set var plan_target_growth (e.g. 0.15) for the smallest budget reaching +15% on the "
        "same weeks last year."
    )
