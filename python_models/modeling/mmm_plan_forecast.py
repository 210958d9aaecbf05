"""The dated forecast of each plan (spend plan, current spend, optimized quarter budget, target growth), one row per
plan, week and channel; the marts fct_plan_allocation, fct_plan_forecast and fct_plan_summary select their grain."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm import planning
    from mmm.dbt_io import fitted_markets, frame, run_settings

    settings = dbt.ref("mmm_run_settings")
    channel_settings = dbt.ref("int_channel_settings")
    fits = fitted_markets(dbt.ref("mmm_fit"), dbt.ref("mmm_model_input"), channel_settings,
                          dbt.ref("int_lift_tests_converted"), settings)
    planning_settings = planning.PlanningSettings.from_table(frame(dbt.ref("mmm_planning_settings")))
    return planning.plan_forecast_table(fits, frame(dbt.ref("mmm_spend_plan")), frame(dbt.ref("mmm_control_plan")),
                                        frame(dbt.ref("mmm_holidays_by_week")), frame(channel_settings),
                                        run_settings(settings), planning_settings)
