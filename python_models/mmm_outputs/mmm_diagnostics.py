"""Fit quality in and out of sample, residual and design checks, identification warnings, lift-test agreement."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import diagnostics_table, restore_fits

    fit_state = dbt.ref("mmm_fit_state").df()
    fits = restore_fits(fit_state, dbt.ref("mmm_model_input").df(), dbt.ref("int_lift_tests_converted").df())
    return diagnostics_table(fits, fit_state, dbt.ref("int_channel_settings").df())
