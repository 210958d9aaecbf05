"""What the dashboard reads: each public mart and the columns of it the sections use, declared once.

The names are those of the public contract (models/marts/**/_*__models.yml, docs/contracts.md).
``dashboard.warehouse`` reads nothing else: another table is refused, and only these columns are
selected, so a section that uses a column not declared here fails (KeyError) in the tests.
dashboard/tests/test_dashboard_contract.py checks every table and column here against
``mmm.contracts.public_tables()``.
"""

from __future__ import annotations

READS: dict[str, tuple[str, ...]] = {
    "fct_fitted_revenue": (
        "market",
        "week_start_date",
        "actual_revenue",
        "fitted_revenue",
        "fitted_lower",
        "fitted_upper",
        "is_holdout",
    ),
    "fct_contributions": ("market", "week_start_date", "component", "component_type", "contribution"),
    "fct_channel_summary": (
        "market",
        "channel",
        "display_name",
        "spend",
        "contribution",
        "contribution_lower",
        "contribution_upper",
        "roi",
        "roi_lower",
        "roi_upper",
        "mroi",
        "mroi_lower",
        "mroi_upper",
        "current_weekly_spend",
        "saturation_weekly_spend",
        "spend_share",
        "contribution_share",
        "warnings",
    ),
    "fct_response_curves": (
        "market",
        "channel",
        "weekly_spend",
        "expected_weekly_revenue",
        "lower",
        "upper",
        "mroi",
        "is_current_spend",
    ),
    "fct_fit_parameters": ("market", "channel", "parameter", "estimate", "lower", "upper"),
    "fct_optimal_allocation": (
        "market",
        "channel",
        "current_weekly_spend",
        "optimal_weekly_spend",
        "min_weekly_spend",
        "max_weekly_spend",
        "expected_revenue_current",
        "expected_revenue_optimal",
        "expected_revenue_optimal_lower",
        "expected_revenue_optimal_upper",
        "binding_constraint",
        "weekly_budget",
        "is_joint_over_markets",
        "optimizer_message",
        "optimizer_success",
    ),
    "fct_target_budget": (
        "market",
        "mode",
        "target",
        "feasible",
        "weekly_budget",
        "achieved",
        "channel",
        "weekly_spend",
        "expected_weekly_revenue",
        "message",
    ),
    "fct_scenarios": (
        "scenario_name",
        "market",
        "description",
        "spend_change",
        "revenue_change",
        "revenue_change_lower",
        "revenue_change_upper",
        "revenue_change_per_spend_change",
        "message",
    ),
    "fct_diagnostics": ("market", "check_name", "channel", "category", "value", "threshold", "status", "message"),
    "fct_lift_test_calibration": (
        "market",
        "experiment_id",
        "channel",
        "measured_lift",
        "measured_lift_se",
        "predicted_lift",
        "predicted_lift_lower",
        "predicted_lift_upper",
        "z_score",
        "start_date",
        "end_date",
    ),
    "fct_quarantined_rows": ("source_name", "raw_row_id", "rule", "reason", "market", "raw_record"),
    "fct_data_quality_results": (
        "expectation",
        "column_name",
        "success",
        "observed_value",
        "is_critical",
        "details",
    ),
}

# the tables that say whether a build wrote model outputs at all (the market list comes from them)
OUTPUT_TABLES: tuple[str, ...] = ("fct_fitted_revenue", "fct_channel_summary", "fct_optimal_allocation")
