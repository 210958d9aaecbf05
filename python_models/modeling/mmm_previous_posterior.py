"""Refresh mode (var refresh_from_previous_run): each market's previous run's posterior, which mmm_fit turns
into a tempered prior (mmm.refresh). Empty when the mode is off, or when there is no previous run.

It reads the stored run history (mmm_run_history) as it was before this build, by name rather than with
ref(): the history is built after the fit, so a ref would be a cycle; on the first build it does not exist
yet. The previous run is the market's latest run on data ending before this build's
(mmm.history.previous_runs with older_data_only).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from mmm.dbt_io import frame
    from mmm.operations import OperationsSettings

    operations = OperationsSettings.from_table(frame(dbt.ref("mmm_operations_settings")))
    window = dbt.ref("mmm_model_window")
    model_input = dbt.ref("mmm_model_input")
    channel_settings = dbt.ref("int_channel_settings")
    lift_tests = dbt.ref("int_lift_tests_converted")
    run_settings = dbt.ref("mmm_run_settings")
    empty = pd.DataFrame({c: pd.Series(dtype="string") for c in ("market", "run_id", "channel", "posterior_json")})
    if not operations.refresh_from_previous_run:
        return empty  # the default: nothing else is read (the engine is not even imported)
    from mmm import history, refresh

    window = frame(window)
    stored = history.read_stored(session, f'"{dbt.this.database}"."{dbt.this.schema}"."mmm_run_history"')
    if stored is None or len(stored) == 0:
        print("refresh_from_previous_run: no run history yet, so this run uses the configured priors")
        return empty
    history.plan_migration(stored.columns, stored["history_schema_version"] if "history_schema_version" in stored else [])
    fingerprints = history.market_fingerprints(frame(model_input), frame(channel_settings), frame(lift_tests),
                                               frame(run_settings), operations)
    ends = dict(zip(window["market"], window["last_week_start_date"]))
    current = {m: (f, ends[m]) for m, f in fingerprints.items() if m in ends}
    out = refresh.previous_posterior(history.previous_runs(stored, current, older_data_only=True))
    return out.astype("string") if len(out) else empty
