"""Each lift test's measured lift next to the model's prediction, with a z-score."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import tables
    from mmm.dbt_io import fitted_markets, frame

    settings = dbt.ref("mmm_run_settings")
    channel_settings = dbt.ref("int_channel_settings")
    lift_tests = dbt.ref("int_lift_tests_converted")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), channel_settings, lift_tests, settings)
    return tables.lift_test_calibration_table(fits, frame(lift_tests))
