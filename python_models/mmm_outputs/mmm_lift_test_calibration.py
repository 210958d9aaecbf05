"""Each lift test used in the fit: measured vs predicted incremental revenue, with a z-score."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import lift_test_calibration_table, restore_fits

    lift_tests = dbt.ref("int_lift_tests_converted").df()
    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(), lift_tests)
    return lift_test_calibration_table(fits, lift_tests)
