{#-
    Reading the raw files (the input contract).

    mmm_raw_contract()          the expected columns of every raw source and whether it is required.
    mmm_raw_relation(name)      a FROM-able subquery with exactly the contract columns, all text, plus
                                _extra_columns: the file's other columns as one JSON object text (null
                                when it has none), so they can take part in the duplicate checks.
    mmm_raw_file_problem(...)   checks one file at compile time; required files that are missing,
                                empty or lack contract columns stop the run with a clear error.
-#}

{% macro mmm_raw_contract() %}
    {{ return({
        'raw_media_spend': {'columns': ['date', 'market', 'channel', 'campaign', 'spend', 'currency', 'impressions'], 'required': true},
        'raw_sales': {'columns': ['date', 'market', 'revenue', 'currency'], 'required': true},
        'raw_controls': {'columns': ['date', 'market', 'control', 'value'], 'required': true, 'may_have_no_rows': true,
                         'no_rows_means': 'no control variables: the model uses trend, seasonality and holidays only'},
        'raw_fx_rates': {'columns': ['date', 'currency', 'rate_to_usd'], 'required': true, 'may_have_no_rows': true,
                         'no_rows_means': 'no rates: only the reporting currency converts (rate 1); rows in other currencies are quarantined (no_fx_rate)'},
        'raw_lift_tests': {'columns': ['experiment_id', 'market', 'channel', 'start_date', 'end_date', 'incremental_revenue', 'incremental_revenue_se', 'currency'], 'required': false},
        'raw_holidays': {'columns': ['date', 'market', 'holiday'], 'required': false},
    }) }}
{% endmacro %}


{% macro mmm_raw_data_folder() %}
    {#- relative paths are resolved by DuckDB against the working directory of the dbt process -#}
    {%- set folder = (var('raw_data_path') | string) | trim -%}
    {%- if folder | length > 1 and folder.endswith('/') -%}{%- set folder = folder[:-1] -%}{%- endif -%}
    {{ return(folder) }}
{% endmacro %}


{% macro mmm_sql_string(value) %}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}


{% macro mmm_csv_reader(path) %}
    {#- every column as text, so one bad value cannot fail the load; bad values are quarantined in staging -#}
    {{ return('read_csv(' ~ mmm_sql_string(path) ~ ', all_varchar = true, header = true)') }}
{% endmacro %}


{% macro mmm_empty_raw_relation(columns) %}
    {%- set cols = [] -%}
    {%- for c in columns -%}{%- do cols.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ adapter.quote(c)) -%}{%- endfor -%}
    {%- do cols.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ adapter.quote('_extra_columns')) -%}
    {{ return('(select ' ~ cols | join(', ') ~ ' where 1 = 0)') }}
{% endmacro %}


{% macro mmm_raw_relation(source_name) %}
    {{ return(adapter.dispatch('mmm_raw_relation', 'mmm')(source_name)) }}
{% endmacro %}


