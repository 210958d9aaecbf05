"""Fit every market once (MAP + Laplace); one row per market with its restorable state as JSON.

The other mmm_* models rebuild the fits from this table instead of fitting again.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import fit_markets
    from mmm.pipeline import settings_from_table as _settings

    lift_tests = dbt.ref("int_lift_tests_converted").df()
    return fit_markets(
        dbt.ref("mmm_model_input").df(),
        dbt.ref("int_channel_settings").df(),
        lift_tests,
        dbt.ref("mmm_data_sufficiency").df(),
        _settings(dbt.ref("mmm_run_settings").df()),
    )
