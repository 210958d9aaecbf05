"""The planning views (experiment planner, next quarter's plans), without Streamlit, on the tables of the real build.

Expected values are derived from the built tables, never typed in.
"""

from __future__ import annotations

import pandas as pd

from dashboard import formatting as fmt
from dashboard import planning_charts
from dashboard.views import experiment_plan, plan_forecast


def market(tables: dict[str, pd.DataFrame], name: str, market_name: str) -> pd.DataFrame:
    frame = tables[name]
    return frame[frame["market"] == market_name].reset_index(drop=True)


def labels_of(tables, market_name: str) -> dict[str, str]:
    summary = market(tables, "fct_channel_summary", market_name)
    return dict(zip(summary["channel"], summary["display_name"]))


# --- experiment planner ----------------------------------------------------------------------------------------


def test_every_modeled_channel_is_ranked_once(tables):
    plan = tables["fct_experiment_plan"]
    summary = tables["fct_channel_summary"]
    summary = summary[summary["market"] != "national"]  # the national rows add the markets up
    assert set(zip(plan["market"], plan["channel"])) == set(zip(summary["market"], summary["channel"]))
    for m in plan["market"].unique():
        rows = experiment_plan.recommended(market(tables, "fct_experiment_plan", m))
        assert rows[["market", "channel"]].duplicated().sum() == 0
        assert list(rows["priority_rank"]) == sorted(rows["priority_rank"])
        table = experiment_plan.ranking_table(market(tables, "fct_experiment_plan", m), labels_of(tables, m))
        assert list(table["Channel"]) == [labels_of(tables, m)[c] for c in rows["channel"]]
        assert list(table["Value of testing"]) == [fmt.money(v) for v in rows["value_of_testing"]]


def test_next_test_is_the_most_valuable_testable_channel_of_the_market(tables):
    plan = tables["fct_experiment_plan"]
    n_all = plan.drop_duplicates(["market", "channel"]).shape[0]
    for m in plan["market"].unique():
        rows = market(tables, "fct_experiment_plan", m)
        labels = labels_of(tables, m)
        figures, sentence = experiment_plan.next_test(rows, labels, n_all)
        best = rows[rows["is_recommended"] & rows["is_testable"]].sort_values("priority_rank")
        if best.empty:
            assert sentence is None
            continue
        top = best.iloc[0]
        shown = {f.label: f for f in figures}
        assert shown["Test next"].value == labels[top["channel"]]
        assert shown["Test next"].help.startswith(f"Priority {int(top['priority_rank'])} of {n_all}")
        assert shown["Expected lift"].value == fmt.money(top["expected_lift"])
        assert shown["Power"].value == fmt.share(top["power"])
        assert f"for {int(top['test_weeks'])} week" in sentence and fmt.money(top["minimum_detectable_lift"]) in sentence
        assert top["power"] >= top["target_power"]


def test_untestable_channels_are_named(tables):
    plan = tables["fct_experiment_plan"]
    for m in plan["market"].unique():
        rows = market(tables, "fct_experiment_plan", m)
        labels = labels_of(tables, m)
        sentence = experiment_plan.untestable(rows, labels)
        hopeless = rows[rows["is_recommended"] & ~rows["is_testable"]]
        if hopeless.empty:
            assert sentence is None
        else:
            assert sentence.startswith("Cannot be tested usefully with the markets available")
            assert all(f"**{labels[c]}**" in sentence for c in hopeless["channel"])


def test_design_sentences_name_markets_weeks_and_multipliers(tables):
    rows = tables["fct_experiment_plan"]
    rows = rows[rows["test_weeks"].notna()]
    for _, r in rows.iterrows():
        text = experiment_plan.design_sentence(r, {})
        assert f"for {int(r['test_weeks'])} week" in text and r["treated_markets"].upper() in text
        if r["test_design"] == "heavy_up":
            k = 1 + r["weekly_spend_change"] / r["current_weekly_spend"]
            assert f"{k:g}x" in text
        if r["test_design"] == "geo_holdout":
            assert "as control" in text


def test_value_chart_has_one_bar_per_channel(tables):
    rows = market(tables, "fct_experiment_plan", "us")
    frame = experiment_plan.value_chart_frame(rows, labels_of(tables, "us"))
    spec = planning_charts.testing_value_bars(frame).to_dict()
    assert len(frame) == rows["channel"].nunique()
    assert spec["title"] == "Where a lift test is worth most"


def test_validation_says_how_many_tests_the_model_predicted(tables):
    validation = tables["fct_experiment_validation"]
    calibration = tables["fct_lift_test_calibration"]
    assert set(validation["experiment_id"]) == set(calibration["experiment_id"])
    for m in validation["market"].unique():
        rows = market(tables, "fct_experiment_validation", m)
        head, misses = experiment_plan.validation_summary(rows, labels_of(tables, m))
        right = int(rows["is_model_right"].sum())
        assert f"**{right} of {len(rows)}**" in head
        assert len(misses) == len(rows) - right
        table = experiment_plan.validation_table(rows, labels_of(tables, m))
        assert list(table["Verdict"]) == [
            experiment_plan.verdict(z) for z in rows.sort_values(["start_date", "experiment_id"])["z_score_before"]
        ]


