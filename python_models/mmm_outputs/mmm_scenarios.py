"""Predicted weekly revenue change (with interval) of each scenario in seed budget_scenarios."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import restore_fits, scenarios_table
    from mmm.pipeline import settings_from_table as _settings

    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(),
                        dbt.ref("int_lift_tests_converted").df())
    return scenarios_table(fits, dbt.ref("budget_scenarios").df(), _settings(dbt.ref("mmm_run_settings").df()))
