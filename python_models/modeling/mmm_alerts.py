"""Drift and anomaly alerts of this build, each with a severity and a sentence (mmm.alerts). Public as
fct_alerts."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.alerts import alerts_table
    from mmm.dbt_io import frame, output_rows, run_settings
    from mmm.operations import OperationsSettings

    settings = run_settings(dbt.ref("mmm_run_settings"))
    operations = OperationsSettings.from_table(frame(dbt.ref("mmm_operations_settings")))
    context = frame(dbt.ref("mmm_run_context")).iloc[0]
    outputs = dbt.ref("mmm_market_outputs")
    return alerts_table(
        frame(dbt.ref("mmm_run_history")), str(context["run_id"]), frame(dbt.ref("mmm_backtest")),
        output_rows(outputs, "model_checks"), output_rows(outputs, "fitted_revenue"), frame(dbt.ref("mmm_model_input")),
        frame(dbt.ref("mmm_model_window")), operations.alert_recent_weeks, settings.interval_level,
        settings.reporting_currency)
