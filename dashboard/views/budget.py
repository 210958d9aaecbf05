"""Budget: the stored optimal allocation, scenarios, target budgets and the live re-split's sentence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard import formatting as fmt
from dashboard import reoptimize
from dashboard.views.common import Figure, label, with_labels

BOUND_WORDS = {"lower": "held at its minimum", "upper": "held at its maximum"}
MODE_TITLES = {
    "target_revenue": "Smallest budget reaching a revenue target",
    "target_mroi": "Largest budget keeping a marginal ROI",
}


@dataclass(frozen=True)
class Allocation:
    frame: pd.DataFrame  # one market's fct_optimal_allocation with labels, biggest current spend first
    budget: float  # the weekly budget split over this market's channels
    figures: list[Figure]
    change_caption: str | None
    notes: list[tuple[str, str]]  # (level: info / warning / caption, text)


def ordered(allocation: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    frame = with_labels(allocation, labels)
    return frame.sort_values("current_weekly_spend", ascending=False, kind="stable").reset_index(drop=True)


def market_budget(allocation: pd.DataFrame) -> float:
    """The weekly budget split over the market's channels: fct_optimal_allocation.weekly_budget, or the
    market's part of it (its optimal spends) when one budget is shared by all markets."""
    if allocation["is_joint_over_markets"].fillna(False).astype(bool).any():
        return float(allocation["optimal_weekly_spend"].sum())
    return float(allocation["weekly_budget"].iloc[0])


def allocation_view(allocation: pd.DataFrame, curves: pd.DataFrame, labels: dict[str, str]) -> Allocation:
    """Figures, the change's interval and the optimizer's notes for one market."""
    frame = ordered(allocation, labels)
    budget = market_budget(frame)
    current_total = float(frame["current_weekly_spend"].sum())
    revenue_current = float(frame["expected_revenue_current"].sum())
    revenue_optimal = float(frame["expected_revenue_optimal"].sum())
    change = revenue_optimal - revenue_current
    if abs(budget - current_total) < 1.0:
        budget_help = "Today's total weekly spend of the market's channels (var budget_weekly not set)"
    else:
        budget_help = f"Today's total weekly spend is {fmt.money(current_total)}"
    figures = [
        Figure("Weekly budget", fmt.money(budget), budget_help),
        Figure("Expected weekly media revenue now", fmt.money(revenue_current)),
        Figure(
            "With the optimal split",
            fmt.money(revenue_optimal),
            "Interval: "
            + fmt.money_range(frame["expected_revenue_optimal_lower"].sum(), frame["expected_revenue_optimal_upper"].sum()),
        ),
        Figure(
            "Expected change per week",
            fmt.money(change, signed=True),
            None,
            fmt.share(change / revenue_current if revenue_current else np.nan, signed=True),
        ),
    ]
    low, high = reoptimize.change_interval(
        curves,
        list(frame["channel"]),
        frame["current_weekly_spend"].to_numpy(float),
        frame["optimal_weekly_spend"].to_numpy(float),
    )
    caption = None
    if pd.notna(low):
        caption = (
            f"Expected revenue change per week: **{fmt.money(change, signed=True)}**, interval "
            f"{fmt.money(low, signed=True)} to {fmt.money(high, signed=True)} (the low and high edges of every "
            "channel's response band)."
        )
    return Allocation(frame, budget, figures, caption, optimizer_notes(frame))


def optimizer_notes(allocation: pd.DataFrame) -> list[tuple[str, str]]:
    """What the reader should know about how the stored optimum was found."""
    notes: list[tuple[str, str]] = []
    if allocation["is_joint_over_markets"].fillna(False).astype(bool).any():
        total = float(allocation["weekly_budget"].iloc[0])
        notes.append(
            (
                "info",
                f"One weekly budget of {fmt.money(total)} is shared by all markets (var `budget_weekly`); "
                f"the optimizer gives this market {fmt.money(allocation['optimal_weekly_spend'].sum())} of it.",
            )
        )
    messages = [m for m in dict.fromkeys(allocation["optimizer_message"].fillna("").astype(str)) if m.strip()]
    if not allocation["optimizer_success"].fillna(True).astype(bool).all():
        notes.append(
            (
                "warning",
                "The optimizer could not confirm this optimum; read it as a good allocation, not the best one"
                + (f" ({'; '.join(messages)})." if messages else "."),
            )
        )
    elif messages:
        notes.append(("caption", "Optimizer: " + "; ".join(messages)))
    return notes