def test_the_fixtures_disagreeing_test_was_also_missed_before_calibration(tables):
    """The fixture's Canadian search test measured less than the model predicts: before seeing it, the model
    predicted more (z > 2: 'model too high'), and calibration pulls the prediction toward the measurement."""
    validation = tables["fct_experiment_validation"].set_index("experiment_id")
    calibration = tables["fct_lift_test_calibration"].set_index("experiment_id")
    off = calibration[calibration["z_score"] > 2].index
    assert len(off) == 1
    row = validation.loc[off[0]]
    assert row["z_score_before"] > 2 and not row["is_model_right"]
    assert row["z_score_after"] < row["z_score_before"]
    assert abs(row["predicted_lift_after"] - row["measured_lift"]) < abs(row["predicted_lift_before"] - row["measured_lift"])


# --- plans -----------------------------------------------------------------------------------------------------


def test_plans_in_reading_order_with_the_spend_plan_first(tables):
    for m in tables["fct_plan_summary"]["market"].unique():
        summary = market(tables, "fct_plan_summary", m)
        names = plan_forecast.plans(summary)
        assert names[:3] == ["spend_plan", "current_spend", "optimized"]  # the shipped seed plans us and ca
        assert plan_forecast.default_plan(summary) == "spend_plan"


def test_plan_figures_and_sentence(tables):
    summary = market(tables, "fct_plan_summary", "us")
    row = summary.set_index("plan_name").loc["spend_plan"]
    shown = {f.label: f.value for f in plan_forecast.figures(summary, "spend_plan")}
    assert shown["Planned spend"] == fmt.money(row["planned_spend"])
    assert shown["Expected revenue"] == fmt.money(row["expected_revenue"])
    assert shown["vs current spend"] == fmt.money(row["revenue_change_vs_current"], signed=True)
    assert shown["vs same weeks last year"] == fmt.share(row["growth_vs_last_year"], signed=True)
    sentence = plan_forecast.plan_sentence(summary, "spend_plan")
    assert fmt.money(row["expected_revenue"]) in sentence and f"{int(row['n_weeks'])} weeks" in sentence


def test_target_growth_note(tables):
    for m in tables["fct_plan_summary"]["market"].unique():
        summary = market(tables, "fct_plan_summary", m)
        level, sentence = plan_forecast.target_note(summary)
        row = summary.set_index("plan_name").loc["target_growth"]
        assert row["target_growth"] == 0.15
        if row["is_target_reached"]:
            assert level == "success" and fmt.money(row["planned_spend"]) in sentence
            assert row["growth_vs_last_year"] >= 0.15 - 1e-9
        else:
            assert level == "warning" and "cannot be reached" in sentence


def test_allocation_table_rows_are_weeks_and_sum_to_the_plan(tables):
    allocation = market(tables, "fct_plan_allocation", "us")
    summary = market(tables, "fct_plan_summary", "us").set_index("plan_name")
    labels = labels_of(tables, "us")
    for plan in summary.index:
        frame = plan_forecast.allocation_frame(allocation, plan, labels)
        assert (
            frame["planned_spend"].sum() == summary.loc[plan, "planned_spend"]
            or abs(frame["planned_spend"].sum() - summary.loc[plan, "planned_spend"]) < 1e-6 * summary.loc[plan, "planned_spend"]
        )
        table = plan_forecast.allocation_table(allocation, plan, labels)
        assert len(table) == summary.loc[plan, "n_weeks"]
        assert set(labels.values()) <= set(table.columns)


def test_forecast_chart_has_every_plan_and_last_year(tables):
    forecast = market(tables, "fct_plan_forecast", "ca")
    frame = plan_forecast.forecast_chart_frame(forecast)
    spec = planning_charts.plan_forecast_lines(frame, plan_forecast.plan_label("spend_plan")).to_dict()
    assert set(frame["plan"]) == {plan_forecast.plan_label(p) for p in forecast["plan_name"].unique()}
    assert spec["title"].startswith("Expected weekly revenue by plan")
    assert len(spec["layer"]) == 3


def test_target_growth_not_evaluated_or_out_of_reach():
    """Edge cases the build does not produce: no modeled weeks a year earlier; a target beyond the bounds."""
    base = {
        "plan_name": "target_growth",
        "target_growth": 0.15,
        "planned_spend": 1.0,
        "expected_revenue": 2.0,
        "revenue_lower": 1.0,
        "revenue_upper": 3.0,
    }
    level, text = plan_forecast.target_note(
        pd.DataFrame([{**base, "is_target_reached": False, "message": "not evaluated: no weeks a year earlier"}])
    )
    assert level == "warning" and text == "Target growth +15.0%: not evaluated: no weeks a year earlier."
    level, text = plan_forecast.target_note(pd.DataFrame([{**base, "is_target_reached": False, "message": "too far"}]))
    assert level == "warning" and text == "+15.0% on last year cannot be reached: too far."
    assert plan_forecast.target_note(pd.DataFrame({"plan_name": ["optimized"]})) is None
