"""Altair (Vega-Lite) charts of the dashboard; pure functions of DataFrames, no Streamlit calls."""

from __future__ import annotations

import altair as alt
import pandas as pd

ACTUAL_COLOR = "#1f2937"
FITTED_COLOR = "#2563eb"
HOLDOUT_COLOR = "#f59e0b"
CURRENT_COLOR = "#6b7280"
OPTIMAL_COLOR = "#16a34a"
BASELINE_COLORS = ["#9ca3af", "#b8bec7", "#d1d5db", "#e5e7eb", "#6b7280", "#4b5563"]
CHANNEL_COLORS = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]  # Tableau 10
MONEY_AXIS = alt.Axis(format="$~s")  # d3 SI format: $1.2M
MONEY_TOOLTIP = "$,.0f"
HEIGHT = 400  # Streamlit fits the whole chart (title, axes, legend) into the height


def _week_end(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["week_start_date"]) + pd.Timedelta(days=7)


FORECAST_SERIES = "Holdout forecast"
SERIES_SCALE = alt.Scale(domain=["Actual", "Fitted", FORECAST_SERIES], range=[ACTUAL_COLOR, FITTED_COLOR, HOLDOUT_COLOR])


def fitted_vs_actual(fitted: pd.DataFrame) -> alt.LayerChart:
    """Actual (dark line) vs fitted (blue line) weekly revenue, interval band, holdout weeks shaded."""
    data = fitted.assign(week_start_date=pd.to_datetime(fitted["week_start_date"]))
    x = alt.X("week_start_date:T", title="Week")
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.2, color=FITTED_COLOR)
        .encode(
            x=x,
            y=alt.Y("fitted_lower:Q", title="Weekly revenue", axis=MONEY_AXIS, scale=alt.Scale(zero=False)),
            y2="fitted_upper:Q",
            tooltip=[
                alt.Tooltip("week_start_date:T", title="Week"),
                alt.Tooltip("fitted_lower:Q", title="Interval low", format=MONEY_TOOLTIP),
                alt.Tooltip("fitted_upper:Q", title="Interval high", format=MONEY_TOOLTIP),
            ],
        )
    )
    lines = (
        alt.Chart(data)
        .transform_fold(["actual_revenue", "fitted_revenue"], as_=["series", "revenue"])
        .transform_calculate(series="datum.series == 'actual_revenue' ? 'Actual' : 'Fitted'")
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=x,
            y=alt.Y("revenue:Q", axis=MONEY_AXIS),
            color=alt.Color("series:N", title=None, scale=SERIES_SCALE),
            tooltip=[
                alt.Tooltip("week_start_date:T", title="Week"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("revenue:Q", title="Revenue", format=MONEY_TOOLTIP),
            ],
        )
    )
    layers = [band, lines]
    if "forecast_revenue" in data and data["forecast_revenue"].notna().any():
        # the out-of-sample check: what a fit that did not see the holdout weeks forecast for them
        forecast = data[data["forecast_revenue"].notna()].assign(series=FORECAST_SERIES)
        layers.append(
            alt.Chart(forecast)
            .mark_line(strokeDash=[6, 3], point=alt.OverlayMarkDef(size=14))
            .encode(
                x=x,
                y=alt.Y("forecast_revenue:Q", axis=MONEY_AXIS),
                color=alt.Color("series:N", title=None, scale=SERIES_SCALE),
                tooltip=[
                    alt.Tooltip("week_start_date:T", title="Week"),
                    alt.Tooltip("series:N", title="Series"),
                    alt.Tooltip("forecast_revenue:Q", title="Forecast", format=MONEY_TOOLTIP),
                ],
            )
        )
    holdout = data[data["is_holdout"].fillna(False).astype(bool)]
    if not holdout.empty:
        span = pd.DataFrame(
            {
                "start": [holdout["week_start_date"].min()],
                "end": [holdout["week_start_date"].max() + pd.Timedelta(days=7)],
                "label": ["Holdout weeks"],
            }
        )
        shade = (
            alt.Chart(span)
            .mark_rect(opacity=0.12, color=HOLDOUT_COLOR)
            .encode(x="start:T", x2="end:T", tooltip=alt.Tooltip("label:N", title=""))
        )
        layers = [shade, *layers]
    return alt.layer(*layers).properties(
        title=alt.Title(
            "Actual vs fitted weekly revenue",
            subtitle="Band: interval of fitted revenue. Shaded: holdout weeks; orange dashes: their out-of-sample forecast.",
        ),
        height=HEIGHT,
    )


