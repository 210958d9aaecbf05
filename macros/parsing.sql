{#- Parsing raw text into typed values. Bad values become null (then a quarantine rule), never an error. -#}

{% macro mmm_parse_number(expression) %}
    {{ return(adapter.dispatch('mmm_parse_number', 'mmm')(expression)) }}
{% endmacro %}

{% macro default__mmm_parse_number(expression) -%}
    {{ dbt.safe_cast('trim(' ~ expression ~ ')', dbt.type_float()) }}
{%- endmacro %}

{% macro duckdb__mmm_parse_number(expression) -%}
    {#- 'nan' and 'inf' parse as doubles in DuckDB: they are not usable amounts -#}
    (case when isfinite(try_cast(trim({{ expression }}) as double)) then try_cast(trim({{ expression }}) as double) end)
{%- endmacro %}


{% macro mmm_parse_date(expression) %}
    {{ return(adapter.dispatch('mmm_parse_date', 'mmm')(expression)) }}
{% endmacro %}

{% macro default__mmm_parse_date(expression) -%}
    {{ dbt.safe_cast('trim(' ~ expression ~ ')', 'date') }}
{%- endmacro %}

{% macro duckdb__mmm_parse_date(expression) -%}
    {#- ISO dates only (YYYY-MM-DD); a time part after the date is not accepted -#}
    try_strptime(trim({{ expression }}), '%Y-%m-%d')::date
{%- endmacro %}


{% macro mmm_normalise_name(expression) -%}
    {#- trimmed, lower case; blank becomes null (so a blank key is caught by the missing_key rule) -#}
    nullif(lower(trim({{ expression }})), '')
{%- endmacro %}


{% macro mmm_normalise_currency(expression) -%}
    nullif(upper(trim({{ expression }})), '')
{%- endmacro %}


{% macro mmm_is_blank(expression) -%}
    (nullif(trim({{ expression }}), '') is null)
{%- endmacro %}


{% macro mmm_quote_raw(expression) -%}
    {#- a raw value for a reason text: 'abc', or (blank) -#}
    coalesce('''' || nullif(trim({{ expression }}), '') || '''', '(blank)')
{%- endmacro %}


{% macro mmm_as_of_date() -%}
    {#- var as_of_date (YYYY-MM-DD); null means today -#}
    {%- set as_of = var('as_of_date') -%}
    {%- if as_of is none or (as_of | string | trim) in ('', 'none', 'null', 'None') -%}
        current_date
    {%- else -%}
        cast('{{ as_of }}' as date)
    {%- endif -%}
{%- endmacro %}


{% macro mmm_reporting_currency() -%}
    {{ return((var('reporting_currency') | string | trim | upper)) }}
{%- endmacro %}
