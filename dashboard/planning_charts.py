"""Altair charts of the planning views (experiment planner, plan forecast); pure functions of DataFrames."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.charts import ACTUAL_COLOR, CHANNEL_COLORS, FITTED_COLOR, MONEY_AXIS, MONEY_TOOLTIP

PLAN_COLORS = {
    "Your spend plan": FITTED_COLOR,
    "Current spend held": "#6b7280",
    "Optimized split of the budget": "#16a34a",
    "Target growth": "#b07aa1",
}
NOT_TESTABLE_COLOR = "#d1d5db"


def testing_value_bars(frame: pd.DataFrame) -> alt.Chart:
    """Value of testing per channel (ROI sd x a year of spend), coloured by whether a test can settle it."""
    order = ["Can be tested", "Cannot be tested usefully"]
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=list(frame["label"]), axis=alt.Axis(labelLimit=240, labelOverlap=False)),
            x=alt.X("value_of_testing:Q", title="Value of testing (ROI sd x a year of spend)", axis=MONEY_AXIS),
            color=alt.Color(
                "testable:N", title=None, sort=order, scale=alt.Scale(domain=order, range=[FITTED_COLOR, NOT_TESTABLE_COLOR])
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Channel"),
                alt.Tooltip("value_of_testing:Q", title="Value of testing", format=MONEY_TOOLTIP),
                alt.Tooltip("roi_sd:Q", title="ROI sd", format=".2f"),
                alt.Tooltip("annual_spend:Q", title="Spend a year", format=MONEY_TOOLTIP),
            ],
        )
        .properties(title="Where a lift test is worth most", height=max(200, 40 * len(frame)))
    )


def plan_forecast_lines(frame: pd.DataFrame, selected: str) -> alt.LayerChart:
    """Expected weekly revenue under each plan; the selected plan's prediction interval as a band; actual revenue
    of the same weeks a year earlier dashed."""
    data = frame.assign(week_end=pd.to_datetime(frame["week_start_date"]) + pd.Timedelta(days=6))
    plans = list(dict.fromkeys(data["plan"]))
    colors = [PLAN_COLORS.get(p, "#9c755f") for p in plans]
    x = alt.X("week_start_date:T", title=None)
    money_y = alt.Y("expected_revenue:Q", title="Weekly revenue", axis=MONEY_AXIS, scale=alt.Scale(zero=False))
    band = (
        alt.Chart(data[data["plan"] == selected])
        .mark_area(opacity=0.18, color=PLAN_COLORS.get(selected, FITTED_COLOR))
        .encode(x=x, y=alt.Y("revenue_lower:Q", axis=MONEY_AXIS, title="Weekly revenue"), y2="revenue_upper:Q")
    )
    tooltip = [
        alt.Tooltip("plan:N", title="Plan"),
        alt.Tooltip("week_start_date:T", title="Week of"),
        alt.Tooltip("expected_revenue:Q", title="Expected revenue", format=MONEY_TOOLTIP),
        alt.Tooltip("revenue_lower:Q", title="Interval low", format=MONEY_TOOLTIP),
        alt.Tooltip("revenue_upper:Q", title="Interval high", format=MONEY_TOOLTIP),
        alt.Tooltip("planned_spend:Q", title="Planned spend", format=MONEY_TOOLTIP),
    ]
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=x,
            y=money_y,
            color=alt.Color("plan:N", title=None, sort=plans, scale=alt.Scale(domain=plans, range=colors)),
            tooltip=tooltip,
        )
    )
    last_year = data.drop_duplicates("week_start_date").dropna(subset=["revenue_same_week_last_year"])
    previous = (
        alt.Chart(last_year)
        .mark_line(strokeDash=[4, 4], color=ACTUAL_COLOR)
        .encode(
            x=x,
            y="revenue_same_week_last_year:Q",
            tooltip=[
                alt.Tooltip("week_start_date:T", title="Week of"),
                alt.Tooltip("revenue_same_week_last_year:Q", title="Same week last year", format=MONEY_TOOLTIP),
            ],
        )
    )
    return alt.layer(band, previous, lines).properties(
        title="Expected weekly revenue by plan (band: interval of the selected plan; dashed: same week last year)",
        height=380,
    )


def plan_allocation_bars(frame: pd.DataFrame, title: str) -> alt.Chart:
    """The plan's weekly spend stacked by channel, one bar per week."""
    data = frame.assign(week=pd.to_datetime(frame["week_start_date"]).dt.strftime("%d %b %Y"))
    weeks = list(dict.fromkeys(data.sort_values("week_start_date")["week"]))
    channels = list(dict.fromkeys(data["label"]))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("week:N", title="Week of", sort=weeks, axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("planned_spend:Q", title="Weekly spend", axis=MONEY_AXIS, stack="zero"),
            color=alt.Color(
                "label:N",
                title=None,
                sort=channels,
                scale=alt.Scale(domain=channels, range=CHANNEL_COLORS[: len(channels)] or CHANNEL_COLORS),
            ),
            tooltip=[
                alt.Tooltip("week:N", title="Week of"),
                alt.Tooltip("label:N", title="Channel"),
                alt.Tooltip("planned_spend:Q", title="Spend", format=MONEY_TOOLTIP),
                alt.Tooltip("expected_media_revenue:Q", title="Expected revenue of the channel", format=MONEY_TOOLTIP),
            ],
        )
        .properties(title=title, height=340)
    )
