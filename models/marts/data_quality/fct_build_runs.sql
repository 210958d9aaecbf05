{{ config(materialized='incremental', on_schema_change='fail') }}
-- Public: one row per dbt invocation (build, run, test, seed), written by the on-run-end hook
-- (macro mmm_record_build_run) after the run, also when it failed. This model only creates the table with its
-- contract's columns (and adds no rows), so the history survives every build; --full-refresh starts it again.
-- Grain: invocation_id.
{{ mmm_run_log_empty_select('fct_build_runs') }}
