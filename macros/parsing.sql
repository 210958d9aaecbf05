{#- Parsing raw text into typed values. Bad values become null (then a quarantine rule), never an error. -#}

{#-
    Numbers as real exports write them.

    Money and counts may carry a currency symbol or ISO code before or after the number ($1,234.50, 1.234,50 €,
    USD 1,234.50, C$12), a sign before or after the symbol, accounting parentheses for negatives ((1,234.50)),
    thousands separators (',' '.' apostrophe or space, grouped by three) and a decimal point or a decimal comma.
    Which character is the decimal mark is decided per FILE, never per value, by this rule:

      1. var decimal_mark (point | comma, for every file or {source_name: ...}) when it is set;
      2. otherwise detected from the file's own amounts: a value that reads as a number with only one of the two
         conventions is evidence for it ('1,234.50', '12.5', '0.0' -> point; '1.234,50', '12,5' -> comma; '1,234'
         and '1.234' read both ways and are no evidence). If every piece of evidence agrees, that is the file's
         mark ('point' / 'comma');
      3. when the evidence disagrees ('mixed') or there is none ('undetected'), only values that read the same
         both ways parse ('1234', '1 234', '1e15'); the others stay null and are quarantined as
         non_numeric_value, with a reason asking for var decimal_mark.

    Macros: mmm_number_split and mmm_number_readings (the two readings of one column, in two CTEs so each value is
    split once, and only when it is not a plain number), mmm_decimal_mark (the file's mark, an aggregate over those
    readings), mmm_parse_amount (the value under the file's mark).
-#}

{% macro mmm_number_pattern() -%}
    {#- splits a cleaned raw value into (open paren, sign, sign, digits with separators, exponent, close paren) -#}
    {{- return("^(\\(?)\\s*([-+]?)\\s*(?:[A-Z]{0,3}\\$|[€£¥₹]|[A-Z]{3})?\\s*([-+]?)\\s*([0-9.,' ]*[0-9][.,]?|[.,][0-9]+)([eE][-+]?[0-9]+)?\\s*(?:\\$|[€£¥₹]|[A-Z]{3})?\\s*(\\)?)$") -}}
{%- endmacro %}


{% macro mmm_number_split(expression, prefix) %}
    {#- first step of reading an amount (select-list columns of a CTE): <prefix>_plain, the value when it is a plain
        number DuckDB reads as it is (most machine exports: cheap), and <prefix>_parts, the value split by
        mmm_number_pattern when it is not (symbols, separators, a decimal comma) (dispatched) -#}
    {{ return(adapter.dispatch('mmm_number_split', 'mmm')(expression, prefix)) }}
{% endmacro %}

{% macro default__mmm_number_split(expression, prefix) -%}
    {{ dbt.safe_cast('trim(' ~ expression ~ ')', dbt.type_float()) }} as {{ prefix }}_plain,
    cast(null as {{ dbt.type_string() }}) as {{ prefix }}_parts
{%- endmacro %}

{% macro duckdb__mmm_number_split(expression, prefix) -%}
    {%- set cleaned = "trim(replace(replace(replace(" ~ expression ~ ", chr(160), ' '), chr(8239), ' '), chr(8201), ' '))" -%}
    try_cast(trim({{ expression }}) as double) as {{ prefix }}_plain,
    case when try_cast(trim({{ expression }}) as double) is null then
        regexp_extract({{ cleaned }}, {{ mmm_sql_string(mmm_number_pattern()) }},
            ['open_paren', 'sign', 'inner_sign', 'digits', 'exponent', 'close_paren'])
    end as {{ prefix }}_parts
{%- endmacro %}


{% macro mmm_number_readings(expression, prefix) %}
    {#- second step (select-list columns of the next CTE): <prefix>_as_point and <prefix>_as_comma, the value read with
        a decimal point (',' apostrophe or space grouping thousands) and with a decimal comma ('.' apostrophe or space
        grouping thousands); null when it is not a finite number under that convention (dispatched) -#}
    {{ return(adapter.dispatch('mmm_number_readings', 'mmm')(expression, prefix)) }}
{% endmacro %}

{% macro default__mmm_number_readings(expression, prefix) -%}
    {#- portable fallback: plain numbers only (the duckdb__ version reads exports) -#}
    {{ prefix }}_plain as {{ prefix }}_as_point,
    {{ dbt.safe_cast("replace(trim(" ~ expression ~ "), ',', '.')", dbt.type_float()) }} as {{ prefix }}_as_comma
{%- endmacro %}

{% macro duckdb__mmm_number_readings(expression, prefix) -%}
    {%- set parts = prefix ~ '_parts' -%}
    {%- set plain = prefix ~ '_plain' -%}
    {%- set sign -%}
        (case
            when {{ parts }}.open_paren = '(' and {{ parts }}.close_paren = ')' then -1.0
            when {{ parts }}.open_paren <> {{ parts }}.close_paren then null
            when {{ parts }}.sign = '-' or {{ parts }}.inner_sign = '-' then -1.0
            else 1.0
        end)
    {%- endset -%}
    {%- set point_number = "try_cast(replace(replace(replace(" ~ parts ~ ".digits, ',', ''), '''', ''), ' ', '') || " ~ parts ~ ".exponent as double)" -%}
    {%- set comma_number = "try_cast(replace(replace(replace(replace(" ~ parts ~ ".digits, '.', ''), '''', ''), ' ', ''), ',', '.') || " ~ parts ~ ".exponent as double)" -%}
    (case
        {# a plain number reads the same with a decimal point #}
        when {{ plain }} is not null then case when isfinite({{ plain }}) then {{ plain }} end
        when regexp_full_match({{ parts }}.digits, '^([0-9]*|[1-9][0-9]{0,2}(,[0-9]{3})+|[1-9][0-9]{0,2}(''[0-9]{3})+|[1-9][0-9]{0,2}( [0-9]{3})+)(\.[0-9]*)?$')
            and isfinite({{ point_number }})
            then {{ sign }} * {{ point_number }}
    end) as {{ prefix }}_as_point,
    (case
        {# a plain number without '.' reads the same with a decimal comma; with one '.' that '.' groups thousands only
           in 1.234-like values, otherwise the value is no number with a decimal comma #}
        when {{ plain }} is not null and not contains(trim({{ expression }}), '.') then case when isfinite({{ plain }}) then {{ plain }} end
        when {{ plain }} is not null then
            case when regexp_full_match(trim({{ expression }}), '^[+-]?[1-9][0-9]{0,2}\.[0-9]{3}$')
                then try_cast(replace(trim({{ expression }}), '.', '') as double) end
        when regexp_full_match({{ parts }}.digits, '^([0-9]*|[1-9][0-9]{0,2}(\.[0-9]{3})+|[1-9][0-9]{0,2}(''[0-9]{3})+|[1-9][0-9]{0,2}( [0-9]{3})+)(,[0-9]*)?$')
            and isfinite({{ comma_number }})
            then {{ sign }} * {{ comma_number }}
    end) as {{ prefix }}_as_comma
{%- endmacro %}


{% macro mmm_decimal_mark_setting(source_name) %}
    {#- var decimal_mark for one source: 'auto' (detect), 'point' or 'comma'; a string for every file or a mapping
        {source_name: value} (sources not named are 'auto'). '.' and ',' are accepted for point and comma. -#}
    {%- set setting = var('decimal_mark', 'auto') -%}
    {%- if setting is mapping -%}{%- set setting = setting.get(source_name, 'auto') -%}{%- endif -%}
    {%- set chosen = (setting | string | trim | lower) if setting is not none else 'auto' -%}
    {%- set aliases = {'.': 'point', ',': 'comma', 'dot': 'point', 'none': 'auto', '': 'auto'} -%}
    {%- set chosen = aliases.get(chosen, chosen) -%}
    {%- if chosen not in ('auto', 'point', 'comma') -%}
        {{ exceptions.raise_compiler_error("var decimal_mark must be auto, point or comma (or a mapping {source_name: ...}); got '" ~ setting ~ "' for " ~ source_name) }}
    {%- endif -%}
    {{ return(chosen) }}
{% endmacro %}


{% macro mmm_decimal_mark(source_name, prefixes) -%}
    {#- aggregate over the rows of one raw file (the readings of mmm_number_readings for each amount column):
        'point' or 'comma' when var decimal_mark says so or every piece of evidence agrees; 'mixed' when the file
        has evidence for both, 'undetected' when it has none -#}
    {%- set setting = mmm_decimal_mark_setting(source_name) -%}
    {%- if setting != 'auto' -%}
        '{{ setting }}'
    {%- else -%}
        {%- set point_evidence = [] -%}{%- set comma_evidence = [] -%}
        {%- for p in prefixes -%}
            {%- do point_evidence.append('sum(case when ' ~ p ~ '_as_point is not null and ' ~ p ~ '_as_comma is null then 1 else 0 end)') -%}
            {%- do comma_evidence.append('sum(case when ' ~ p ~ '_as_comma is not null and ' ~ p ~ '_as_point is null then 1 else 0 end)') -%}
        {%- endfor -%}
        (case
            when coalesce({{ point_evidence | join(' + ') }}, 0) > 0 and coalesce({{ comma_evidence | join(' + ') }}, 0) > 0 then 'mixed'
            when coalesce({{ point_evidence | join(' + ') }}, 0) > 0 then 'point'
            when coalesce({{ comma_evidence | join(' + ') }}, 0) > 0 then 'comma'
            else 'undetected'
        end)
    {%- endif -%}
{%- endmacro %}


{% macro mmm_parse_amount(prefix, decimal_mark) -%}
    {#- the value of an amount column under its file's decimal mark (decimal_mark: SQL giving point, comma, mixed
        or undetected); with mixed or undetected only a value that reads the same both ways -#}
    (case {{ decimal_mark }}
        when 'point' then {{ prefix }}_as_point
        when 'comma' then {{ prefix }}_as_comma
        else case when {{ prefix }}_as_point = {{ prefix }}_as_comma then {{ prefix }}_as_point end
    end)
{%- endmacro %}


{% macro mmm_unparseable_number_hint(raw_expression, decimal_mark) -%}
    {#- the end of a non_numeric_value reason when the file's decimal mark is unknown and the value has a separator -#}
    (case
        when {{ decimal_mark }} in ('mixed', 'undetected') and regexp_matches(coalesce({{ raw_expression }}, ''), '[0-9][.,][0-9]')
            then case {{ decimal_mark }}
                when 'mixed' then ' (the file mixes decimal points and decimal commas, so a value with a separator is not read; set var decimal_mark to point or comma)'
                else ' (the file does not show whether its decimal mark is a point or a comma; set var decimal_mark to point or comma)'
            end
        else ''
    end)
{%- endmacro %}


{% macro mmm_parse_number(expression) %}
    {#- a plain number (decimal point, no symbols), null otherwise -#}
    {{ return(adapter.dispatch('mmm_parse_number', 'mmm')(expression)) }}
{% endmacro %}

{% macro default__mmm_parse_number(expression) -%}
    {{ dbt.safe_cast('trim(' ~ expression ~ ')', dbt.type_float()) }}
{%- endmacro %}

{% macro duckdb__mmm_parse_number(expression) -%}
    {#- 'nan' and 'inf' parse as doubles in DuckDB: they are not usable amounts -#}
    (case when isfinite(try_cast(trim({{ expression }}) as double)) then try_cast(trim({{ expression }}) as double) end)
{%- endmacro %}


{#-
    Dates. Accepted without configuration: ISO dates (2024-03-15), ISO timestamps with or without seconds,
    fractions and a time zone (2024-03-15T00:00:00Z, 2024-03-15T13:45:00+01:00) and database timestamps
    (2024-03-15 13:45:00). A timestamp keeps the calendar date as written: the time and the offset are dropped,
    never converted (an export's midnight timestamp names the day it reports). Day-first or month-first dates
    (15/03/2024, 03/15/2024, 15.03.2024) are never guessed: declare the format with var date_format (a strptime
    format such as '%d/%m/%Y', for every file or {source_name: format}); otherwise they are quarantined as
    unparseable_date.
-#}

{% macro mmm_date_format_setting(source_name) %}
    {#- var date_format for one source (null = ISO only) -#}
    {%- set setting = var('date_format', none) -%}
    {%- if setting is mapping -%}{%- set setting = setting.get(source_name) if source_name else none -%}{%- endif -%}
    {%- if setting is none or (setting | string | trim) in ('', 'none', 'null', 'None') -%}{{ return(none) }}{%- endif -%}
    {%- set fmt = setting | string | trim -%}
    {%- if '%d' not in fmt or ('%m' not in fmt and '%b' not in fmt and '%B' not in fmt) or ('%Y' not in fmt and '%y' not in fmt) -%}
        {{ exceptions.raise_compiler_error("var date_format must be a strptime format with day, month and year, such as '%d/%m/%Y' or '%m/%d/%Y'; got '" ~ fmt ~ "'" ~ (' for ' ~ source_name if source_name else '')) }}
    {%- endif -%}
    {{ return(fmt) }}
{% endmacro %}


{% macro mmm_parse_date(expression, source_name=none) %}
    {{ return(adapter.dispatch('mmm_parse_date', 'mmm')(expression, source_name)) }}
{% endmacro %}

{% macro default__mmm_parse_date(expression, source_name=none) -%}
    {{ dbt.safe_cast('substring(trim(' ~ expression ~ '), 1, 10)', 'date') }}
{%- endmacro %}

{% macro duckdb__mmm_parse_date(expression, source_name=none) -%}
    {%- set declared = mmm_date_format_setting(source_name) -%}
    {%- set iso = "regexp_extract(trim(" ~ expression ~ "), '^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]+)?)?\\s*(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$', 1)" -%}
    {#- a plain ISO date first (cheap; coalesce evaluates the next argument only where it is null) -#}
    coalesce(
        try_strptime(trim({{ expression }}), '%Y-%m-%d')::date,
        try_strptime({{ iso }}, '%Y-%m-%d')::date
        {%- if declared is not none %},
        try_strptime(trim({{ expression }}), {{ mmm_sql_string(declared) }})::date
        {%- endif %}
    )
{%- endmacro %}


{% macro mmm_unparseable_date_hint(source_name=none) -%}
    {#- the end of an unparseable_date reason: what is accepted and how to declare another format -#}
    {%- set declared = mmm_date_format_setting(source_name) -%}
    {%- if declared is none -%}
        {{- return(' (expected YYYY-MM-DD, optionally with a time; day-first or month-first dates need var date_format)') -}}
    {%- else -%}
        {{- return(' (expected YYYY-MM-DD or var date_format ' ~ declared ~ ')') -}}
    {%- endif -%}
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


{% macro mmm_file_decimal_mark(source_name, relation, columns) %}
    {#- a one-row select of a raw file's decimal mark (column decimal_mark), for a staging model's file_format CTE.
        relation: the raw file as mmm_raw_relation gives it (read again here, so the staging model's own chain is not
        shared with this aggregate: DuckDB would otherwise materialize every parsed column of the file once more);
        columns: the file's amount columns, {raw column name: reading prefix}. -#}
    {%- if mmm_decimal_mark_setting(source_name) != 'auto' -%}
    select {{ mmm_decimal_mark(source_name, []) }} as decimal_mark
    {%- else -%}
    {%- set selected = [] -%}{%- set splits = [] -%}{%- set readings = [] -%}
    {%- for column, prefix in columns.items() -%}
        {%- do selected.append(adapter.quote(column) ~ ' as raw_' ~ prefix) -%}
        {%- do splits.append(mmm_number_split('raw_' ~ prefix, prefix)) -%}
        {%- do readings.append(mmm_number_readings('raw_' ~ prefix, prefix)) -%}
    {%- endfor -%}
    select {{ mmm_decimal_mark(source_name, columns.values() | list) }} as decimal_mark
    from (
        select split.*, {{ readings | join(', ') }}
        from (
            select amounts.*, {{ splits | join(', ') }}
            from (select {{ selected | join(', ') }} from {{ relation }} as raw_file) as amounts
        ) as split
    ) as readings
    {%- endif -%}
{% endmacro %}
