"""Weekly contribution of every component (baseline parts and channels); sums to fitted revenue."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import tables
    from mmm.dbt_io import fitted_markets

    settings = dbt.ref("mmm_run_settings")
    channel_settings = dbt.ref("int_channel_settings")
    lift_tests = dbt.ref("int_lift_tests_converted")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), channel_settings, lift_tests, settings)
    return tables.contributions_table(fits)
