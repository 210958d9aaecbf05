{#-
    Loud loss: data tests over int_losses_measured (and mmm_data_sufficiency) whose messages name the raw file, the
    rule that removed the rows and an example raw value. Documented in _macros.yml; the rules in docs/data_layer.md.

    quarantine_is_reported     (severity warn) every file with quarantined rows, and the markets and channels that
                               lost rows, as warnings in the build log; the test warns (WARN in the run summary).
    quarantine_within_limits   (severity error) a file, market or channel that lost more than var
                               max_quarantined_share of its rows or money, or a required file with nothing left,
                               stops the build here, before mmm_model_input, with one line per problem.
    a_market_can_be_modeled    (severity error, on mmm_data_sufficiency) when no market passes its data checks the
                               build stops here with each market's failing checks, before the Python fit would raise.
-#}

{% macro mmm_raise_test_failures(model, failing_sql, heading, limit=40) %}
    {#- when the test runs (dbt build / test, and the model exists): query its failure_message rows; with severity
        error stop the build with the heading and one line per row (dbt prints it next to the test and again in the
        run summary, also with --quiet); with severity warn log each line as a warning -#}
    {%- if execute and flags.WHICH in ('build', 'test', 'retry') and load_relation(model) is not none -%}
        {%- set failing = run_query('select failure_message from (' ~ failing_sql ~ ') as failing order by sort_key, failure_message limit ' ~ limit) -%}
        {%- set messages = failing.columns[0].values() | list -%}
        {%- if messages | length > 0 -%}
            {%- if (config.get('severity') or 'error') | lower == 'warn' -%}
                {%- for message in messages -%}
                    {%- do exceptions.warn(heading ~ ' ' ~ message) -%}
                {%- endfor -%}
            {%- else -%}
                {%- for message in messages -%}
                    {{ log('ERROR (data test): ' ~ message, info=true) }}
                {%- endfor -%}
                {{ exceptions.raise_compiler_error(heading ~ '\n  ' ~ (messages | join('\n  '))) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% macro mmm_percent(expression) -%}
    {#- a share as a percentage for a message: 100.0%, 10.0%, 0.5%, 0.0066% (dispatched) -#}
    {{ return(adapter.dispatch('mmm_percent', 'mmm')(expression)) }}
{%- endmacro %}

{% macro default__mmm_percent(expression) -%}
    (cast(round(100.0 * cast({{ expression }} as {{ dbt.type_float() }}), 4) as {{ dbt.type_string() }}) || '%')
{%- endmacro %}

{% macro duckdb__mmm_percent(expression) -%}
    (case
        when 100.0 * cast({{ expression }} as double) >= 1 or cast({{ expression }} as double) = 0
            then format('{:.1f}', 100.0 * cast({{ expression }} as double))
        else format('{:.2g}', 100.0 * cast({{ expression }} as double))
    end || '%')
{%- endmacro %}


{% macro mmm_loss_scope_label() -%}
    {#- e.g. raw_media_spend (data/acme/raw_media_spend.csv), market us, channel tv -#}
    (source_name || ' (' || raw_file || ')'
        || case when scope <> 'file' then ', market ' || market else '' end
        || case when scope in ('channel', 'control') then ', ' || scope || ' ' || subject else '' end)
{%- endmacro %}


{% macro mmm_loss_example() -%}
    {#- e.g. most by rule non_numeric_value (156 rows), e.g. raw row 3 (file line 4): spend 'x' is not a number -#}
    (case when top_lost_rule is not null then
        'most by rule ' || top_lost_rule || ' (' || cast(top_lost_rule_rows as {{ dbt.type_string() }}) || ' rows), e.g. raw row '
        || cast(example_raw_row_id as {{ dbt.type_string() }}) || ' (file line ' || cast(example_raw_row_id + 1 as {{ dbt.type_string() }})
        || '): ' || example_reason
    else '' end)
{%- endmacro %}


{% test quarantine_is_reported(model, max_scope_lines=12) %}
    {%- set failing_sql -%}
        with losses as (

            select * from {{ model }}

        ),

        files as (

            select
                0 as sort_key,
                {{ mmm_loss_scope_label() }} || ': ' || cast(lost_rows + superseded_rows + duplicate_rows as {{ dbt.type_string() }})
                    || ' of ' || cast(raw_rows as {{ dbt.type_string() }}) || ' rows not modeled ('
                    || rules || '): '
                    || cast(lost_rows as {{ dbt.type_string() }}) || ' lost = ' || {{ mmm_percent('coalesce(lost_row_share, 0)') }} || ' of the rows'
                    || case when lost_amount_reporting > 0
                        then ' and ' || {{ mmm_format_amount('lost_amount_reporting') }} || ' {{ mmm_reporting_currency() }} = '
                            || {{ mmm_percent('lost_amount_share') }} || ' of the money'
                        else '' end
                    || case when lost_rows_without_amount > 0 and source_name in ('raw_media_spend', 'raw_sales')
                        then ' (' || cast(lost_rows_without_amount as {{ dbt.type_string() }}) || ' of them without a usable amount)'
                        else '' end
                    || case when superseded_rows > 0 then '; ' || cast(superseded_rows as {{ dbt.type_string() }}) || ' restated (another version of the row is modeled)' else '' end
                    || case when duplicate_rows > 0 then '; ' || cast(duplicate_rows as {{ dbt.type_string() }}) || ' exact duplicates' else '' end
                    || case when lost_rows > 0 then '; ' || {{ mmm_loss_example() }} else '' end
                    || '. Every row with its rule and reason: fct_quarantined_rows.' as failure_message
            from losses
            where scope = 'file'
              and lost_rows + superseded_rows + duplicate_rows > 0

        ),

        parts as (

            select
                1 as sort_key,
                {{ mmm_loss_scope_label() }} || ': ' || cast(lost_rows as {{ dbt.type_string() }}) || ' of '
                    || cast(kept_rows + lost_rows as {{ dbt.type_string() }}) || ' rows lost (' || {{ mmm_percent('lost_row_share') }}
                    || case when lost_amount_reporting > 0 then ', ' || {{ mmm_percent('lost_amount_share') }} || ' of the money' else '' end
                    || '); ' || {{ mmm_loss_example() }} as failure_message,
                row_number() over (order by lost_row_share desc, source_name, market, subject) as part_rank
            from losses
            where scope <> 'file'
              and lost_rows > 0

        )

        select sort_key, failure_message from files
        union all
        select sort_key, failure_message from parts
        where part_rank <= {{ max_scope_lines }}
    {%- endset -%}
    {{ mmm_raise_test_failures(model, failing_sql, 'quarantine:') }}
    {{ failing_sql }}
{% endtest %}


{% test quarantine_within_limits(model) %}
    {%- set failing_sql -%}
        with losses as (

            select * from {{ model }}

        )

        select
            case when has_nothing_left then 0 else case scope when 'file' then 1 when 'market' then 2 else 3 end end as sort_key,
            case
                when has_nothing_left then
                    'Nothing to model: ' || {{ mmm_loss_scope_label() }} || ' has ' || cast(raw_rows as {{ dbt.type_string() }})
                    || ' rows and the quarantine kept none of them; ' || {{ mmm_loss_example() }} || '.'
                else
                    {{ mmm_loss_scope_label() }} || ': ' || cast(lost_rows as {{ dbt.type_string() }}) || ' of '
                    || cast(kept_rows + lost_rows as {{ dbt.type_string() }}) || ' rows (' || {{ mmm_percent('lost_row_share') }} || ')'
                    || case when lost_amount_reporting > 0 then ' and ' || {{ mmm_percent('lost_amount_share') }} || ' of the money' else '' end
                    || ' lost to the quarantine, more than var max_quarantined_share (' || {{ mmm_percent('max_quarantined_share') }}
                    || '); ' || {{ mmm_loss_example() }} || '.'
            end as failure_message
        from losses
        where is_over_limit or has_nothing_left
    {%- endset -%}
    {{ mmm_raise_test_failures(model, failing_sql,
        'The quarantine removed too much of the input, so the build stops before mmm_model_input (nothing is modeled on it).'
        ~ ' Fix the file (every removed row with its rule and reason: int_rows_quarantined), declare its format'
        ~ ' (vars decimal_mark, date_format), or raise var max_quarantined_share:') }}
    {{ failing_sql }}
{% endtest %}


{% test a_market_can_be_modeled(model, calendar) %}
    {#- model: mmm_data_sufficiency; calendar: ref('int_market_weeks'). Fails (one row per market) when no market of the
        calendar is free of 'fail' checks, or when the calendar is empty: the modeling step would have nothing to fit. -#}
    {%- set failing_sql -%}
        with checks as (

            select * from {{ model }}

        ),

        calendar_markets as (

            select distinct market from {{ calendar }}

        ),

        market_failures as (

            select
                calendar_markets.market,
                sum(case when checks.status = 'fail' then 1 else 0 end) as failed_checks,
                {{ dbt.listagg("case when checks.status = 'fail' then checks.check_name || case when checks.channel <> '' then ' (' || checks.channel || ')' else '' end || ': ' || checks.message end", "'; '", "order by checks.check_name, checks.channel") }} as failures
            from calendar_markets
            left join checks
                on calendar_markets.market = checks.market
            group by calendar_markets.market

        ),

        modelable as (

            select count(*) as market_count from market_failures where failed_checks = 0

        )

        select
            1 as sort_key,
            'market ' || market_failures.market || ' cannot be modeled: ' || market_failures.failures as failure_message
        from market_failures
        cross join modelable
        where modelable.market_count = 0

        union all

        select
            0 as sort_key,
            'No market has modeled sales: every raw_sales row was quarantined or the file has none (see the quarantine tests and int_rows_quarantined).' as failure_message
        from (select count(*) as market_count from calendar_markets) as calendar_size
        where calendar_size.market_count = 0
    {%- endset -%}
    {{ mmm_raise_test_failures(model, failing_sql,
        'No market can be modeled, so the build stops before the fit (mmm_fit). Each market and the data checks it fails (mmm_data_sufficiency):') }}
    {{ failing_sql }}
{% endtest %}
