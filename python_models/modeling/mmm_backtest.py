"""Backtest: at past origins the model is refitted on the weeks before them and forecasts the weeks after
(vars backtest_origins, backtest_spacing_weeks, backtest_horizon_weeks); actual vs forecast revenue by
horizon. Public as fct_backtest."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.backtest import backtest_from_fits
    from mmm.dbt_io import frame, run_settings
    from mmm.operations import OperationsSettings

    settings = run_settings(dbt.ref("mmm_run_settings"))
    operations = OperationsSettings.from_table(frame(dbt.ref("mmm_operations_settings")))
    return backtest_from_fits(frame(dbt.ref("mmm_fit")), frame(dbt.ref("mmm_model_input")),
                              frame(dbt.ref("int_channel_settings")), frame(dbt.ref("int_lift_tests_converted")), settings,
                              operations.backtest_origins, operations.backtest_spacing_weeks,
                              operations.backtest_horizon_weeks, settings.min_weeks_required)