def stacked_contributions(contributions: pd.DataFrame, labels: dict[str, str]) -> alt.Chart:
    """Weekly contribution of every component, stacked (baseline parts in greys, channels in colour)."""
    data = contributions.assign(week_start_date=pd.to_datetime(contributions["week_start_date"]))
    data["label"] = data["component"].map(lambda c: labels.get(c, c.replace("_", " ").capitalize()))
    baseline = sorted(data.loc[data["component_type"] == "baseline", "label"].unique())
    channels = sorted(data.loc[data["component_type"] != "baseline", "label"].unique())
    domain = baseline + channels
    colors = [BASELINE_COLORS[i % len(BASELINE_COLORS)] for i in range(len(baseline))]
    colors += [CHANNEL_COLORS[i % len(CHANNEL_COLORS)] for i in range(len(channels))]
    data["order"] = data["label"].map({label: i for i, label in enumerate(domain)})
    data["week_end"] = data["week_start_date"] + pd.Timedelta(days=6)  # bars span the week
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("week_start_date:T", title="Week"),
            x2="week_end:T",
            y=alt.Y("sum(contribution):Q", title="Weekly contribution", axis=MONEY_AXIS),
            color=alt.Color("label:N", title="Component", scale=alt.Scale(domain=domain, range=colors), sort=domain),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("week_start_date:T", title="Week"),
                alt.Tooltip("label:N", title="Component"),
                alt.Tooltip("component_type:N", title="Type"),
                alt.Tooltip("sum(contribution):Q", title="Contribution", format=MONEY_TOOLTIP),
            ],
        )
        .properties(title="Where weekly revenue came from", height=HEIGHT)
    )


def spend_vs_contribution_share(summary: pd.DataFrame) -> alt.Chart:
    """Per channel, its share of media spend next to its share of media-driven revenue."""
    data = summary.melt(
        id_vars=["label"],
        value_vars=["spend_share", "contribution_share"],
        var_name="measure",
        value_name="share",
    )
    data["measure"] = data["measure"].map(
        {"spend_share": "Share of spend", "contribution_share": "Share of contribution"}
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=list(summary["label"])),
            yOffset=alt.YOffset("measure:N", sort=["Share of spend", "Share of contribution"]),
            x=alt.X("share:Q", title="Share", axis=alt.Axis(format="%")),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=["Share of spend", "Share of contribution"],
                scale=alt.Scale(range=[CURRENT_COLOR, FITTED_COLOR]),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Channel"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(title="Spend share vs contribution share", height=110 + 50 * len(summary))
    )


def roi_whiskers(summary: pd.DataFrame, value: str, lower: str, upper: str, title: str) -> alt.LayerChart:
    """Point estimate with interval whiskers per channel, and a dashed break-even line at 1."""
    data = summary[["label", value, lower, upper]].rename(columns={value: "value", lower: "lower", upper: "upper"})
    y = alt.Y("label:N", title=None, sort=list(summary["label"]))
    tooltip = [
        alt.Tooltip("label:N", title="Channel"),
        alt.Tooltip("value:Q", title=title, format=".2f"),
        alt.Tooltip("lower:Q", title="Interval low", format=".2f"),
        alt.Tooltip("upper:Q", title="Interval high", format=".2f"),
    ]
    whiskers = (
        alt.Chart(data)
        .mark_rule(strokeWidth=2, color=FITTED_COLOR)
        .encode(y=y, x=alt.X("lower:Q", title=f"{title} (revenue per $1 of spend)"), x2="upper:Q", tooltip=tooltip)
    )
    points = (
        alt.Chart(data).mark_point(filled=True, size=90, color=FITTED_COLOR).encode(y=y, x="value:Q", tooltip=tooltip)
    )
    breakeven = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4], color="#dc2626").encode(x="x:Q")
    return alt.layer(breakeven, whiskers, points).properties(title=title, height=110 + 50 * len(summary))


