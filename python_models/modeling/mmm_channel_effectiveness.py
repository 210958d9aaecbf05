"""Week by week effectiveness of every drifting channel (seed channel_time_varying) relative to its average.
No rows when no channel may drift. Public as fct_channel_effectiveness."""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from mmm import tables
    from mmm.dbt_io import fitted_markets, frame

    # both seeds empty (the default): no optional term, nothing to restore
    if len(frame(dbt.ref("channel_interactions"))) == 0 and len(frame(dbt.ref("channel_time_varying"))) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c not in ("market", "term", "term_type", "channel",
                                                                         "channel_a", "channel_b", "week_start_date")
                                          else "object") for c in tables.EFFECTIVENESS_COLUMNS})
    settings = dbt.ref("mmm_run_settings")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), dbt.ref("int_channel_settings"),
                          dbt.ref("int_lift_tests_converted"), settings)
    return tables.channel_effectiveness_table(fits)
