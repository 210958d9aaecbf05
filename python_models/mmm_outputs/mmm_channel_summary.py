"""Per market and channel: spend, contribution, ROI and marginal ROI with intervals, shares, warnings."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.pipeline import channel_summary_table, restore_fits

    fits = restore_fits(dbt.ref("mmm_fit_state").df(), dbt.ref("mmm_model_input").df(),
                        dbt.ref("int_lift_tests_converted").df())
    return channel_summary_table(fits, dbt.ref("int_channel_settings").df())
