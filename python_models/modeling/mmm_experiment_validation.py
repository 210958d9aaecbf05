"""Each lift test's measured lift vs what the model predicted before the test was used for calibration."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import planning
    from mmm.dbt_io import fitted_markets, frame

    lift_tests = dbt.ref("int_lift_tests_converted")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), dbt.ref("int_channel_settings"), lift_tests,
                          dbt.ref("mmm_run_settings"))
    return planning.experiment_validation_table(fits, frame(lift_tests))
