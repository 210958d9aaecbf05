-- This build's identity, one row: the run id (dbt's invocation_id), when it started, and the as-of date.
-- Rendered when the model runs, so every build writes its own; the run history (mmm_run_history), the
-- alerts and the backtest read it (Python models cannot call dbt's context variables).
-- Grain: one row per build.
{%- set as_of = var('as_of_date') %}
{%- set is_set = not (as_of is none or (as_of | string | trim) in ('', 'none', 'null', 'None')) %}

with final as (

    select
        '{{ invocation_id }}' as run_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as run_started_at,
        {{ mmm_as_of_date() }} as as_of_date,
        {{ 'true' if is_set else 'false' }} as is_as_of_date_set,
        '{{ dbt_version }}' as dbt_version

)

select * from final
