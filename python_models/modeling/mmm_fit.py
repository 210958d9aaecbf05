"""Fit every market once (MAP, Laplace, posterior draws): one row per market with its FitResult as JSON.

The other mmm_* models restore these fits (mmm.dbt_io.fitted_markets), refusing a stale one. In refresh mode
(var refresh_from_previous_run) each market starts from its previous run's posterior, tempered
(mmm_previous_posterior, mmm.refresh); the priors it was given are recorded in channel_priors_json.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.dbt_io import fit_markets, frame, run_settings  # fit_markets: on Spark when dbt.ref gives Spark DataFrames
    from mmm.fit import FitConfig
    from mmm.operations import OperationsSettings
    from mmm.refresh import refresh_specs

    settings = run_settings(dbt.ref("mmm_run_settings"))
    operations = OperationsSettings.from_table(frame(dbt.ref("mmm_operations_settings")))
    previous = frame(dbt.ref("mmm_previous_posterior"))  # empty unless refresh_from_previous_run
    hook = None
    if len(previous):
        hook = refresh_specs(previous, FitConfig.from_settings(settings), operations.refresh_prior_weight)
    return fit_markets(
        dbt.ref("mmm_model_input"),
        frame(dbt.ref("int_channel_settings")),
        frame(dbt.ref("int_lift_tests_converted")),
        frame(dbt.ref("mmm_data_sufficiency")),
        settings,
        frame(dbt.ref("channel_interactions")),  # optional synergy terms (mmm.synergy); empty seed = off
        frame(dbt.ref("channel_time_varying")),  # optional drifting effects (mmm.time_varying); empty seed = off
        market_specs=hook,
    )
