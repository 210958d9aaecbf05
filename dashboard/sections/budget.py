"""Budget: current vs optimal weekly allocation, revenue change, binding bounds, scenarios, the next quarter's
plans forecast week by week, target budgets, and a what-if budget re-split live from the stored response curves."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, plan_forecast_ui, reoptimize, ui
from dashboard.views import budget as view
from dashboard.views import media_terms
from dashboard.views.common import market_label

market = ui.header("Budget", "Where the next dollar should go, from the stored response curves.")
labels = ui.labels(market)
curves_result = ui.load("fct_response_curves")
curves = ui.market_frame("fct_response_curves", market)
allocation = view.allocation_view(ui.table_for_market("fct_optimal_allocation", market), curves, labels)

ui.figures(allocation.figures)
if allocation.change_caption:
    st.caption(allocation.change_caption)
for level, text in allocation.notes:
    ui.note(level, text)
st.altair_chart(charts.allocation_bars(allocation.frame), width="stretch")
if binding := view.binding_summary(allocation.frame):
    st.info(binding)
st.dataframe(view.allocation_table(allocation.frame), hide_index=True, width="stretch")

st.subheader("Scenarios")
scenarios = ui.table_for_market("fct_scenarios", market, stop=False)
if scenarios is not None:
    st.dataframe(view.scenarios_table(scenarios), hide_index=True, width="stretch")

plan_forecast_ui.render(market, labels)

st.subheader("Target budgets")
target_result = ui.load("fct_target_budget")
targets = view.target_budgets(ui.market_frame("fct_target_budget", market), labels)
if target_result.is_missing:
    st.warning(target_result.message())
elif not targets:
    st.caption(
        "No target set for this market. Set the dbt var `target_revenue_weekly` (a weekly media revenue to "
        "reach) or `target_mroi` (a marginal ROI to keep) and rebuild to see the budget each needs."
    )
for target in targets:
    st.markdown(f"**{target.title}**")
    (st.markdown if target.feasible else st.warning)(target.sentence)
    st.dataframe(target.table, hide_index=True, width="stretch")

st.subheader("Try another weekly budget")
if not reoptimize.available():
    st.info(
        "Re-optimising needs the optimizer of the `mmm` package (`mmm.response`, `mmm.optimize`), which "
        f"is not installed here ({reoptimize.IMPORT_ERROR}). Run `make setup` to install it."
    )
elif curves.empty:
    st.warning(
        curves_result.message()
        if curves_result.is_empty
        else f"No response curves for market {market_label(market)}: run `make build` first."
    )
else:
    frame = allocation.frame
    budget = st.number_input(
        "Total weekly budget",
        min_value=0.0,
        value=float(round(allocation.budget)),
        step=1000.0,
        format="%.0f",
        key=f"budget_{market}",
        help=f"Between {frame['min_weekly_spend'].sum():,.0f} and {frame['max_weekly_spend'].sum():,.0f} "
        "(the sum of the channel bounds).",
    )
    caveat = media_terms.resplit_caveat(ui.market_frame("fct_media_terms", market), labels)
    if caveat:
        st.info(caveat)
    try:
        result = reoptimize.reoptimize(frame, curves, budget)
    except reoptimize.ReoptimizeError as exc:
        st.warning(str(exc))
    else:
        st.markdown(view.reoptimized_sentence(budget, result))
        if abs(budget - allocation.budget) < 1.0 and not caveat:  # with synergy terms the splits can differ: show it
            st.caption(
                "This is the budget of the stored optimum, so the split is the optimal allocation shown above. "
                "Change the budget to see another split."
            )
        else:
            table = view.reoptimized_frame(result, list(frame["channel"]), labels)
            st.altair_chart(charts.allocation_bars(table), width="stretch")
            if binding := view.binding_summary(table):
                st.info(binding)
            st.dataframe(view.allocation_table(table), hide_index=True, width="stretch")
        if result.message:
            st.caption(f"Optimizer: {result.message}")
