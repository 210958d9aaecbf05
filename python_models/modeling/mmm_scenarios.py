"""Predicted weekly revenue change (with interval) of each scenario in seed budget_scenarios."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import tables
    from mmm.dbt_io import fitted_markets, frame, run_settings

    settings = dbt.ref("mmm_run_settings")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), dbt.ref("int_channel_settings"),
                          dbt.ref("int_lift_tests_converted"), settings)
    return tables.scenarios_table(fits, frame(dbt.ref("budget_scenarios")), run_settings(settings))
