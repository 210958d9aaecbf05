{{ config(materialized='incremental', on_schema_change='fail') }}
-- Public: one row per public table (the models under models/marts), naming the invocation that last wrote it;
-- maintained by the on-run-end hook (macro mmm_record_build_run). This model only creates the table with its
-- contract's columns. Grain: table_name.
{{ mmm_run_log_empty_select('fct_build_outputs') }}
