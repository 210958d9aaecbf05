"""Experiment planner: which lift test to run next (fct_experiment_plan) and whether the model predicted the
lift tests before it saw them (fct_experiment_validation). Pure functions, no Streamlit.

fct_experiment_plan has one row per market, channel and test design; ``is_recommended`` marks the design to run
for each channel, ``is_testable`` whether it reaches the target power within the longest test allowed.
fct_experiment_validation.z_score_before = (predicted before - measured) / combined se: positive when the model,
before seeing the test, predicted MORE lift than it measured.
"""

from __future__ import annotations

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import Figure, label

DESIGN_WORDS = {"go_dark": "Go dark", "heavy_up": "Heavy-up", "geo_holdout": "Geo holdout"}
AGREE_Z = 2.0


def recommended(plan: pd.DataFrame) -> pd.DataFrame:
    """One market's recommended design per channel, by priority (1 = most worth testing)."""
    rows = plan[plan["is_recommended"].astype(bool)]
    return rows.sort_values(["priority_rank", "channel"], kind="stable").reset_index(drop=True)


def design_sentence(row: pd.Series, labels: dict[str, str]) -> str:
    """What to do, in words: 'Switch Paid social off in US for 8 weeks' / 'Raise TV spend 3x in CA for 2 weeks'."""
    name = label(row["channel"], labels)
    market = str(row["treated_markets"]).upper()
    weeks = int(row["test_weeks"])
    if row["test_design"] == "heavy_up":
        k = 1.0 + float(row["weekly_spend_change"]) / float(row["current_weekly_spend"])
        what = f"raise {name} spend {k:g}x in {market}"
    elif row["test_design"] == "geo_holdout":
        controls = ", ".join(c.strip().upper() for c in str(row["control_markets"]).split(",") if c.strip())
        what = f"switch {name} off in {market}, with {controls} as control"
    else:
        what = f"switch {name} off in {market}"
    return f"{what[0].upper()}{what[1:]} for {weeks} week{'s' if weeks != 1 else ''}"


def next_test(plan: pd.DataFrame, labels: dict[str, str], n_channels_all: int) -> tuple[list[Figure], str | None]:
    """Headline figures and the sentence for the market's most valuable channel that can be tested usefully."""
    rows = recommended(plan)
    testable = rows[rows["is_testable"].astype(bool)]
    if testable.empty:
        return [], None
    top = testable.iloc[0]
    start = pd.Timestamp(top["start_week_start_date"])
    figures = [
        Figure(
            "Test next",
            label(top["channel"], labels),
            f"Priority {int(top['priority_rank'])} of {n_channels_all} across all markets (value of testing)",
        ),
        Figure(
            "Design",
            DESIGN_WORDS.get(top["test_design"], top["test_design"]),
            f"{int(top['test_weeks'])} weeks, measured over {int(top['measurement_weeks'])} weeks with carry-over",
        ),
        Figure(
            "Expected lift",
            fmt.money(top["expected_lift"]),
            f"Model's interval {fmt.money_range(top['expected_lift_lower'], top['expected_lift_upper'])}",
        ),
        Figure(
            "Power",
            fmt.share(top["power"]),
            f"Target {fmt.share(top['target_power'])} at {fmt.share(top['significance_level'])} significance",
        ),
    ]
    spend = float(top["total_spend_change"])
    sentence = (
        f"**Next test: {design_sentence(top, labels)}**, starting the week of {start:%d %b %Y}. It changes spend by "
        f"{fmt.money(spend, signed=True)} in total; the model expects **{fmt.money(top['expected_lift'])}** of "
        f"incremental revenue ({fmt.money_range(top['expected_lift_lower'], top['expected_lift_upper'])}), and the "
        f"test detects {fmt.money(top['minimum_detectable_lift'])} or more with {fmt.share(top['target_power'])} "
        f"power. Its expected net cost is {fmt.money(top['expected_net_cost'], signed=True)}."
    )
    return figures, sentence


def untestable(plan: pd.DataFrame, labels: dict[str, str]) -> str | None:
    """One sentence naming the channels that cannot be tested usefully with the markets available."""
    rows = recommended(plan)
    rows = rows[~rows["is_testable"].astype(bool)]
    if rows.empty:
        return None
    parts = []
    for _, r in rows.iterrows():
        if pd.notna(r["power"]):
            parts.append(
                f"**{label(r['channel'], labels)}** (at most {fmt.share(r['power'])} power in {int(r['test_weeks'])} weeks)"
            )
        else:
            parts.append(f"**{label(r['channel'], labels)}** ({r['message']})")
    return (
        "Cannot be tested usefully with the markets available: "
        + "; ".join(parts)
        + ". Their effect is too small against the weekly noise of revenue; a longer test, a larger market or "
        "finer geographic units (regions) would be needed."
    )


