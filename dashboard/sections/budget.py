"""Budget: current vs optimal weekly allocation, revenue change, binding bounds, scenarios, what-if budget."""

from __future__ import annotations

import charts
import common
import formatting as fmt
import numpy as np
import pandas as pd
import reoptimize
import streamlit as st

import data

BOUND_WORDS = {"lower": "held at its minimum", "upper": "held at its maximum"}


def allocation_table(frame: pd.DataFrame) -> pd.DataFrame:
    change = frame["optimal_weekly_spend"] - frame["current_weekly_spend"]
    return pd.DataFrame(
        {
            "Channel": frame["label"],
            "Current weekly spend": frame["current_weekly_spend"].map(fmt.money),
            "Optimal weekly spend": frame["optimal_weekly_spend"].map(fmt.money),
            "Change": [
                f"{fmt.money(c, signed=True)} ({fmt.share(c / cur if cur else np.nan, signed=True)})"
                for c, cur in zip(change, frame["current_weekly_spend"])
            ],
            "Allowed range": [
                fmt.money_range(lo, hi)
                for lo, hi in zip(frame["min_weekly_spend"], frame["max_weekly_spend"])
            ],
            "Bound": frame["binding_constraint"].fillna("").map(lambda b: BOUND_WORDS.get(str(b), "—")),
        }
    )


def binding_summary(frame: pd.DataFrame) -> str | None:
    """One sentence naming the channels held at a bound, or None when no bound binds."""
    parts = []
    for _, row in frame.iterrows():
        bound = str(row["binding_constraint"] or "")
        if bound in BOUND_WORDS:
            limit = row["min_weekly_spend"] if bound == "lower" else row["max_weekly_spend"]
            parts.append(f"**{row['label']}** {BOUND_WORDS[bound]} ({fmt.money(limit)} per week)")
    if not parts:
        return None
    return (
        "At a bound: " + "; ".join(parts) + ". The optimizer would move these further if the bounds "
        "allowed (vars `optimizer_min_multiplier` / `optimizer_max_multiplier`)."
    )


market = common.header("Budget", "Where the next dollar should go, from the stored response curves.")
labels = common.channel_labels(market)
allocation = common.with_labels(common.table_for_market("fct_optimal_allocation", market), labels)
allocation = allocation.sort_values("current_weekly_spend", ascending=False).reset_index(drop=True)
curves_result = data.load_table("fct_response_curves")
curves = data.for_market(curves_result, market)

revenue_current = allocation["expected_revenue_current"].sum()
revenue_optimal = allocation["expected_revenue_optimal"].sum()
change = revenue_optimal - revenue_current
change_low, change_high = reoptimize.change_interval(
    curves,
    list(allocation["channel"]),
    allocation["current_weekly_spend"].to_numpy(float),
    allocation["optimal_weekly_spend"].to_numpy(float),
)

cols = st.columns(4)
cols[0].metric(
    "Weekly budget",
    fmt.money(allocation["current_weekly_spend"].sum()),
    help="Total current weekly spend of the market's channels",
)
cols[1].metric("Expected weekly media revenue now", fmt.money(revenue_current))
cols[2].metric(
    "With the optimal split",
    fmt.money(revenue_optimal),
    help="Interval: "
    + fmt.money_range(
        allocation["expected_revenue_optimal_lower"].sum(), allocation["expected_revenue_optimal_upper"].sum()
    ),
)
cols[3].metric(
    "Expected change per week",
    fmt.money(change, signed=True),
    delta=fmt.share(change / revenue_current if revenue_current else np.nan, signed=True),
)
if pd.notna(change_low):
    st.caption(
        f"Expected revenue change per week: **{fmt.money(change, signed=True)}**, interval "
        f"{fmt.money(change_low, signed=True)} to {fmt.money(change_high, signed=True)} (the low and high "
        "edges of every channel's response band)."
    )

st.altair_chart(charts.allocation_bars(allocation), width="stretch")
if binding := binding_summary(allocation):
    st.info(binding)
st.dataframe(allocation_table(allocation), hide_index=True, width="stretch")

st.subheader("Scenarios")
scenarios = common.table_for_market("fct_scenarios", market, stop=False)
if scenarios is not None:
    st.dataframe(
        pd.DataFrame(
            {
                "Scenario": scenarios["scenario_name"].map(lambda s: str(s).replace("_", " ").capitalize()),
                "Description": scenarios["description"],
                "Spend change": scenarios["spend_change"].map(lambda v: fmt.money(v, signed=True)),
                "Revenue change": scenarios["revenue_change"].map(lambda v: fmt.money(v, signed=True)),
                "Revenue change interval": [
                    fmt.money_range(lo, hi, signed=True)
                    for lo, hi in zip(scenarios["revenue_change_lower"], scenarios["revenue_change_upper"])
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Try another weekly budget")
if not reoptimize.available():
    st.info(
        "Re-optimising needs the optimizer of the `mmm` package (`mmm.response`, `mmm.optimize`), which "
        f"is not installed here ({reoptimize.IMPORT_ERROR}). Run `make setup` to install it."
    )
elif curves.empty:
    st.warning(
        data.missing_message(curves_result)
        if curves_result.is_empty
        else f"No response curves for market {common.market_label(market)}: {data.BUILD_HINT}."
    )
else:
    current_budget = float(allocation["current_weekly_spend"].sum())
    budget = st.number_input(
        "Total weekly budget",
        min_value=0.0,
        value=current_budget,
        step=1000.0,
        format="%.0f",
        key=f"budget_{market}",
        help=f"Between {fmt.money(allocation['min_weekly_spend'].sum())} and "
        f"{fmt.money(allocation['max_weekly_spend'].sum())} (the sum of the channel bounds).",
    )
    try:
        result = reoptimize.reoptimize(allocation, curves, budget)
    except reoptimize.ReoptimizeError as exc:
        st.warning(str(exc))
    else:
        st.markdown(
            f"With **{fmt.money(budget)}** per week, the best split is expected to bring "
            f"**{fmt.money(result.revenue_optimal)}** of weekly media revenue, "
            f"**{fmt.money(result.revenue_change, signed=True)}** vs today's allocation"
            + (
                f" (interval {fmt.money(result.change_lower, signed=True)} to "
                f"{fmt.money(result.change_upper, signed=True)})."
                if pd.notna(result.change_lower)
                else "."
            )
            + (
                f" At this budget the last $1 returns ${result.marginal_roi:.2f}."
                if pd.notna(result.marginal_roi)
                else ""
            )
        )
        if abs(budget - current_budget) < 1.0:
            st.caption(
                "This is today's budget, so the split is the optimal allocation shown above. Change the "
                "budget to see another split."
            )
        else:
            order = {channel: i for i, channel in enumerate(allocation["channel"])}  # same order as above
            table = common.with_labels(result.table(), labels).sort_values(
                "channel", key=lambda c: c.map(order)
            )
            st.altair_chart(charts.allocation_bars(table), width="stretch")
            if binding := binding_summary(table):
                st.info(binding)
            st.dataframe(allocation_table(table), hide_index=True, width="stretch")
        if result.message:
            st.caption(f"Optimizer: {result.message}")