def response_curve(
    curve: pd.DataFrame, title: str, current_spend: float | None, saturation_spend: float | None
) -> alt.LayerChart:
    """One channel's expected weekly revenue vs weekly spend: band, curve, current spend, saturation."""
    x = alt.X("weekly_spend:Q", title="Weekly spend", axis=MONEY_AXIS)
    tooltip = [
        alt.Tooltip("weekly_spend:Q", title="Weekly spend", format=MONEY_TOOLTIP),
        alt.Tooltip("expected_weekly_revenue:Q", title="Expected revenue", format=MONEY_TOOLTIP),
        alt.Tooltip("mroi:Q", title="Marginal ROI", format=".2f"),
    ]
    band = (
        alt.Chart(curve)
        .mark_area(opacity=0.2, color=FITTED_COLOR)
        .encode(x=x, y=alt.Y("lower:Q", title="Weekly revenue", axis=MONEY_AXIS), y2="upper:Q")
    )
    line = alt.Chart(curve).mark_line(color=FITTED_COLOR).encode(x=x, y="expected_weekly_revenue:Q", tooltip=tooltip)
    layers = [band, line]
    marks = []
    if saturation_spend is not None and pd.notna(saturation_spend):
        marks.append({"weekly_spend": float(saturation_spend), "what": "Saturation (marginal ROI = 1)"})
    if current_spend is not None and pd.notna(current_spend):
        marks.append({"weekly_spend": float(current_spend), "what": "Current spend"})
    if marks:
        rules = pd.DataFrame(marks)
        layers.append(
            alt.Chart(rules)
            .mark_rule(strokeDash=[5, 4], strokeWidth=1.5)
            .encode(
                x="weekly_spend:Q",
                color=alt.Color(
                    "what:N",
                    title=None,
                    scale=alt.Scale(
                        domain=["Current spend", "Saturation (marginal ROI = 1)"],
                        range=[ACTUAL_COLOR, "#dc2626"],
                    ),
                    legend=None,
                ),  # explained in the section's caption
                tooltip=[
                    alt.Tooltip("what:N", title=""),
                    alt.Tooltip("weekly_spend:Q", title="Weekly spend", format=MONEY_TOOLTIP),
                ],
            )
        )
    current = curve[curve["is_current_spend"].fillna(False).astype(bool)]
    if not current.empty:
        layers.append(
            alt.Chart(current)
            .mark_point(filled=True, size=80, color=ACTUAL_COLOR)
            .encode(x="weekly_spend:Q", y="expected_weekly_revenue:Q", tooltip=tooltip)
        )
    return alt.layer(*layers).properties(title=title, height=320)


