{#-
    Data tests for the configuration seeds (seeds/_seeds.yml). A bad value stops `dbt build` at the seed's
    test, before any model reads it, and the build output names the file, the line, the row's key, the bad
    value and what is allowed, e.g.

        seeds/channel_config.csv line 3 (channel 'radio'): adstock_kind 'weibul' is not allowed;
        allowed values: geometric, weibull_cdf, weibull_pdf, delayed

    One test per seed (seed_rows_are_valid) checks its key, its accepted values and its conditions in one
    query, so the checks cost one node per seed. How the message gets into the output: the test's SQL
    returns one row per failed check with a failure_message column. When the test runs (dbt build / test),
    mmm_raise_seed_failures runs that SQL first and, if rows come back, logs the messages next to the
    failing test and raises an error carrying them, which dbt prints again in the end-of-run summary, also
    with --quiet (measured on dbt-core 1.11: a failing test of dbt's own kind only prints "Got 1 result";
    log(info=True) alone prints inline but not in the summary and not with --quiet). With `severity: warn`
    the messages are logged as warnings and the test warns instead.
-#}

{% macro mmm_seed_file(model) %}
    {#- the seed's CSV as the project names it (seeds/channel_config.csv), from the manifest -#}
    {%- set path = model.identifier ~ '.csv' -%}
    {%- if execute -%}
        {%- set seeds = graph.nodes.values() | selectattr('resource_type', 'equalto', 'seed')
                        | selectattr('alias', 'equalto', model.identifier) | list -%}
        {%- if seeds | length > 0 -%}{%- set path = seeds[0].original_file_path -%}{%- endif -%}
    {%- endif -%}
    {{ return(path) }}
{% endmacro %}


{% macro mmm_seed_line_number() -%}
    {#- line in the CSV file: the header is line 1, so data row n is line n + 1 (seeds hold one line per row
        and load in file order) -#}
    (row_number() over () + 1)
{%- endmacro %}


{% macro mmm_seed_value_text(column) %}
    {#- a seed value for a message: 'text' for strings, 2.5 for numbers, (blank) for null (dispatched) -#}
    {{ return(adapter.dispatch('mmm_seed_value_text', 'mmm')(column)) }}
{% endmacro %}

{% macro default__mmm_seed_value_text(column) -%}
    coalesce('''' || cast({{ column }} as {{ dbt.type_string() }}) || '''', '(blank)')
{%- endmacro %}

{% macro duckdb__mmm_seed_value_text(column) -%}
    coalesce(
        case when typeof({{ column }}) = 'VARCHAR' then '''' || cast({{ column }} as varchar) || '''' else cast({{ column }} as varchar) end,
        '(blank)'
    )
{%- endmacro %}


{% macro mmm_seed_row_label(model, key_columns) -%}
    {#- e.g. seeds/channel_config.csv line 3 (channel 'radio') -#}
    {%- set key_parts = [] -%}
    {%- for k in key_columns -%}
        {%- do key_parts.append("'" ~ k ~ " ' || " ~ mmm_seed_value_text(k)) -%}
    {%- endfor -%}
    {{ mmm_sql_string(mmm_seed_file(model) ~ ' line ') }} || cast(line_number as {{ dbt.type_string() }})
    {%- if key_parts %} || ' (' || {{ key_parts | join(" || ', ' || ") }} || ')'{% endif %}
{%- endmacro %}


{% macro mmm_raise_seed_failures(model, failing_sql) %}
    {#- when the test runs: query its failing rows and stop the build with their messages -#}
    {%- if execute and flags.WHICH in ('build', 'test', 'retry') and load_relation(model) is not none -%}
        {%- set failing = run_query('select failure_message from (' ~ failing_sql ~ ') as failing order by line_number, failure_message limit 50') -%}
        {%- set messages = failing.columns[0].values() | list -%}
        {%- if messages | length > 0 -%}
            {%- if (config.get('severity') or 'error') | lower == 'warn' -%}
                {%- for message in messages -%}
                    {%- do exceptions.warn('seed check: ' ~ message) -%}
                {%- endfor -%}
            {%- else -%}
                {#- inline, next to the failing test (normal output), then in the summary (also with --quiet) -#}
                {%- for message in messages -%}
                    {{ log('ERROR (seed check): ' ~ message, info=true) }}
                {%- endfor -%}
                {{ exceptions.raise_compiler_error(
                    'Invalid value in a configuration seed (fix the file, then run dbt build again):\n  '
                    ~ (messages | join('\n  '))
                ) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% test seed_rows_are_valid(model, key_columns, accepted_values={}, blank_allowed=[], conditions=[]) %}
    {#-
        Every row of a seed: the key columns are given and unique (compared trimmed and lower-cased, as the
        models use names); each column of accepted_values holds one of its values (trimmed, any case; blank
        only for the columns in blank_allowed); each condition holds (SQL over the row; null counts as
        failing). One row per failed check, each with a failure_message naming file, line, key, value and
        what is allowed. conditions: [{column, condition, expected, show_columns (optional)}].
    -#}
    {%- set file_text = mmm_seed_file(model) -%}
    {%- set key_csv = key_columns | join(', ') -%}
    {%- set key_normalised = [] -%}
    {%- set key_parts = [] -%}
    {%- for k in key_columns -%}
        {%- do key_normalised.append('lower(trim(cast(' ~ k ~ ' as ' ~ dbt.type_string() ~ ')))') -%}
        {%- do key_parts.append("'" ~ k ~ " ''' || " ~ key_normalised[-1] ~ " || ''''") -%}
    {%- endfor -%}
    {%- set failing_sql -%}
        with seed_rows as (

            select
                *,
                {{ mmm_seed_line_number() }} as line_number
            from {{ model }}

        ),

        blank_keys as (

            select
                line_number,
                {{ mmm_sql_string(file_text ~ ' line ') }} || cast(line_number as {{ dbt.type_string() }})
                    || ': a key column ({{ key_csv }}) is blank; every row needs one' as failure_message
            from seed_rows
            where {% for k in key_columns %}nullif(trim(cast({{ k }} as {{ dbt.type_string() }})), '') is null{% if not loop.last %} or {% endif %}{% endfor %}

        ),

        repeated_keys as (

            select
                min(line_number) as line_number,
                {{ mmm_sql_string(file_text ~ ' lines ') }} || {{ dbt.listagg('cast(line_number as ' ~ dbt.type_string() ~ ')', "', '", 'order by line_number') }}
                    || ': ' || {{ key_parts | join(" || ', ' || ") }} || ' appears ' || cast(count(*) as {{ dbt.type_string() }})
                    || ' times; ({{ key_csv }}) must be unique (compared trimmed and lower-cased)' as failure_message
            from seed_rows
            where {% for k in key_columns %}nullif(trim(cast({{ k }} as {{ dbt.type_string() }})), '') is not null{% if not loop.last %} and {% endif %}{% endfor %}
            group by {{ key_normalised | join(', ') }}
            having count(*) > 1

        )

        {%- for column, values in accepted_values.items() %}
        {%- set normalised = 'lower(trim(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')))' -%}
        {%- set quoted = [] -%}{%- for v in values -%}{%- do quoted.append(mmm_sql_string(v | lower)) -%}{%- endfor -%}
        {%- set allow_blank = column in blank_allowed -%}
        {%- set allowed_text = values | join(', ') ~ (' (or blank)' if allow_blank else '') %},

        accepted_{{ column }} as (

            select
                line_number,
                {{ mmm_seed_row_label(model, key_columns) }} || ': {{ column }} ' || {{ mmm_seed_value_text(column) }}
                    || ' is not allowed; allowed values: ' || {{ mmm_sql_string(allowed_text) }} as failure_message
            from seed_rows
            where
            {%- if allow_blank %}
                nullif({{ normalised }}, '') is not null and {{ normalised }} not in ({{ quoted | join(', ') }})
            {%- else %}
                coalesce({{ normalised }} not in ({{ quoted | join(', ') }}), true)
            {%- endif %}

        )
        {%- endfor %}

        {%- for check in conditions %}
        {%- set shown = [] -%}
        {%- for c in check.get('show_columns', []) -%}
            {%- do shown.append("'" ~ c ~ " ' || " ~ mmm_seed_value_text(c)) -%}
        {%- endfor %},

        condition_{{ loop.index }} as (

            select
                line_number,
                {{ mmm_seed_row_label(model, key_columns) }} || ': {{ check.column }} ' || {{ mmm_seed_value_text(check.column) }}
                    {%- if shown %} || ' (' || {{ shown | join(" || ', ' || ") }} || ')'{% endif %}
                    || ' is not allowed; expected ' || {{ mmm_sql_string(check.expected) }} as failure_message
            from seed_rows
            where not coalesce(({{ check.condition }}), false)

        )
        {%- endfor %}

        select * from blank_keys
        union all
        select * from repeated_keys
        {%- for column in accepted_values %}
        union all
        select * from accepted_{{ column }}
        {%- endfor %}
        {%- for check in conditions %}
        union all
        select * from condition_{{ loop.index }}
        {%- endfor %}
    {%- endset -%}
    {{ mmm_raise_seed_failures(model, failing_sql) }}
    {{ failing_sql }}
{% endtest %}
