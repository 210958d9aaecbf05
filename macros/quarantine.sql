{#- Helpers for the quarantine (raw record as JSON) and the channel and control defaults. -#}

{% macro mmm_raw_record(columns, prefix='raw_') %}
    {#- every raw field of a row as one JSON text, e.g. {"date":"2023-01-02","market":"us",...} -#}
    {{ return(adapter.dispatch('mmm_raw_record', 'mmm')(columns, prefix)) }}
{% endmacro %}

{% macro default__mmm_raw_record(columns, prefix) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("'\"" ~ c ~ "\":' || coalesce('\"' || replace(replace(" ~ prefix ~ c ~ ", '\\', '\\\\'), '\"', '\\\"') || '\"', 'null')") -%}
    {%- endfor -%}
    '{' || {{ parts | join(" || ',' || ") }} || '}'
{%- endmacro %}

{% macro duckdb__mmm_raw_record(columns, prefix) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}{%- do parts.append(c ~ ' := ' ~ prefix ~ c) -%}{%- endfor -%}
    cast(to_json(struct_pack({{ parts | join(', ') }})) as varchar)
{%- endmacro %}


{% macro mmm_channel_defaults() %}
    {#- settings of a channel found in the spend data but missing from seeds/channel_config.csv; the budget
        multipliers are the vars optimizer_min_multiplier / optimizer_max_multiplier (defaults in dbt_project.yml),
        which also fill a channel_config row that leaves them blank -#}
    {{ return({
        'adstock_kind': 'geometric',
        'max_lag': 4,
        'saturation_kind': 'hill',
        'min_budget_multiplier': var('optimizer_min_multiplier'),
        'max_budget_multiplier': var('optimizer_max_multiplier'),
        'roi_prior_median': 1.0,
        'roi_prior_sigma': 1.0,
    }) }}
{% endmacro %}


{% macro mmm_control_default_aggregation() %}
    {#- weekly aggregation of a control missing from seeds/control_config.csv -#}
    {{ return('mean') }}
{% endmacro %}
