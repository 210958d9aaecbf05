"""Experiments: each lift test's measured incremental revenue next to the model's prediction.

fct_lift_test_calibration.z_score = (predicted - measured) / combined standard error, so a POSITIVE z
means the model predicts MORE lift than the experiment measured: the model is too high (it overstates
the channel); a negative z means it is too low.
"""

from __future__ import annotations

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import label

Z90 = 1.6448536269514722  # the measured interval shown: estimate ± 1.645 standard errors (90%)
AGREE_Z = 2.0  # |z| above this: model and experiment disagree (the contract's reading of z_score)


def verdict(z: float) -> str:
    """'✓ consistent' within ±AGREE_Z; else '✗ model too high' (z > 0: predicted above measured) or
    '✗ model too low' (z < 0)."""
    if pd.isna(z):
        return "—"
    if abs(z) <= AGREE_Z:
        return "✓ consistent"
    return "✗ model too high" if z > 0 else "✗ model too low"


def ordered(lift: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """One market's lift tests by start date, with a `label`: 'experiment · channel name'."""
    lift = lift.sort_values(["start_date", "experiment_id"], kind="stable").reset_index(drop=True)
    lift["label"] = [f"{e} · {label(c, labels)}" for e, c in zip(lift["experiment_id"], lift["channel"])]
    return lift


def disagreements(lift: pd.DataFrame) -> list[str]:
    """A sentence per test where |z| > AGREE_Z, saying in which direction the model is off."""
    out = []
    for _, row in lift.iterrows():
        z = row["z_score"]
        if pd.notna(z) and abs(z) > AGREE_Z:
            direction = "more" if z > 0 else "less"
            out.append(
                f"**{row['label']}**: {verdict(z).removeprefix('✗ ')}: it predicts {direction} lift than the test "
                f"measured ({fmt.money(row['predicted_lift'])} predicted vs {fmt.money(row['measured_lift'])} "
                f"measured, z = {z:+.2f})."
            )
    return out


def lift_table(lift: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Experiment": lift["experiment_id"],
            "Channel": lift["channel"].map(lambda c: label(c, labels)),
            "Dates": [
                f"{pd.Timestamp(s):%d %b %Y} – {pd.Timestamp(e):%d %b %Y}" for s, e in zip(lift["start_date"], lift["end_date"])
            ],
            "Measured lift": lift["measured_lift"].map(fmt.money),
            "Measured interval": [
                fmt.money_range(m - Z90 * se, m + Z90 * se) for m, se in zip(lift["measured_lift"], lift["measured_lift_se"])
            ],
            "Predicted lift": lift["predicted_lift"].map(fmt.money),
            "Predicted interval": [
                fmt.money_range(lo, hi) for lo, hi in zip(lift["predicted_lift_lower"], lift["predicted_lift_upper"])
            ],
            "z-score": lift["z_score"].map(lambda z: f"{z:+.2f}" if pd.notna(z) else "—"),
            "Verdict": lift["z_score"].map(verdict),
        }
    )


def other_markets(lift_all: pd.DataFrame) -> list[str]:
    return sorted(lift_all["market"].dropna().astype(str).unique())
