"""Challenger: does a flexible model forecast better than the MMM, what it relies on, and its implied curves."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import label

NOT_CAUSAL = (
    "The challenger's importances and curves are **predictive, not causal**: trees fitted to observational data "
    "credit whatever moves with revenue (spend that follows demand, a channel that always runs with another). "
    "They point at what the MMM may be missing; they do not say what a channel is worth. "
    "**Every budget number on this dashboard (Budget, scenarios, target budgets, response curves) comes from the MMM.**"
)


@dataclass(frozen=True)
class Verdict:
    level: str  # 'warning' or 'success' (or 'info' when there is no comparison)
    text: str


def verdict(validation: pd.DataFrame, diagnostics: pd.DataFrame) -> Verdict:
    """The pooled comparison in one sentence, with the check's message when the challenger is clearly better, or
    the residual-structure check's message when the MMM's residuals follow a shape it cannot take."""
    pooled = validation[validation["fold"] == 0]
    check = diagnostics[diagnostics["check_name"] == "challenger_cv_mape_ratio"]
    residual = diagnostics[diagnostics["check_name"] == "challenger_residual_structure"]
    residual_warns = bool(len(residual)) and residual["status"].iloc[0] == "warn"
    if pooled.empty:
        if residual_warns:
            return Verdict("warning", str(residual["message"].iloc[0]))
        message = check["message"].iloc[0] if len(check) else "the challenger was not compared with the MMM"
        return Verdict("info", f"{message[:1].upper()}{message[1:]}.")
    row = pooled.iloc[0]
    clearly = bool(row["is_challenger_clearly_better"]) if pd.notna(row["is_challenger_clearly_better"]) else False
    if clearly and len(check):
        return Verdict("warning", str(check["message"].iloc[0]))
    if residual_warns:
        return Verdict("warning", str(residual["message"].iloc[0]))
    return Verdict(
        "success",
        f"The MMM holds up: on the {int(row['test_weeks'])} cross-validation weeks the challenger's error is "
        f"{fmt.share(row['challenger_mape'])} against the MMM's {fmt.share(row['mmm_mape'])} "
        f"(ratio {row['mape_ratio']:.2f}, paired t = {row['paired_t']:.1f}); it would need to be at most 0.95 "
        "with t at least 1.645 to count as clearly better.",
    )


def folds_table(validation: pd.DataFrame) -> pd.DataFrame:
    ordered = validation.sort_values("fold", key=lambda s: s.replace(0, 10**6))
    return pd.DataFrame(
        {
            "Fold": ["All folds" if f == 0 else str(int(f)) for f in ordered["fold"]],
            "First forecast week": pd.to_datetime(ordered["test_start_date"]).dt.strftime("%Y-%m-%d"),
            "Weeks": ordered["test_weeks"].astype(int),
            "MMM error (MAPE)": ordered["mmm_mape"].map(fmt.share),
            "Challenger error (MAPE)": ordered["challenger_mape"].map(fmt.share),
            "Ratio": ordered["mape_ratio"].map(lambda v: f"{v:.2f}"),
        }
    )


def importance(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Importance per feature, channels first by SHAP, with display names."""
    out = frame.assign(
        label=[
            label(f, labels) if t == "channel" else str(f).replace("_", " ")
            for f, t in zip(frame["feature"], frame["feature_type"])
        ]
    )
    return out.sort_values(["feature_type", "shap_mean_abs"], ascending=[False, False], kind="stable").reset_index(
        drop=True
    )


def importance_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Feature": frame["label"],
            "Kind": frame["feature_type"],
            "Mean |SHAP| per week": frame["shap_mean_abs"].map(fmt.money),
            "Permutation importance (RMSE increase)": [
                f"{fmt.money(v)} ± {fmt.money(s)}"
                for v, s in zip(frame["permutation_importance"], frame["permutation_importance_sd"])
            ],
            "Challenger's share of media (SHAP)": frame["shap_share_of_media"].map(
                lambda v: fmt.share(v) if pd.notna(v) else "–"
            ),
            "MMM's share of media revenue": frame["mmm_contribution_share"].map(
                lambda v: fmt.share(v) if pd.notna(v) else "–"
            ),
        }
    )


def response_long(response: pd.DataFrame) -> pd.DataFrame:
    """One row per channel, spend and model: 'MMM (expected)' and 'Challenger (implied)'."""
    mmm = response.assign(model="MMM (expected)", revenue=response["mmm_expected_weekly_revenue"])
    chal = response.assign(model="Challenger (implied)", revenue=response["challenger_weekly_revenue"])
    return pd.concat([mmm, chal], ignore_index=True)[
        ["channel", "weekly_spend", "model", "revenue", "mmm_lower", "mmm_upper"]
    ]


def channel_order(importance_frame: pd.DataFrame) -> list[str]:
    return list(importance_frame.loc[importance_frame["feature_type"] == "channel", "feature"])
