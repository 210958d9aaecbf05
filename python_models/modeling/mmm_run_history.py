"""The run history: this build's rows (one per market and channel) appended to every earlier build's.

Incremental: a normal build only appends; `dbt build --full-refresh` (or `--select mmm_run_history+
--full-refresh`) resets it. Before appending, the stored table's schema version is checked: a table of an
older, compatible version is migrated (new columns added, null in old rows), anything else stops the build
with a message saying how to reset it (mmm.history.plan_migration). Public as fct_run_history.
"""


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append", on_schema_change="append_new_columns")
    from mmm import history
    from mmm.dbt_io import frame, output_rows, run_settings
    from mmm.operations import OperationsSettings

    context = frame(dbt.ref("mmm_run_context")).iloc[0]
    settings_table = frame(dbt.ref("mmm_run_settings"))
    operations = OperationsSettings.from_table(frame(dbt.ref("mmm_operations_settings")))
    model_input = frame(dbt.ref("mmm_model_input"))
    existing = None
    if dbt.is_incremental:
        existing = frame(session.sql(f"select * from {dbt.this}"))
        added = history.plan_migration(
            existing.columns, existing["history_schema_version"] if "history_schema_version" in existing else [])
        if added:
            print(f"mmm_run_history: migrating the stored history, adding columns {', '.join(added)}")
        if (existing["run_id"] == context["run_id"]).any():
            raise RuntimeError(
                f"mmm_run_context holds run id {context['run_id']}, already in the run history: it was not rebuilt "
                "in this invocation. Build them together: `dbt build --select mmm_run_context+`.")
    fingerprints = history.market_fingerprints(model_input, frame(dbt.ref("int_channel_settings")),
                                               frame(dbt.ref("int_lift_tests_converted")), settings_table, operations)
    previous = frame(dbt.ref("mmm_previous_posterior"))
    prior_runs = dict(zip(previous["market"], previous["run_id"])) if len(previous) else {}
    outputs = dbt.ref("mmm_market_outputs")
    rows = history.history_rows(
        context, frame(dbt.ref("mmm_fit")), output_rows(outputs, "channel_summary"),
        output_rows(outputs, "optimal_allocation"), output_rows(outputs, "model_checks"), model_input, fingerprints,
        existing=existing, prior_runs=prior_runs, interval_level=run_settings(settings_table).interval_level)
    return history.typed(rows)