def allocation_bars(allocation: pd.DataFrame) -> alt.LayerChart:
    """Current vs optimal weekly spend per channel side by side, with the allowed range as a grey bar."""
    data = allocation.melt(
        id_vars=["label"],
        value_vars=["current_weekly_spend", "optimal_weekly_spend"],
        var_name="allocation",
        value_name="weekly_spend",
    )
    data["allocation"] = data["allocation"].map({"current_weekly_spend": "Current", "optimal_weekly_spend": "Optimal"})
    order = ["Current", "Optimal"]
    x = alt.X("label:N", title=None, sort=list(allocation["label"]), axis=alt.Axis(labelAngle=0))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            xOffset=alt.XOffset("allocation:N", sort=order),
            y=alt.Y("weekly_spend:Q", title="Weekly spend", axis=MONEY_AXIS),
            color=alt.Color(
                "allocation:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=[CURRENT_COLOR, OPTIMAL_COLOR]),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Channel"),
                alt.Tooltip("allocation:N", title="Allocation"),
                alt.Tooltip("weekly_spend:Q", title="Weekly spend", format=MONEY_TOOLTIP),
            ],
        )
    )
    bounds = (
        alt.Chart(allocation)
        .mark_tick(thickness=2, size=40, color="#dc2626")
        .encode(
            x=x,
            y="max_weekly_spend:Q",
            tooltip=[
                alt.Tooltip("label:N", title="Channel"),
                alt.Tooltip("max_weekly_spend:Q", title="Upper bound", format=MONEY_TOOLTIP),
            ],
        )
    )
    lower = (
        alt.Chart(allocation)
        .mark_tick(thickness=2, size=40, color="#dc2626", opacity=0.5)
        .encode(
            x=x,
            y="min_weekly_spend:Q",
            tooltip=[
                alt.Tooltip("label:N", title="Channel"),
                alt.Tooltip("min_weekly_spend:Q", title="Lower bound", format=MONEY_TOOLTIP),
            ],
        )
    )
    return alt.layer(bars, lower, bounds).properties(
        title="Current vs optimal weekly spend (red ticks: allowed range)", height=360
    )


def lift_comparison(lift: pd.DataFrame, z: float) -> alt.LayerChart:
    """Measured lift (± z standard errors) next to the model's predicted lift (with its interval)."""
    measured = pd.DataFrame(
        {
            "experiment": lift["label"],
            "source": "Measured (experiment)",
            "lift": lift["measured_lift"],
            "lower": lift["measured_lift"] - z * lift["measured_lift_se"],
            "upper": lift["measured_lift"] + z * lift["measured_lift_se"],
        }
    )
    predicted = pd.DataFrame(
        {
            "experiment": lift["label"],
            "source": "Predicted (model)",
            "lift": lift["predicted_lift"],
            "lower": lift["predicted_lift_lower"],
            "upper": lift["predicted_lift_upper"],
        }
    )
    data = pd.concat([measured, predicted], ignore_index=True)
    order = ["Measured (experiment)", "Predicted (model)"]
    y = alt.Y("experiment:N", title=None, axis=alt.Axis(labelLimit=320))
    color = alt.Color(
        "source:N", title=None, sort=order, scale=alt.Scale(domain=order, range=[ACTUAL_COLOR, FITTED_COLOR])
    )
    tooltip = [
        alt.Tooltip("experiment:N", title="Experiment"),
        alt.Tooltip("source:N", title=""),
        alt.Tooltip("lift:Q", title="Incremental revenue", format=MONEY_TOOLTIP),
        alt.Tooltip("lower:Q", title="Interval low", format=MONEY_TOOLTIP),
        alt.Tooltip("upper:Q", title="Interval high", format=MONEY_TOOLTIP),
    ]
    offset = alt.YOffset("source:N", sort=order)
    rules = (
        alt.Chart(data)
        .mark_rule(strokeWidth=2)
        .encode(
            y=y,
            yOffset=offset,
            x=alt.X("lower:Q", title="Incremental revenue", axis=MONEY_AXIS),
            x2="upper:Q",
            color=color,
            tooltip=tooltip,
        )
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=90)
        .encode(y=y, yOffset=offset, x="lift:Q", color=color, tooltip=tooltip)
    )
    return alt.layer(rules, points).properties(title="Measured vs predicted lift", height=120 + 80 * len(lift))


