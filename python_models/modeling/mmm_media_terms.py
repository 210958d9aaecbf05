"""The optional media terms (seeds channel_interactions, channel_time_varying): each synergy term and each drifting
channel with intervals. No rows when none is declared. Public as fct_media_terms."""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from mmm import tables
    from mmm.dbt_io import fitted_markets, frame

    # both seeds empty (the default): no optional term, nothing to restore
    if len(frame(dbt.ref("channel_interactions"))) == 0 and len(frame(dbt.ref("channel_time_varying"))) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c not in ("market", "term", "term_type", "channel",
                                                                         "channel_a", "channel_b", "week_start_date")
                                          else "object") for c in tables.MEDIA_TERM_COLUMNS})
    settings = dbt.ref("mmm_run_settings")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), dbt.ref("int_channel_settings"),
                          dbt.ref("int_lift_tests_converted"), settings)
    return tables.media_terms_table(fits)
