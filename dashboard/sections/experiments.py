"""Experiments: each lift test's measured incremental revenue vs what the model predicts for it."""

from __future__ import annotations

import charts
import common
import formatting as fmt
import pandas as pd
import streamlit as st

import data

Z90 = 1.6448536269514722  # the measured interval shown: estimate ± 1.645 standard errors (90%)
AGREE_Z = 2.0  # |z| above this: model and experiment disagree


def verdict(z: float) -> str:
    if pd.isna(z):
        return "—"
    if abs(z) <= AGREE_Z:
        return "✓ consistent"
    return "✗ model too high" if z < 0 else "✗ model too low"


market = common.header("Experiments", "Do the model's channel effects match what lift tests measured?")

result = data.load_table("fct_lift_test_calibration")
if result.is_empty:
    st.warning(data.missing_message(result))
    st.stop()
lift = data.for_market(result, market)
if lift.empty:
    others = ", ".join(sorted(common.market_label(m) for m in result.frame["market"].astype(str).unique()))
    st.info(f"No lift tests in market {common.market_label(market)}. Lift tests exist for: {others}.")
    st.stop()

labels = common.channel_labels(market)
lift = lift.sort_values("start_date").reset_index(drop=True)
lift["label"] = [f"{e} · {labels.get(c, c)}" for e, c in zip(lift["experiment_id"], lift["channel"])]

st.altair_chart(charts.lift_comparison(lift, Z90), width="stretch")
st.caption(
    "Black: lift the experiment measured (± 1.645 standard errors, 90%). Blue: incremental revenue "
    "the model predicts for the same channel, market and weeks, with its interval. The z-score is the "
    f"gap in combined standard errors; beyond ±{AGREE_Z:g} the two disagree."
)

for _, row in lift.iterrows():
    if pd.notna(row["z_score"]) and abs(row["z_score"]) > AGREE_Z:
        direction = "overstates" if row["z_score"] < 0 else "understates"
        st.warning(
            f"**{row['label']}**: the model {direction} this test's lift "
            f"({fmt.money(row['predicted_lift'])} predicted vs {fmt.money(row['measured_lift'])} "
            f"measured, z = {row['z_score']:.2f})."
        )

st.dataframe(
    pd.DataFrame(
        {
            "Experiment": lift["experiment_id"],
            "Channel": lift["channel"].map(lambda c: labels.get(c, c)),
            "Dates": [
                f"{pd.Timestamp(s):%d %b %Y} – {pd.Timestamp(e):%d %b %Y}"
                for s, e in zip(lift["start_date"], lift["end_date"])
            ],
            "Measured lift": lift["measured_lift"].map(fmt.money),
            "Measured interval": [
                fmt.money_range(m - Z90 * se, m + Z90 * se)
                for m, se in zip(lift["measured_lift"], lift["measured_lift_se"])
            ],
            "Predicted lift": lift["predicted_lift"].map(fmt.money),
            "Predicted interval": [
                fmt.money_range(lo, hi)
                for lo, hi in zip(lift["predicted_lift_lower"], lift["predicted_lift_upper"])
            ],
            "z-score": lift["z_score"].map(lambda z: f"{z:.2f}" if pd.notna(z) else "—"),
            "Verdict": lift["z_score"].map(verdict),
        }
    ),
    hide_index=True,
    width="stretch",
)
