"""The challenger (mmm.challenger): gradient-boosted trees on the MMM's weekly design, validated on the MMM's folds.

One table of records per market (record_type validation / importance / response / check); public as
fct_challenger_validation, fct_challenger_importance, fct_challenger_response, and its check row in fct_diagnostics.
Markets are processed in worker processes, each fit restored once.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.challenger import challenger_table_from_fits
    from mmm.dbt_io import frame, output_rows, run_settings

    curves = output_rows(dbt.ref("mmm_market_outputs"), "response_curves")
    return challenger_table_from_fits(
        frame(dbt.ref("mmm_fit")),
        frame(dbt.ref("mmm_model_input")),
        frame(dbt.ref("int_channel_settings")),
        frame(dbt.ref("int_lift_tests_converted")),
        curves[["market", "channel", "weekly_spend", "expected_weekly_revenue", "lower", "upper", "is_current_spend"]],
        run_settings(dbt.ref("mmm_run_settings")),
    )
