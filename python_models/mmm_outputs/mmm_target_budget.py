"""Target modes: the smallest budget reaching var target_revenue_weekly, the largest keeping mROI above var target_mroi."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import restore_fits, target_budget_table
    from mmm.pipeline import settings_from_table as _settings

    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(),
                        dbt.ref("int_lift_tests_converted").df())
    return target_budget_table(fits, dbt.ref("int_channel_settings").df(), _settings(dbt.ref("mmm_run_settings").df()))