{% macro default__mmm_raw_relation(source_name) %}
    {#- on a warehouse the sources are tables that already have the contract columns -#}
    {%- set spec = mmm_raw_contract()[source_name] -%}
    {%- set cols = [] -%}
    {%- for c in spec['columns'] -%}
        {%- do cols.append('cast(' ~ adapter.quote(c) ~ ' as ' ~ dbt.type_string() ~ ') as ' ~ adapter.quote(c)) -%}
    {%- endfor -%}
    {#- extra columns of a warehouse table are not introspected here -#}
    {%- do cols.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ adapter.quote('_extra_columns')) -%}
    {{ return('(select ' ~ cols | join(', ') ~ ' from ' ~ source('raw', source_name) ~ ')') }}
{% endmacro %}


{% macro duckdb__mmm_raw_relation(source_name) %}
    {%- set spec = mmm_raw_contract()[source_name] -%}
    {%- set rel = source('raw', source_name) -%}
    {%- set rel_text = rel | string -%}
    {#- a unit-test fixture (or a source pointed at a table): use it as it is -#}
    {%- if 'read_csv' not in rel_text -%}
        {{ return(default__mmm_raw_relation(source_name)) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(default__mmm_raw_relation(source_name)) }}
    {%- endif -%}

    {%- set folder = mmm_raw_data_folder() -%}
    {%- set csv_path = folder ~ '/' ~ source_name ~ '.csv' -%}
    {%- set parquet_path = folder ~ '/' ~ source_name ~ '.parquet' -%}
    {%- set expected = spec['columns'] -%}
    {%- set expected_text = expected | join(', ') -%}

    {%- set found = run_query('select file from glob(' ~ mmm_sql_string(parquet_path) ~ ') union all select file from glob(' ~ mmm_sql_string(csv_path) ~ ')') -%}
    {%- set files = found.columns[0].values() | list -%}
    {%- if files | length == 0 -%}
        {%- if spec['required'] -%}
            {{ exceptions.raise_compiler_error(
                "Raw file missing: required source '" ~ source_name ~ "' expects " ~ csv_path ~ " (or " ~ parquet_path ~ ")"
                ~ " with columns: " ~ expected_text ~ ". raw_data_path is '" ~ folder ~ "' (relative paths are resolved against the working directory)."
            ) }}
        {%- endif -%}
        {{ log("mmm: optional raw file " ~ csv_path ~ " not found: " ~ source_name ~ " has zero rows", info=true) }}
        {{ return(mmm_empty_raw_relation(expected)) }}
    {%- endif -%}

    {%- if files | select('equalto', parquet_path) | list | length > 0 -%}
        {%- set path = parquet_path -%}
        {%- set reader = 'read_parquet(' ~ mmm_sql_string(parquet_path) ~ ')' -%}
        {%- set size = 1 -%}
    {%- else -%}
        {%- set path = csv_path -%}
        {%- set reader = mmm_csv_reader(csv_path) -%}
        {%- set size = run_query('select size from read_blob(' ~ mmm_sql_string(csv_path) ~ ')').columns[0].values()[0] -%}
    {%- endif -%}

    {%- set is_empty = (size == 0) -%}
    {%- set actual = [] -%}
    {%- if not is_empty -%}
        {%- set described = run_query('describe select * from ' ~ reader) -%}
        {%- set actual = described.columns[0].values() | list -%}
        {%- set has_rows = run_query('select count(*) from (select 1 from ' ~ reader ~ ' limit 1) as probe').columns[0].values()[0] -%}
        {%- set is_empty = (has_rows == 0) -%}
    {%- endif -%}

    {%- set by_name = {} -%}
    {%- for a in actual -%}{%- do by_name.update({(a | trim | lower): a}) -%}{%- endfor -%}
    {%- set missing = [] -%}
    {%- for c in expected -%}{%- if c not in by_name -%}{%- do missing.append(c) -%}{%- endif -%}{%- endfor -%}

    {#- a single-currency advertiser has no FX rates, an advertiser without controls no controls: a header-only
        raw_fx_rates or raw_controls is valid (a 0-byte file is not) -#}
    {%- set header_only_allowed = spec.get('may_have_no_rows', false) and size != 0 and missing | length == 0 -%}
    {%- if is_empty and header_only_allowed -%}
        {{ log("mmm: " ~ path ~ " has a header and no rows: " ~ spec['no_rows_means'], info=true) }}
        {{ return(mmm_empty_raw_relation(expected)) }}
    {%- endif -%}
    {%- if is_empty -%}
        {%- if spec['required'] -%}
            {{ exceptions.raise_compiler_error(
                "Raw file empty: " ~ path ~ " (source '" ~ source_name ~ "') has no data rows. Expected a header row with columns: "
                ~ expected_text ~ ", then at least one data row."
            ) }}
        {%- endif -%}
        {%- if size != 0 and missing | length > 0 -%}
            {{ exceptions.raise_compiler_error(
                "Raw file has wrong columns: " ~ path ~ " (source '" ~ source_name ~ "'). Expected columns: " ~ expected_text
                ~ "; found: " ~ (actual | join(', ')) ~ "; missing: " ~ (missing | join(', ')) ~ "."
            ) }}
        {%- endif -%}
        {{ log("mmm: optional raw file " ~ path ~ " is empty: " ~ source_name ~ " has zero rows", info=true) }}
        {{ return(mmm_empty_raw_relation(expected)) }}
    {%- endif -%}

    {%- if missing | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw file has wrong columns: " ~ path ~ " (source '" ~ source_name ~ "'). Expected columns: " ~ expected_text
            ~ "; found: " ~ (actual | join(', ')) ~ "; missing: " ~ (missing | join(', ')) ~ "."
            ~ " Column names are matched ignoring case and surrounding spaces; extra columns are allowed."
        ) }}
    {%- endif -%}

    {%- set cols = [] -%}
    {%- for c in expected -%}
        {%- do cols.append('cast(' ~ adapter.quote(by_name[c]) ~ ' as varchar) as ' ~ adapter.quote(c)) -%}
    {%- endfor -%}
    {#- columns outside the contract (an account_id, a region, ...) travel with each row as one JSON object: they are
        not modeled, but two rows that differ only there are different rows (duplicate checks), and the quarantine's
        raw_record shows them -#}
    {%- set extras = [] -%}
    {%- for a in actual -%}{%- if (a | trim | lower) not in expected -%}{%- do extras.append(a) -%}{%- endif -%}{%- endfor -%}
    {%- if extras | length > 0 -%}
        {%- set pairs = [] -%}
        {%- for a in extras -%}{%- do pairs.append(mmm_sql_string(a | trim) ~ ', cast(' ~ adapter.quote(a) ~ ' as varchar)') -%}{%- endfor -%}
        {%- do cols.append('cast(json_object(' ~ pairs | join(', ') ~ ') as varchar) as ' ~ adapter.quote('_extra_columns')) -%}
        {%- if flags.WHICH in ('build', 'run', 'test', 'compile', 'retry') -%}
        {%- do exceptions.warn("mmm: " ~ path ~ " has columns outside the contract: " ~ (extras | join(', '))
            ~ ". They are not modeled, but rows that differ only in them are different rows for the duplicate checks"
            ~ " (e.g. two accounts' identical rows are both kept and summed), and they appear in fct_quarantined_rows.raw_record.") -%}
        {%- endif -%}
    {%- else -%}
        {%- do cols.append('cast(null as varchar) as ' ~ adapter.quote('_extra_columns')) -%}
    {%- endif -%}
    {{ return('(select ' ~ cols | join(', ') ~ ' from ' ~ reader ~ ')') }}
{% endmacro %}


{% macro mmm_raw_file_label(source_name) %}
    {#- the file a source is read from, for messages: <raw_data_path>/<source>.parquet when it exists, else .csv
        (dispatched; on a warehouse the source table) -#}
    {{ return(adapter.dispatch('mmm_raw_file_label', 'mmm')(source_name)) }}
{% endmacro %}

{% macro default__mmm_raw_file_label(source_name) %}
    {{ return(source('raw', source_name) | string) }}
{% endmacro %}

{% macro duckdb__mmm_raw_file_label(source_name) %}
    {%- set folder = mmm_raw_data_folder() -%}
    {%- set csv_path = folder ~ '/' ~ source_name ~ '.csv' -%}
    {%- set parquet_path = folder ~ '/' ~ source_name ~ '.parquet' -%}
    {%- if execute -%}
        {%- set found = run_query('select file from glob(' ~ mmm_sql_string(parquet_path) ~ ')') -%}
        {%- if found.rows | length > 0 -%}{{ return(parquet_path) }}{%- endif -%}
    {%- endif -%}
    {{ return(csv_path) }}
{% endmacro %}
