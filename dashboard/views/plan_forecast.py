"""Budget page, next quarter: the dated forecast of each plan (fct_plan_summary, fct_plan_forecast,
fct_plan_allocation). Pure functions, no Streamlit.

Plans: spend_plan (the user's seed spend_plan), current_spend (every channel held at today's weekly spend),
optimized (the quarter budget spread over weeks and channels within the bounds) and target_growth (the smallest
budget reaching var plan_target_growth on the same weeks last year, when set).
"""

from __future__ import annotations

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import Figure, label

PLAN_LABELS = {
    "spend_plan": "Your spend plan",
    "current_spend": "Current spend held",
    "optimized": "Optimized split of the budget",
    "target_growth": "Target growth",
}
PLAN_ORDER = list(PLAN_LABELS)


def plan_label(name: str) -> str:
    return PLAN_LABELS.get(str(name), str(name))


def plans(summary: pd.DataFrame) -> list[str]:
    """The market's plans in reading order."""
    names = list(summary["plan_name"])
    return [p for p in PLAN_ORDER if p in names] + sorted(p for p in names if p not in PLAN_ORDER)


def default_plan(summary: pd.DataFrame) -> str:
    """The plan shown first: the user's spend plan when there is one, else the optimized split."""
    names = plans(summary)
    return "spend_plan" if "spend_plan" in names else ("optimized" if "optimized" in names else names[0])


def figures(summary: pd.DataFrame, plan: str) -> list[Figure]:
    row = summary.set_index("plan_name").loc[plan]
    weeks = f"{pd.Timestamp(row['first_week_start_date']):%d %b %Y} – {pd.Timestamp(row['last_week_start_date']):%d %b %Y}"
    out = [
        Figure("Planned spend", fmt.money(row["planned_spend"]), f"{int(row['n_weeks'])} weeks: {weeks}"),
        Figure(
            "Expected revenue",
            fmt.money(row["expected_revenue"]),
            f"Prediction interval {fmt.money_range(row['revenue_lower'], row['revenue_upper'])}",
        ),
        Figure(
            "vs current spend",
            fmt.money(row["revenue_change_vs_current"], signed=True),
            "Interval "
            + fmt.money_range(row["revenue_change_vs_current_lower"], row["revenue_change_vs_current_upper"], signed=True),
        ),
    ]
    if pd.notna(row["growth_vs_last_year"]):
        out.append(
            Figure(
                "vs same weeks last year",
                fmt.share(row["growth_vs_last_year"], signed=True),
                f"Last year: {fmt.money(row['revenue_same_weeks_last_year'])}",
            )
        )
    return out


def plan_sentence(summary: pd.DataFrame, plan: str) -> str:
    """What the quarter brings under the plan, in one sentence."""
    row = summary.set_index("plan_name").loc[plan]
    text = (
        f"Under **{plan_label(plan).lower()}**, the {int(row['n_weeks'])} weeks from "
        f"{pd.Timestamp(row['first_week_start_date']):%d %b %Y} are expected to bring **{fmt.money(row['expected_revenue'])}** "
        f"({fmt.money_range(row['revenue_lower'], row['revenue_upper'])}) for {fmt.money(row['planned_spend'])} of spend"
    )
    if pd.notna(row["growth_vs_last_year"]):
        text += f", {fmt.share(row['growth_vs_last_year'], signed=True)} on the same weeks last year"
    return text + "."


def target_note(summary: pd.DataFrame) -> tuple[str, str] | None:
    """(level, sentence) about var plan_target_growth, when set."""
    rows = summary[summary["plan_name"] == "target_growth"]
    if rows.empty:
        return None
    row = rows.iloc[0]
    goal = fmt.share(row["target_growth"], signed=True)
    if bool(row["is_target_reached"]):
        return "success", (
            f"To reach {goal} on the same weeks last year, spend **{fmt.money(row['planned_spend'])}** over "
            f"the quarter, split as the target-growth plan shows: expected revenue "
            f"{fmt.money(row['expected_revenue'])} ({fmt.money_range(row['revenue_lower'], row['revenue_upper'])})."
        )
    if str(row["message"]).startswith("not evaluated"):
        return "warning", f"Target growth {goal}: {row['message']}."
    return "warning", f"{goal} on last year cannot be reached: {row['message']}."


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    rows = summary.set_index("plan_name").loc[plans(summary)].reset_index()
    return pd.DataFrame(
        {
            "Plan": rows["plan_name"].map(plan_label),
            "Spend": rows["planned_spend"].map(fmt.money),
            "Expected revenue": rows["expected_revenue"].map(fmt.money),
            "Interval": [fmt.money_range(lo, hi) for lo, hi in zip(rows["revenue_lower"], rows["revenue_upper"])],
            "Media revenue": rows["expected_media_revenue"].map(fmt.money),
            "vs current spend": rows["revenue_change_vs_current"].map(lambda v: fmt.money(v, signed=True)),
            "vs last year": rows["growth_vs_last_year"].map(lambda v: fmt.share(v, signed=True)),
            "Notes": rows["message"].fillna(""),
        }
    )


def forecast_chart_frame(forecast: pd.DataFrame) -> pd.DataFrame:
    """Weekly expected revenue of every plan (long), with the plan's label."""
    frame = forecast.copy()
    frame["plan"] = frame["plan_name"].map(plan_label)
    return frame.sort_values(["plan_name", "week_start_date"]).reset_index(drop=True)


def allocation_frame(allocation: pd.DataFrame, plan: str, labels: dict[str, str]) -> pd.DataFrame:
    frame = allocation[allocation["plan_name"] == plan].copy()
    frame["label"] = frame["channel"].map(lambda c: label(c, labels))
    return frame.sort_values(["week_start_date", "channel"]).reset_index(drop=True)


def allocation_table(allocation: pd.DataFrame, plan: str, labels: dict[str, str]) -> pd.DataFrame:
    """Weeks as rows, channels as columns: the plan's weekly spend per channel, and the week's total."""
    frame = allocation_frame(allocation, plan, labels)
    wide = frame.pivot_table(index="week_start_date", columns="label", values="planned_spend", aggfunc="sum")
    wide["Total"] = wide.sum(axis=1)
    out = wide.map(fmt.money)
    out.insert(0, "Week", [f"{pd.Timestamp(w):%d %b %Y}" for w in wide.index])
    return out.reset_index(drop=True)


def notes(summary: pd.DataFrame, plan: str) -> list[str]:
    message = summary.set_index("plan_name").loc[plan, "message"]
    return [m.strip() for m in str(message or "").split(";") if m.strip()]
