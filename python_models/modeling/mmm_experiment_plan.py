"""Which lift test to run next: channels ranked by the value of testing them, each with sized test designs."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import planning
    from mmm.dbt_io import frame, run_settings

    planning_settings = planning.PlanningSettings.from_table(frame(dbt.ref("mmm_planning_settings")))
    return planning.experiment_plan_from_fits(frame(dbt.ref("mmm_fit")), frame(dbt.ref("mmm_model_input")),
                                              frame(dbt.ref("int_channel_settings")),
                                              frame(dbt.ref("int_lift_tests_converted")),
                                              run_settings(dbt.ref("mmm_run_settings")), planning_settings)
