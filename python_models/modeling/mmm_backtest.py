"""Backtest: at past origins the model is refitted on the weeks before them and forecasts the weeks after
(vars backtest_origins, backtest_spacing_weeks, backtest_horizon_weeks); actual vs forecast revenue by
horizon. Public as fct_backtest."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.backtest import backtest_table
    from mmm.dbt_io import fitted_markets, frame, run_settings
    from mmm.operations import OperationsSettings

    settings = dbt.ref("mmm_run_settings")
    fit = dbt.ref("mmm_fit")
    operations = OperationsSettings.from_table(frame(dbt.ref("mmm_operations_settings")))
    fits = fitted_markets(fit, dbt.ref("mmm_model_input"), dbt.ref("int_channel_settings"),
                          dbt.ref("int_lift_tests_converted"), settings)
    return backtest_table(fits, frame(fit), operations.backtest_origins, operations.backtest_spacing_weeks,
                          operations.backtest_horizon_weeks, run_settings(settings).min_weeks_required)