def ranking_table(plan: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """One row per channel: why test it (ROI uncertainty x budget) and the recommended test."""
    rows = recommended(plan)
    return pd.DataFrame(
        {
            "Priority": rows["priority_rank"].astype(int),
            "Channel": rows["channel"].map(lambda c: label(c, labels)),
            "ROI": rows["roi"].map(fmt.ratio),
            "ROI interval": [f"{fmt.ratio(lo)} – {fmt.ratio(hi)}" for lo, hi in zip(rows["roi_lower"], rows["roi_upper"])],
            "Budget a year": rows["annual_spend"].map(fmt.money),
            "Value of testing": rows["value_of_testing"].map(fmt.money),
            "Test": [DESIGN_WORDS.get(d, d) for d in rows["test_design"]],
            "Weeks": [("–" if pd.isna(w) else str(int(w))) for w in rows["test_weeks"]],
            "Spend change": rows["total_spend_change"].map(lambda v: fmt.money(v, signed=True)),
            "Expected lift": rows["expected_lift"].map(fmt.money),
            "Detectable lift": rows["minimum_detectable_lift"].map(fmt.money),
            "Power": rows["power"].map(fmt.share),
            "Testable": rows["is_testable"].map(lambda t: "✓" if t else "✗ not usefully"),
        }
    )


def designs_table(plan: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Every design considered, by channel priority."""
    rows = plan.sort_values(["priority_rank", "is_recommended", "test_design"], ascending=[True, False, True], kind="stable")
    return pd.DataFrame(
        {
            "Channel": rows["channel"].map(lambda c: label(c, labels)),
            "Design": [DESIGN_WORDS.get(d, d) for d in rows["test_design"]],
            "Recommended": rows["is_recommended"].map(lambda r: "★" if r else ""),
            "Markets (treated / control)": [
                f"{t} / {c}" if c else str(t) for t, c in zip(rows["treated_markets"], rows["control_markets"].fillna(""))
            ],
            "Weeks": [("–" if pd.isna(w) else str(int(w))) for w in rows["test_weeks"]],
            "Expected lift": [fmt.money(v) if pd.notna(v) else "–" for v in rows["expected_lift"]],
            "Lift interval": [
                fmt.money_range(lo, hi) if pd.notna(lo) else "–"
                for lo, hi in zip(rows["expected_lift_lower"], rows["expected_lift_upper"])
            ],
            "Detectable lift": rows["minimum_detectable_lift"].map(fmt.money),
            "Power": rows["power"].map(fmt.share),
            "Narrows the interval by": rows["interval_shrink_share"].map(fmt.share),
            "Net cost": rows["expected_net_cost"].map(lambda v: fmt.money(v, signed=True)),
            "What it means": rows["message"],
        }
    )


def value_chart_frame(plan: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    rows = recommended(plan)
    return pd.DataFrame(
        {
            "label": rows["channel"].map(lambda c: label(c, labels)),
            "value_of_testing": rows["value_of_testing"],
            "testable": rows["is_testable"].map(lambda t: "Can be tested" if t else "Cannot be tested usefully"),
            "roi_sd": rows["roi_sd"],
            "annual_spend": rows["annual_spend"],
        }
    )


# ---------------------------------------------------------------------- did the model predict them?


def verdict(z: float) -> str:
    if pd.isna(z):
        return "—"
    if abs(z) <= AGREE_Z:
        return "✓ predicted"
    return "✗ model too high" if z > 0 else "✗ model too low"


def validation_table(validation: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    rows = validation.sort_values(["start_date", "experiment_id"], kind="stable")
    return pd.DataFrame(
        {
            "Experiment": rows["experiment_id"],
            "Channel": rows["channel"].map(lambda c: label(c, labels)),
            "Dates": [
                f"{pd.Timestamp(s):%d %b %Y} – {pd.Timestamp(e):%d %b %Y}" for s, e in zip(rows["start_date"], rows["end_date"])
            ],
            "Measured lift": rows["measured_lift"].map(fmt.money),
            "Predicted before": rows["predicted_lift_before"].map(fmt.money),
            "Interval before": [
                fmt.money_range(lo, hi)
                for lo, hi in zip(rows["predicted_lift_before_lower"], rows["predicted_lift_before_upper"])
            ],
            "z before": rows["z_score_before"].map(lambda z: f"{z:+.2f}"),
            "Verdict": rows["z_score_before"].map(verdict),
            "Earlier tests used": rows["earlier_experiments_used"].astype(int),
            "Predicted after calibration": rows["predicted_lift_after"].map(fmt.money),
            "z after": rows["z_score_after"].map(lambda z: f"{z:+.2f}"),
        }
    )


def validation_summary(validation: pd.DataFrame, labels: dict[str, str]) -> tuple[str, list[str]]:
    """'The model predicted N of M lift tests before seeing them.' and a sentence per miss."""
    right = int(validation["is_model_right"].astype(bool).sum())
    head = (
        f"Before seeing them, the model predicted **{right} of {len(validation)}** lift test(s) of this market "
        f"(within ±{AGREE_Z:g} combined standard errors)."
    )
    misses = []
    for _, r in validation[~validation["is_model_right"].astype(bool)].iterrows():
        direction = "more" if r["z_score_before"] > 0 else "less"
        misses.append(
            f"**{r['experiment_id']} · {label(r['channel'], labels)}**: before seeing it, the model predicted {direction} "
            f"lift than the test measured ({fmt.money(r['predicted_lift_before'])} predicted vs "
            f"{fmt.money(r['measured_lift'])} measured, z = {r['z_score_before']:+.2f}); calibrated on it, the model now "
            f"predicts {fmt.money(r['predicted_lift_after'])} (z = {r['z_score_after']:+.2f})."
        )
    return head, misses
