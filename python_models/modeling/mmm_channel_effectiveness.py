"""Week by week effectiveness of every drifting channel (seed channel_time_varying) relative to its average.
No rows when no channel may drift. Public as fct_channel_effectiveness."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import tables
    from mmm.dbt_io import fitted_markets

    settings = dbt.ref("mmm_run_settings")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), dbt.ref("int_channel_settings"),
                          dbt.ref("int_lift_tests_converted"), settings)
    return tables.channel_effectiveness_table(fits)
