"""Steady-state response curve per channel with its band."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import response_curves_table, restore_fits

    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(),
                        dbt.ref("int_lift_tests_converted").df())
    return response_curves_table(fits)
