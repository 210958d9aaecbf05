"""Every estimated parameter per market with its interval, baseline coefficients and fit settings."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import fit_parameters_table, restore_fits

    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(),
                        dbt.ref("int_lift_tests_converted").df())
    return fit_parameters_table(fits)