def roi_over_runs(data: pd.DataFrame) -> alt.FacetChart:
    """ROI with its interval per channel over successive runs (one point per state), one panel per channel."""
    order = list(data.drop_duplicates("run_order").sort_values("run_order")["run_label"])
    tooltip = [
        alt.Tooltip("run_label:N", title="Run"),
        alt.Tooltip("label:N", title="Channel"),
        alt.Tooltip("roi:Q", title="ROI", format=".2f"),
        alt.Tooltip("roi_lower:Q", title="Interval low", format=".2f"),
        alt.Tooltip("roi_upper:Q", title="Interval high", format=".2f"),
    ]
    x = alt.X("run_label:N", title=None, sort=order, axis=alt.Axis(labelAngle=-30))
    base = alt.Chart(data)
    band = base.mark_rule(strokeWidth=3, opacity=0.5, color=FITTED_COLOR).encode(
        x=x, y=alt.Y("roi_lower:Q", title="ROI (revenue per $1)"), y2="roi_upper:Q", tooltip=tooltip
    )
    line = base.mark_line(color=FITTED_COLOR).encode(x=x, y="roi:Q")
    points = base.mark_point(filled=True, size=60, color=FITTED_COLOR).encode(x=x, y="roi:Q", tooltip=tooltip)
    ends = base.mark_tick(color=FITTED_COLOR, opacity=0.5, size=10).encode(x=x, y="roi_upper:Q")  # keeps the bar's top in view
    breakeven = base.mark_rule(strokeDash=[4, 4], color="#dc2626").encode(y=alt.datum(1.0))
    return (
        alt.layer(band, line, points, ends, breakeven)
        .properties(width=200, height=160)
        .facet(facet=alt.Facet("label:N", title=None), columns=4)
        .properties(
            title=alt.Title("ROI per channel over successive runs", subtitle="Bars: the run's interval. Red dashes: break-even.")
        )
        .resolve_scale(y="independent")
    )


def backtest_forecasts(forecasts: pd.DataFrame, actual: pd.DataFrame) -> alt.LayerChart:
    """Actual weekly revenue (dark line) and, from each past origin, what a fit on the weeks before it forecast."""
    x = alt.X("week_start_date:T", title="Week")
    actual_line = (
        alt.Chart(actual.assign(series="Actual"))
        .mark_line(color=ACTUAL_COLOR, point=alt.OverlayMarkDef(size=14, color=ACTUAL_COLOR))
        .encode(
            x=x,
            y=alt.Y("actual_revenue:Q", title="Weekly revenue", axis=MONEY_AXIS, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("week_start_date:T", title="Week"),
                alt.Tooltip("actual_revenue:Q", title="Actual", format=MONEY_TOOLTIP),
            ],
        )
    )
    forecast_lines = (
        alt.Chart(forecasts)
        .mark_line(strokeDash=[5, 3], point=alt.OverlayMarkDef(size=10))
        .encode(
            x=x,
            y="forecast_revenue:Q",
            color=alt.Color("origin:N", title="Forecast made", scale=alt.Scale(scheme="oranges")),
            tooltip=[
                alt.Tooltip("origin:N", title="Forecast made"),
                alt.Tooltip("week_start_date:T", title="Week"),
                alt.Tooltip("horizon_weeks:Q", title="Weeks ahead"),
                alt.Tooltip("forecast_revenue:Q", title="Forecast", format=MONEY_TOOLTIP),
                alt.Tooltip("actual_revenue:Q", title="Actual", format=MONEY_TOOLTIP),
            ],
        )
    )
    return alt.layer(actual_line, forecast_lines).properties(
        title=alt.Title(
            "Backtest: what past origins forecast vs what happened",
            subtitle="Each dashed line starts at an origin: the model refitted on the weeks before it only.",
        ),
        height=HEIGHT,
    )


def error_by_horizon(by_horizon: pd.DataFrame) -> alt.Chart:
    """Mean absolute percentage error of the backtest forecasts by weeks ahead."""
    return (
        alt.Chart(by_horizon)
        .mark_bar(color=HOLDOUT_COLOR)
        .encode(
            x=alt.X("horizon_weeks:O", title="Weeks ahead of the origin"),
            y=alt.Y("mape:Q", title="Mean absolute error", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("horizon_weeks:O", title="Weeks ahead"),
                alt.Tooltip("mape:Q", title="MAPE", format=".1%"),
                alt.Tooltip("bias:Q", title="Bias", format="+.1%"),
                alt.Tooltip("forecasts:Q", title="Forecasts"),
            ],
        )
        .properties(title="Forecast error by horizon", height=260)
    )


