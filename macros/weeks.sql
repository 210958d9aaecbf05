{#- Week alignment: a date belongs to the week that starts on var week_start (default monday) and contains it. -#}

{% macro mmm_week_start_isodow() %}
    {%- set names = {'monday': 1, 'tuesday': 2, 'wednesday': 3, 'thursday': 4, 'friday': 5, 'saturday': 6, 'sunday': 7} -%}
    {%- set chosen = (var('week_start') | string | trim | lower) -%}
    {%- if chosen not in names -%}
        {{ exceptions.raise_compiler_error("var week_start must be a weekday name (monday ... sunday), got '" ~ chosen ~ "'") }}
    {%- endif -%}
    {{ return(names[chosen]) }}
{% endmacro %}


{% macro mmm_week_start(date_expression) %}
    {{ return(adapter.dispatch('mmm_week_start', 'mmm')(date_expression)) }}
{% endmacro %}

{% macro default__mmm_week_start(date_expression) -%}
    {#- days since the week start: (iso weekday - start weekday + 7) mod 7 -#}
    {%- set offset = '(mod(cast(extract(isodow from ' ~ date_expression ~ ') as integer) - ' ~ mmm_week_start_isodow() ~ ' + 7, 7))' -%}
    cast({{ dbt.dateadd('day', '-1 * ' ~ offset, date_expression) }} as date)
{%- endmacro %}

{% macro duckdb__mmm_week_start(date_expression) -%}
    cast({{ date_expression }} - cast(((isodow({{ date_expression }}) - {{ mmm_week_start_isodow() }} + 7) % 7) as integer) as date)
{%- endmacro %}


{% macro mmm_weekly_calendar(bounds_relation) %}
    {#- one row per market and week from first_week_start_date to last_week_start_date of bounds_relation -#}
    {{ return(adapter.dispatch('mmm_weekly_calendar', 'mmm')(bounds_relation)) }}
{% endmacro %}

{% macro default__mmm_weekly_calendar(bounds_relation) -%}
    {#- up to 1000 weeks (about 19 years) per market -#}
    select
        bounds.market,
        cast({{ dbt.dateadd('day', '7 * (series.generated_number - 1)', 'bounds.first_week_start_date') }} as date) as week_start_date
    from {{ bounds_relation }} as bounds
    cross join ({{ dbt.generate_series(1000) }}) as series
    where {{ dbt.dateadd('day', '7 * (series.generated_number - 1)', 'bounds.first_week_start_date') }} <= bounds.last_week_start_date
{%- endmacro %}

{% macro duckdb__mmm_weekly_calendar(bounds_relation) -%}
    select
        bounds.market,
        cast(unnest(generate_series(bounds.first_week_start_date, bounds.last_week_start_date, interval 7 day)) as date) as week_start_date
    from {{ bounds_relation }} as bounds
{%- endmacro %}
