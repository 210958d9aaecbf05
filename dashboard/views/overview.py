"""Overview: weeks and revenue, fit quality from the fct_diagnostics check rows, media's share."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import Figure

# fit-quality figures shown at the top, in this order (check_name, market-level rows of fct_diagnostics)
HEADLINE_CHECKS = ("in_sample_r2", "in_sample_mape", "holdout_r2", "holdout_mape", "cv_mape", "durbin_watson")
# the checks listed under "Fit quality": how well the model fits and forecasts, and its media design
FIT_CATEGORIES = ("fit", "validation", "design")
PROBLEM = ("warn", "fail")


@dataclass(frozen=True)
class FitQuality:
    figures: list[Figure]
    problems: list[str]  # one sentence per market-level check that is not ok
    subject_problems: int  # checks about a channel, a pair, a control or a lift test that are not ok
    table: pd.DataFrame  # every fit, validation and design check of the market


def headline(fitted: pd.DataFrame) -> list[Figure]:
    """Weeks modelled, actual and fitted revenue over them, holdout weeks (one market's fct_fitted_revenue)."""
    weeks = pd.to_datetime(fitted["week_start_date"])
    holdout = int(fitted["is_holdout"].fillna(False).astype(bool).sum())
    return [
        Figure("Weeks modelled", f"{len(fitted)}", f"{weeks.min():%d %b %Y} to {weeks.max():%d %b %Y}"),
        Figure("Actual revenue", fmt.money(fitted["actual_revenue"].sum()), "Sum over all weeks shown"),
        Figure("Fitted revenue", fmt.money(fitted["fitted_revenue"].sum()), "Sum over all weeks shown"),
        Figure(
            "Holdout weeks",
            f"{holdout}",
            "Weeks kept out of the fit and used to check the forecast (shaded in the chart)",
        ),
    ]


def _status(value: object) -> str:
    return str(value).lower()


def check_sentence(row: pd.Series) -> str:
    """'**Holdout MAPE** is 8.1% (threshold 6.0%): mape on the last 13 weeks, not used to fit'."""
    name = row["check_name"]
    threshold = "" if pd.isna(row["threshold"]) else f" (threshold {fmt.check_value(name, row['threshold'])})"
    return f"**{fmt.check_label(name)}** is {fmt.check_value(name, row['value'])}{threshold}: {row['message']}"


def checks_table(checks: pd.DataFrame, subject: pd.Series | None = None) -> pd.DataFrame:
    """Checks as shown: check, (subject,) value, threshold, status, what it means."""
    columns = {"Check": checks["check_name"].map(fmt.check_label)}
    if subject is not None:
        columns["About"] = subject
    columns.update(
        {
            "Value": [fmt.check_value(n, v) for n, v in zip(checks["check_name"], checks["value"])],
            "Threshold": [fmt.check_value(n, v) for n, v in zip(checks["check_name"], checks["threshold"])],
            "Status": checks["status"].map(fmt.status),
            "What it means": checks["message"].fillna(""),
        }
    )
    return pd.DataFrame(columns).reset_index(drop=True)


def fit_quality(diagnostics: pd.DataFrame) -> FitQuality:
    """Fit-quality figures, the market-level problems in words and the fit checks (one market's
    fct_diagnostics)."""
    market_level = diagnostics[diagnostics["channel"].fillna("") == ""]
    by_name = market_level.drop_duplicates("check_name").set_index("check_name")
    figures = []
    for name in HEADLINE_CHECKS:
        if name in by_name.index:
            row = by_name.loc[name]
            threshold = "" if pd.isna(row["threshold"]) else f" (threshold {fmt.check_value(name, row['threshold'])})"
            figures.append(
                Figure(
                    fmt.check_label(name),
                    fmt.check_value(name, row["value"]),
                    f"{row['message']}{threshold}",
                    fmt.status(row["status"]),
                )
            )
    is_problem = diagnostics["status"].map(_status).isin(PROBLEM)
    problems = [check_sentence(row) for _, row in market_level[is_problem.loc[market_level.index]].iterrows()]
    subject_problems = int((is_problem & (diagnostics["channel"].fillna("") != "")).sum())
    fit = market_level[market_level["category"].isin(FIT_CATEGORIES)]
    order = fit["category"].map({c: i for i, c in enumerate(FIT_CATEGORIES)})
    fit = fit.iloc[order.argsort(kind="stable")]
    return FitQuality(figures, problems, subject_problems, checks_table(fit))


def problems_text(problems: list[str]) -> str:
    """The market-level problems as one list (one box, not one per check)."""
    return f"{len(problems)} check(s) of the market are not ok:\n" + "\n".join(f"- {p}" for p in problems)


def media_share(contributions: pd.DataFrame) -> tuple[float, float]:
    """(revenue driven by channels, all fitted revenue) over one market's fct_contributions."""
    channels = contributions.loc[contributions["component_type"] == "channel", "contribution"].sum()
    return float(channels), float(contributions["contribution"].sum())


def media_caption(contributions: pd.DataFrame) -> str:
    channels, total = media_share(contributions)
    return (
        "Grey bars are the baseline (revenue the model expects without media); coloured bars are channels. "
        f"Media drove {fmt.money(channels)} of {fmt.money(total)} fitted revenue "
        f"({fmt.share(channels / total if total else float('nan'))})."
    )
