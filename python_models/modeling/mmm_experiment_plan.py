"""Which lift test to run next: channels ranked by the value of testing them, each with sized test designs."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import planning
    from mmm.dbt_io import fitted_markets, frame, run_settings

    settings = dbt.ref("mmm_run_settings")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), dbt.ref("int_channel_settings"),
                          dbt.ref("int_lift_tests_converted"), settings)
    planning_settings = planning.PlanningSettings.from_table(frame(dbt.ref("mmm_planning_settings")))
    return planning.experiment_plan_table(fits, run_settings(settings), planning_settings)