def challenger_response(curves: pd.DataFrame, title: str) -> alt.LayerChart:
    """One channel: the MMM's expected curve with its band next to the challenger's implied curve."""
    x = alt.X("weekly_spend:Q", title="Weekly spend", axis=MONEY_AXIS)
    mmm = curves[curves["model"] == "MMM (expected)"]
    band = (
        alt.Chart(mmm)
        .mark_area(opacity=0.15, color=FITTED_COLOR)
        .encode(x=x, y=alt.Y("mmm_lower:Q", title="Weekly revenue", axis=MONEY_AXIS), y2="mmm_upper:Q")
    )
    lines = (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x=x,
            y="revenue:Q",
            color=alt.Color(
                "model:N",
                title=None,
                scale=alt.Scale(domain=["MMM (expected)", "Challenger (implied)"], range=[FITTED_COLOR, HOLDOUT_COLOR]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "model:N",
                legend=None,
                scale=alt.Scale(domain=["MMM (expected)", "Challenger (implied)"], range=[[1, 0], [6, 3]]),
            ),
            tooltip=[
                alt.Tooltip("model:N", title=""),
                alt.Tooltip("weekly_spend:Q", title="Weekly spend", format=MONEY_TOOLTIP),
                alt.Tooltip("revenue:Q", title="Weekly revenue", format=MONEY_TOOLTIP),
            ],
        )
    )
    return alt.layer(band, lines).properties(title=title, height=300)


def challenger_importance(frame: pd.DataFrame) -> alt.Chart:
    """Mean |SHAP| per feature (channels coloured, baseline terms grey)."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=list(frame["label"]), title=None),
            x=alt.X("shap_mean_abs:Q", title="Mean |SHAP| per week", axis=MONEY_AXIS),
            color=alt.Color(
                "feature_type:N",
                title=None,
                scale=alt.Scale(domain=["channel", "baseline"], range=[FITTED_COLOR, BASELINE_COLORS[0]]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Feature"),
                alt.Tooltip("shap_mean_abs:Q", title="Mean |SHAP|", format=MONEY_TOOLTIP),
                alt.Tooltip("permutation_importance:Q", title="Permutation importance", format=MONEY_TOOLTIP),
            ],
        )
        .properties(height=HEIGHT)
    )


def effectiveness_path(path: pd.DataFrame, title: str) -> alt.LayerChart:
    """A drifting channel's effectiveness week by week relative to its average (line), its interval (band) and
    the average (grey dashed line at 1)."""
    x = alt.X("week_start_date:T", title=None)
    tooltip = [
        alt.Tooltip("week_start_date:T", title="Week starting", format="%Y-%m-%d"),
        alt.Tooltip("effectiveness:Q", title="Effectiveness (1 = average)", format=".2f"),
        alt.Tooltip("lower:Q", title="Interval low", format=".2f"),
        alt.Tooltip("upper:Q", title="Interval high", format=".2f"),
    ]
    band = (
        alt.Chart(path)
        .mark_area(opacity=0.2, color=FITTED_COLOR)
        .encode(x=x, y=alt.Y("lower:Q", title="Effectiveness (1 = average)", scale=alt.Scale(zero=False)), y2="upper:Q")
    )
    line = alt.Chart(path).mark_line(color=FITTED_COLOR).encode(x=x, y="effectiveness:Q", tooltip=tooltip)
    average = alt.Chart(path).mark_rule(strokeDash=[5, 4], color=CURRENT_COLOR).encode(y=alt.datum(1.0))
    return alt.layer(band, average, line).properties(title=title, height=260)
