"""Weekly contribution of every component (baseline parts and channels); sums to fitted revenue."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import contributions_table, restore_fits

    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(),
                        dbt.ref("int_lift_tests_converted").df())
    return contributions_table(fits)
