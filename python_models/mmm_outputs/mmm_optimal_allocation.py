"""Optimal weekly budget allocation per market under the channel bounds (vars budget_weekly, multipliers)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import optimal_allocation_table, restore_fits
    from mmm.pipeline import settings_from_table as _settings

    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(),
                        dbt.ref("int_lift_tests_converted").df())
    return optimal_allocation_table(fits, dbt.ref("int_channel_settings").df(), _settings(dbt.ref("mmm_run_settings").df()))
