{#-
    The build run log: which run the public tables belong to, and whether the latest run failed.

    on-run-end (dbt_project.yml) calls mmm_record_build_run(results) after every dbt build / run / test / seed / retry,
    also when nodes failed. It writes
      fct_build_runs     one row per invocation: started and finished (UTC), status success / failed, node counts,
                         the failing nodes with their messages, the public tables it rewrote, and outputs_invocation_id:
                         the one invocation that wrote every public table now in the warehouse (null when they come
                         from different runs, i.e. the warehouse holds a half-built state);
      fct_build_outputs  one row per public table (the models under models/marts): the invocation that last wrote it.
    Both are contracted models (models/marts/data_quality); the models themselves only create the empty tables with
    their types, the hook fills them (and creates them first when the run stopped before the models ran).
    A --full-refresh build recreates them empty (the history starts again).
-#}

{% macro mmm_run_log_columns() %}
    {{ return({
        'fct_build_runs': [
            ('invocation_id', 'varchar'), ('command', 'varchar'), ('selection', 'varchar'), ('started_at', 'timestamp'),
            ('finished_at', 'timestamp'), ('status', 'varchar'), ('node_count', 'integer'), ('success_count', 'integer'),
            ('warning_count', 'integer'), ('error_count', 'integer'), ('skipped_count', 'integer'),
            ('failing_nodes', 'varchar'), ('warning_nodes', 'varchar'), ('rebuilt_public_tables', 'varchar'),
            ('outputs_invocation_id', 'varchar'),
        ],
        'fct_build_outputs': [('table_name', 'varchar'), ('invocation_id', 'varchar'), ('written_at', 'timestamp')],
    }) }}
{% endmacro %}


{% macro mmm_run_log_empty_select(table_name) %}
    {#- the select of the model: no rows, the contract's columns -#}
    {%- set cols = [] -%}
    {%- for name, data_type in mmm_run_log_columns()[table_name] -%}
        {%- do cols.append('cast(null as ' ~ data_type ~ ') as ' ~ name) -%}
    {%- endfor -%}
    select {{ cols | join(', ') }} where 1 = 0
{% endmacro %}


{% macro mmm_is_public_table(node) %}
    {#- a model under models/marts (the contracted fct_* tables), the run log itself excluded -#}
    {{ return(node.resource_type == 'model' and node.fqn | length > 2 and node.fqn[1] == 'marts'
              and node.name not in ('fct_build_runs', 'fct_build_outputs')) }}
{% endmacro %}


{% macro mmm_record_build_run(results) %}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'test', 'seed', 'retry', 'snapshot') -%}
        {{ return('select 1 as mmm_build_run_not_recorded') }}
    {%- endif -%}
    {%- set columns = mmm_run_log_columns() -%}
    {%- set runs = api.Relation.create(database=target.database, schema=target.schema, identifier='fct_build_runs') -%}
    {%- set outputs = api.Relation.create(database=target.database, schema=target.schema, identifier='fct_build_outputs') -%}
    {%- set now = modules.datetime.datetime.now(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {%- set started = run_started_at.astimezone(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S.%f') -%}

    {%- set counts = {'success': 0, 'warning': 0, 'error': 0, 'skipped': 0} -%}
    {%- set failing = [] -%}{%- set warned = [] -%}{%- set rebuilt = [] -%}
    {%- for r in results -%}
        {%- set status = r.status | string | lower -%}
        {%- if status in ('error', 'fail', 'runtime error', 'partial success') -%}
            {%- do counts.update({'error': counts['error'] + 1}) -%}
            {%- set first_lines = ((r.message or '') | string).strip().split('\n')[:6] | join(' | ') -%}
            {%- do failing.append(r.node.name ~ ' (' ~ r.node.resource_type ~ ', ' ~ status ~ '): ' ~ first_lines[:1500]) -%}
        {%- elif status == 'warn' -%}
            {%- do counts.update({'warning': counts['warning'] + 1}) -%}
            {%- do warned.append(r.node.name) -%}
        {%- elif status == 'skipped' -%}
            {%- do counts.update({'skipped': counts['skipped'] + 1}) -%}
        {%- else -%}
            {%- do counts.update({'success': counts['success'] + 1}) -%}
            {%- if status == 'success' and mmm_is_public_table(r.node) -%}{%- do rebuilt.append(r.node.name) -%}{%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set status = 'failed' if counts['error'] > 0 else 'success' -%}
    {%- set selection = (invocation_args_dict.get('select') or []) | join(' ') -%}

    {%- for table_name in ['fct_build_runs', 'fct_build_outputs'] -%}
        {%- set cols = [] -%}
        {%- for name, data_type in columns[table_name] -%}{%- do cols.append(name ~ ' ' ~ data_type) -%}{%- endfor -%}
        {%- do run_query('create table if not exists ' ~ (runs if table_name == 'fct_build_runs' else outputs) ~ ' (' ~ cols | join(', ') ~ ')') -%}
    {%- endfor -%}

    {%- if rebuilt | length > 0 -%}
        {%- set quoted = [] -%}{%- for t in rebuilt -%}{%- do quoted.append(mmm_sql_string(t)) -%}{%- endfor -%}
        {%- do run_query('delete from ' ~ outputs ~ ' where table_name in (' ~ quoted | join(', ') ~ ')') -%}
        {%- set rows = [] -%}
        {%- for t in rebuilt -%}
            {%- do rows.append('(' ~ mmm_sql_string(t) ~ ', ' ~ mmm_sql_string(invocation_id) ~ ', cast(' ~ mmm_sql_string(now) ~ ' as timestamp))') -%}
        {%- endfor -%}
        {%- do run_query('insert into ' ~ outputs ~ ' (table_name, invocation_id, written_at) values ' ~ rows | join(', ')) -%}
    {%- endif -%}

    {%- set insert_run -%}
        insert into {{ runs }} (
            invocation_id, command, selection, started_at, finished_at, status, node_count, success_count, warning_count,
            error_count, skipped_count, failing_nodes, warning_nodes, rebuilt_public_tables, outputs_invocation_id
        )
        select
            {{ mmm_sql_string(invocation_id) }},
            {{ mmm_sql_string(flags.WHICH) }},
            {{ mmm_sql_string(selection) }},
            cast({{ mmm_sql_string(started) }} as timestamp),
            cast({{ mmm_sql_string(now) }} as timestamp),
            {{ mmm_sql_string(status) }},
            {{ results | length }},
            {{ counts['success'] }},
            {{ counts['warning'] }},
            {{ counts['error'] }},
            {{ counts['skipped'] }},
            {{ mmm_sql_string(failing | join('\n')) }},
            {{ mmm_sql_string(warned | join(', ')) }},
            {{ mmm_sql_string(rebuilt | join(', ')) }},
            (select case when count(distinct invocation_id) = 1 then min(invocation_id) end from {{ outputs }})
    {%- endset -%}
    {%- do run_query(insert_run) -%}
    {{ return('select 1 as mmm_build_run_recorded') }}
{% endmacro %}