def allocation_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Current and optimal weekly spend per channel, the change, the allowed range and the bound hit."""
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
            "Allowed range": [fmt.money_range(lo, hi) for lo, hi in zip(frame["min_weekly_spend"], frame["max_weekly_spend"])],
            "Bound": frame["binding_constraint"].fillna("").map(lambda b: BOUND_WORDS.get(str(b), "—")),
        }
    ).reset_index(drop=True)


def binding_summary(frame: pd.DataFrame) -> str | None:
    """One sentence naming the channels held at a bound, or None when no bound binds."""
    parts = []
    for _, row in frame.iterrows():
        bound = "" if pd.isna(row["binding_constraint"]) else str(row["binding_constraint"])
        if bound in BOUND_WORDS:
            limit = row["min_weekly_spend"] if bound == "lower" else row["max_weekly_spend"]
            parts.append(f"**{row['label']}** {BOUND_WORDS[bound]} ({fmt.money(limit)} per week)")
    if not parts:
        return None
    return (
        "At a bound: " + "; ".join(parts) + ". The optimizer would move these further if the bounds allowed "
        "(`channel_config` multipliers, or vars `optimizer_min_multiplier` / `optimizer_max_multiplier`)."
    )


def scenario_name(name: object) -> str:
    return str(name).replace("_", " ").capitalize()


def scenarios_table(scenarios: pd.DataFrame) -> pd.DataFrame:
    """Each scenario of one market: spend change, revenue change with interval, return per $1 moved."""
    return pd.DataFrame(
        {
            "Scenario": scenarios["scenario_name"].map(scenario_name),
            "Description": scenarios["description"].fillna(""),
            "Spend change": scenarios["spend_change"].map(lambda v: fmt.money(v, signed=True)),
            "Revenue change": scenarios["revenue_change"].map(lambda v: fmt.money(v, signed=True)),
            "Revenue change interval": [
                fmt.money_range(lo, hi, signed=True)
                for lo, hi in zip(scenarios["revenue_change_lower"], scenarios["revenue_change_upper"])
            ],
            "Revenue per $1 of spend change": scenarios["revenue_change_per_spend_change"].map(fmt.ratio),
            "Note": scenarios["message"].fillna(""),
        }
    ).reset_index(drop=True)


@dataclass(frozen=True)
class TargetBudget:
    title: str
    sentence: str
    feasible: bool
    table: pd.DataFrame


def _target_value(mode: str, value: object) -> str:
    return fmt.ratio(value) if mode == "target_mroi" else fmt.money(value)


def target_sentence(mode: str, target: float, feasible: bool, budget: float, achieved: float, message: str) -> str:
    if mode == "target_mroi":
        goal = f"keep the marginal ROI of the last $1 at or above {fmt.ratio(target)}"
        reached = f"its last $1 returns ${fmt.ratio(achieved)}"
    else:
        goal = f"reach {fmt.money(target)} of expected weekly media revenue"
        reached = f"expected weekly media revenue {fmt.money(achieved)}"
    if not feasible:
        return (
            f"The channel bounds do not allow to {goal}: the closest is a weekly budget of "
            f"**{fmt.money(budget)}** ({reached})" + (f". {message}" if message else ".")
        )
    verb = "Largest" if mode == "target_mroi" else "Smallest"
    return f"{verb} weekly budget to {goal}: **{fmt.money(budget)}** ({reached})."


def target_budgets(target: pd.DataFrame, labels: dict[str, str]) -> list[TargetBudget]:
    """One block per target mode of one market's fct_target_budget (vars target_revenue_weekly,
    target_mroi); empty when neither var is set."""
    out = []
    for mode, rows in target.groupby("mode", sort=True):
        mode = str(mode)
        first = rows.iloc[0]
        message = "" if pd.isna(first["message"]) else str(first["message"]).strip()
        feasible = bool(first["feasible"]) if pd.notna(first["feasible"]) else False
        rows = rows.sort_values("weekly_spend", ascending=False, kind="stable")
        table = pd.DataFrame(
            {
                "Channel": rows["channel"].map(lambda c: label(c, labels)),
                "Weekly spend": rows["weekly_spend"].map(fmt.money),
                "Expected weekly revenue": rows["expected_weekly_revenue"].map(fmt.money),
            }
        ).reset_index(drop=True)
        sentence = target_sentence(
            mode, float(first["target"]), feasible, float(first["weekly_budget"]), float(first["achieved"]), message
        )
        title = f"{MODE_TITLES.get(mode, mode)} ({_target_value(mode, first['target'])})"
        out.append(TargetBudget(title, sentence, feasible, table))
    return out


def reoptimized_sentence(budget: float, result: reoptimize.Reallocation) -> str:
    """What the live re-split of `budget` brings, in one sentence."""
    text = (
        f"With **{fmt.money(budget)}** per week, the best split is expected to bring "
        f"**{fmt.money(result.revenue_optimal)}** of weekly media revenue, "
        f"**{fmt.money(result.revenue_change, signed=True)}** vs today's allocation"
    )
    if pd.notna(result.change_lower):
        text += f" (interval {fmt.money(result.change_lower, signed=True)} to {fmt.money(result.change_upper, signed=True)})."
    else:
        text += "."
    if pd.notna(result.marginal_roi):
        text += f" At this budget the last $1 returns ${result.marginal_roi:.2f}."
    return text


def reoptimized_frame(result: reoptimize.Reallocation, order: list[str], labels: dict[str, str]) -> pd.DataFrame:
    """The re-split as an allocation frame (labels, the stored allocation's channel order)."""
    rank = {channel: i for i, channel in enumerate(order)}
    table = with_labels(result.table(), labels)
    return table.sort_values("channel", key=lambda c: c.map(rank)).reset_index(drop=True)
