"""Fit every market once (MAP, Laplace, posterior draws): one row per market with its FitResult as JSON.

The other mmm_* models restore these fits (mmm.dbt_io.fitted_markets), refusing a stale one.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.dbt_io import frame, run_settings
    from mmm.tables import fit_markets

    return fit_markets(
        frame(dbt.ref("mmm_model_input")),
        frame(dbt.ref("int_channel_settings")),
        frame(dbt.ref("int_lift_tests_converted")),
        frame(dbt.ref("mmm_data_sufficiency")),
        run_settings(dbt.ref("mmm_run_settings")),
        frame(dbt.ref("channel_interactions")),  # optional synergy terms (mmm.synergy); empty seed = off
        frame(dbt.ref("channel_time_varying")),  # optional drifting effects (mmm.time_varying); empty seed = off
    )
