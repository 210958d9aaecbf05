"""Each lift test's measured lift vs what the model predicted before the test was used for calibration."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.dbt_io import frame, run_settings
    from mmm.experiment_validation import experiment_validation_from_fits

    return experiment_validation_from_fits(frame(dbt.ref("mmm_fit")), frame(dbt.ref("mmm_model_input")),
                                           frame(dbt.ref("int_channel_settings")),
                                           frame(dbt.ref("int_lift_tests_converted")),
                                           run_settings(dbt.ref("mmm_run_settings")))
