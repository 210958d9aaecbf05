"""Actual vs fitted weekly revenue with a prediction interval; holdout weeks flagged."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import fitted_table, restore_fits

    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(),
                        dbt.ref("int_lift_tests_converted").df())
    return fitted_table(fits)
