"""Overview: actual vs fitted revenue, fit quality, stacked weekly contributions."""

from __future__ import annotations

import charts
import common
import formatting as fmt
import pandas as pd
import streamlit as st

# shown as big figures, in this order (first five present); other metrics are in the table below
HEADLINE = (
    "in_sample_r2",
    "r2",
    "holdout_r2",
    "in_sample_mape",
    "mape",
    "mape_train",
    "holdout_mape",
    "mape_holdout",
    "cv_mape",
    "durbin_watson",
)


market = common.header(
    "Overview", "How well the model reproduces weekly revenue, and where revenue came from."
)

fitted = common.table_for_market("fct_fitted_revenue", market).sort_values("week_start_date")
holdout = fitted[fitted["is_holdout"].fillna(False).astype(bool)]
total_actual, total_fitted = fitted["actual_revenue"].sum(), fitted["fitted_revenue"].sum()
first, last = pd.to_datetime(fitted["week_start_date"]).min(), pd.to_datetime(fitted["week_start_date"]).max()

cols = st.columns(4)
cols[0].metric("Weeks modelled", f"{len(fitted)}", help=f"{first:%d %b %Y} to {last:%d %b %Y}")
cols[1].metric("Actual revenue", fmt.money(total_actual), help="Sum over all weeks shown")
cols[2].metric("Fitted revenue", fmt.money(total_fitted), help="Sum over all weeks shown")
cols[3].metric(
    "Holdout weeks",
    f"{len(holdout)}",
    help="Weeks kept out of the fit and used to check the forecast (shaded in the chart)",
)

st.altair_chart(charts.fitted_vs_actual(fitted), width="stretch")
st.caption(
    "The blue band is the model's interval for fitted revenue. Shaded weeks on the right were held "
    "out of the fit: if the actual line stays inside the band there, the model predicts well."
)

st.subheader("Fit quality")
diagnostics = common.table_for_market("fct_diagnostics", market, stop=False)
if diagnostics is not None:
    names = diagnostics["metric"].astype(str)
    headline = [m for m in HEADLINE if m in set(names)][:5] or list(names[:4])
    rows = diagnostics.set_index("metric")
    fig_cols = st.columns(len(headline))
    for col, metric in zip(fig_cols, headline):
        row = rows.loc[metric]
        col.metric(
            fmt.metric_label(metric),
            fmt.metric_value(metric, row["value"]),
            delta=fmt.status(row["status"]),
            delta_color="off",
            delta_arrow="off",
            help=f"{row.get('note', '')} (threshold {fmt.metric_value(metric, row['threshold'])})",
        )
    problems = diagnostics[diagnostics["status"].astype(str).str.lower().isin(["warn", "fail"])]
    # 'check:channel' rows are about one channel (identification, lift tests): listed on other pages
    is_channel_check = problems["metric"].astype(str).str.contains(":")
    for _, row in problems[~is_channel_check].iterrows():
        st.warning(
            f"**{fmt.metric_label(row['metric'])}** is {fmt.metric_value(row['metric'], row['value'])} "
            f"(threshold {fmt.metric_value(row['metric'], row['threshold'])}): {row.get('note', '')}"
        )
    if is_channel_check.any():
        st.info(
            f"{int(is_channel_check.sum())} channel-level check(s) need attention: see **Channels** "
            "(warnings in plain words) and **Data quality** (every check)."
        )
    with st.expander("All diagnostics"):
        st.dataframe(
            pd.DataFrame(
                {
                    "Check": diagnostics["metric"].map(fmt.metric_label),
                    "Value": [
                        fmt.metric_value(m, v) for m, v in zip(diagnostics["metric"], diagnostics["value"])
                    ],
                    "Threshold": [
                        fmt.metric_value(m, v)
                        for m, v in zip(diagnostics["metric"], diagnostics["threshold"])
                    ],
                    "Status": diagnostics["status"].map(fmt.status),
                    "What it means": diagnostics.get("note", ""),
                }
            ),
            hide_index=True,
            width="stretch",
        )

st.subheader("Weekly contributions")
contributions = common.table_for_market("fct_contributions", market, stop=False)
if contributions is not None:
    labels = common.channel_labels(market)
    st.altair_chart(charts.stacked_contributions(contributions, labels), width="stretch")
    channel_total = contributions.loc[contributions["component_type"] == "channel", "contribution"].sum()
    all_total = contributions["contribution"].sum()
    st.caption(
        f"Grey bars are the baseline (revenue the model expects without media); coloured bars are "
        f"channels. Media drove {fmt.money(channel_total)} of {fmt.money(all_total)} fitted revenue "
        f"({fmt.share(channel_total / all_total if all_total else float('nan'))})."
    )
