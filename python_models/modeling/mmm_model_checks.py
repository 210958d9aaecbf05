"""Every engine check per market in one schema (fit quality, identification, input, lift tests), plus a
'fail' row per market that could not be fitted."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import tables
    from mmm.dbt_io import fitted_markets, frame, run_settings

    settings = dbt.ref("mmm_run_settings")
    channel_settings = dbt.ref("int_channel_settings")
    fit = dbt.ref("mmm_fit")
    fits = fitted_markets(fit, dbt.ref("mmm_model_input"), channel_settings, dbt.ref("int_lift_tests_converted"), settings)
    return tables.model_checks_table(fits, frame(fit), frame(channel_settings), run_settings(settings))
