"""Expected weekly revenue per channel for each sustained weekly spend, with band."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import tables
    from mmm.dbt_io import fitted_markets, run_settings

    settings = dbt.ref("mmm_run_settings")
    channel_settings = dbt.ref("int_channel_settings")
    lift_tests = dbt.ref("int_lift_tests_converted")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), channel_settings, lift_tests, settings)
    return tables.response_curves_table(fits, run_settings(settings))
