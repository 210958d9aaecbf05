{#- Helpers for the quarantine (raw record as JSON) and the channel and control defaults. -#}

{% macro mmm_raw_record(columns, prefix='raw_', extra_column=none) %}
    {#- every raw field of a row as one JSON text, e.g. {"date":"2023-01-02","market":"us",...}; with extra_column
        (a JSON object text of the file's columns outside the contract) those fields follow -#}
    {{ return(adapter.dispatch('mmm_raw_record', 'mmm')(columns, prefix, extra_column)) }}
{% endmacro %}

{% macro default__mmm_raw_record(columns, prefix, extra_column=none) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("'\"" ~ c ~ "\":' || coalesce('\"' || replace(replace(" ~ prefix ~ c ~ ", '\\', '\\\\'), '\"', '\\\"') || '\"', 'null')") -%}
    {%- endfor -%}
    '{' || {{ parts | join(" || ',' || ") }} || '}'
{%- endmacro %}

{% macro duckdb__mmm_raw_record(columns, prefix, extra_column=none) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}{%- do parts.append(c ~ ' := ' ~ prefix ~ c) -%}{%- endfor -%}
    {%- if extra_column -%}
    cast(coalesce(json_merge_patch(to_json(struct_pack({{ parts | join(', ') }})), {{ extra_column }}), to_json(struct_pack({{ parts | join(', ') }}))) as varchar)
    {%- else -%}
    cast(to_json(struct_pack({{ parts | join(', ') }})) as varchar)
    {%- endif -%}
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


{% macro mmm_restated_rows_keep() %}
    {#- var restated_rows_keep: which version of a restated row (same key, other values) is modeled: 'last' (the
        row later in the file, default: a re-export appended to a file restates what came before) or 'first' -#}
    {%- set chosen = var('restated_rows_keep', 'last') | string | trim | lower -%}
    {%- if chosen not in ('last', 'first') -%}
        {{ exceptions.raise_compiler_error("var restated_rows_keep must be last or first; got '" ~ chosen ~ "'") }}
    {%- endif -%}
    {{ return(chosen) }}
{% endmacro %}


{% macro mmm_implausible_value_factor() %}
    {#- var implausible_value_factor (default 100): an amount above this many times the median non-zero week of its
        series (spend: market and channel; sales: market) is quarantined as implausible_value -#}
    {%- set factor = var('implausible_value_factor', 100) -%}
    {%- if factor is none or (factor | float) <= 1 -%}
        {{ exceptions.raise_compiler_error("var implausible_value_factor must be a number above 1; got '" ~ factor ~ "'") }}
    {%- endif -%}
    {{ return(factor | float) }}
{% endmacro %}


{% macro mmm_format_amount(expression) -%}
    {#- an amount for a message: 1,234.50 (dispatched) -#}
    {{ return(adapter.dispatch('mmm_format_amount', 'mmm')(expression)) }}
{%- endmacro %}

{% macro default__mmm_format_amount(expression) -%}
    cast(round({{ expression }}, 2) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__mmm_format_amount(expression) -%}
    format('{:,.2f}', cast({{ expression }} as double))
{%- endmacro %}


{% macro mmm_max_quarantined_share() %}
    {#- var max_quarantined_share (default 0.1): the build stops when a raw file, market or channel (control) of
        raw_media_spend, raw_sales or raw_controls loses a larger share of its rows or money to the quarantine -#}
    {%- set share = var('max_quarantined_share', 0.1) -%}
    {%- if share is none or (share | float) < 0 or (share | float) > 1 -%}
        {{ exceptions.raise_compiler_error("var max_quarantined_share must be a share between 0 and 1; got '" ~ share ~ "'") }}
    {%- endif -%}
    {{ return(share | float) }}
{% endmacro %}
