"""The optional media terms (seeds channel_interactions, channel_time_varying): each synergy term and each drifting
channel with intervals. No rows when none is declared. Public as fct_media_terms."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import tables
    from mmm.dbt_io import fitted_markets

    settings = dbt.ref("mmm_run_settings")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), dbt.ref("int_channel_settings"),
                          dbt.ref("int_lift_tests_converted"), settings)
    return tables.media_terms_table(fits)
