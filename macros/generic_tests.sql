{#- Generic data tests (the dbt package hub is unreachable, so we write the few we need). Documented in _macros.yml. -#}

{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') -%}
    with grouped as (

        select
            {{ columns_csv }},
            count(*) as row_count
        from {{ model }}
        group by {{ columns_csv }}

    )

    select *
    from grouped
    where row_count > 1
{% endtest %}


{% test non_negative(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} < 0
{% endtest %}


{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    select *
    from {{ model }}
    where {{ column_name }} is not null
      and (
        1 = 0
        {%- if min_value is not none %}
        or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
      )
{% endtest %}


{% test is_week_start(model, column_name) %}
    {#- every date is the first day of its week (var week_start) -#}
    select *
    from {{ model }}
    where {{ column_name }} is not null
      and {{ column_name }} <> {{ mmm_week_start(column_name) }}
{% endtest %}


{% test weekly_continuity(model, column_name, partition_by) %}
    {#- within each partition, consecutive weeks are exactly 7 days apart: no gap, no duplicate -#}
    {%- set partition_csv = partition_by | join(', ') -%}
    with ordered as (

        select
            {{ partition_csv }},
            {{ column_name }} as week_start_date,
            lag({{ column_name }}) over (partition by {{ partition_csv }} order by {{ column_name }}) as previous_week_start_date
        from {{ model }}

    )

    select *
    from ordered
    where previous_week_start_date is not null
      and {{ dbt.datediff('previous_week_start_date', 'week_start_date', 'day') }} <> 7
{% endtest %}


{% test has_value_every_week(model, column_name, market_column='market', week_column='week_start_date', what='value') %}
    {#-
        Fails with one row per market and week whose column_name is null (e.g. a week without sales inside
        the calendar). The failing weeks are also printed in the dbt log, so the message names them.
    -#}
    {%- set failing_sql -%}
        select
            {{ market_column }} as market,
            {{ week_column }} as week_start_date,
            'market ' || {{ market_column }} || ' has no {{ what }} in the week starting '
                || cast({{ week_column }} as {{ dbt.type_string() }}) as failure_message
        from {{ model }}
        where {{ column_name }} is null
    {%- endset -%}
    {#- only when the test runs (not at compile or docs time, when the table may not exist yet) -#}
    {%- if execute and flags.WHICH in ('build', 'test', 'retry') and load_relation(model) is not none -%}
        {%- set failing = run_query(failing_sql ~ ' order by 1, 2 limit 20') -%}
        {%- for row in failing.rows -%}
            {{ log('ERROR (data test): ' ~ row[2], info=true) }}
        {%- endfor -%}
    {%- endif -%}
    {{ failing_sql }}
{% endtest %}


{% test reconciles_with_quarantine(model, source_name, raw, quarantine, amount_column=none) %}
    {#-
        Every raw row is modeled or quarantined. `model` is an int_*_checked model: its rows with a null
        quarantine_rule are the modeled ones. Raw row count (the staging model, 1:1 with the file) = modeled +
        quarantined rows of source_name, and (when amount_column is given: the parsed amount, carried unchanged from
        staging into the checked model) the total of the parsed amounts of all rows = modeled total + total of the
        quarantined rows (amounts in the file's own currencies, before conversion). The quarantined rows are matched
        to the checked rows by raw_row_id, so an amount cannot be counted twice or lost. The staging view is read
        once (parsing a large file is its cost).
    -#}
    with raw_totals as (

        select count(*) as row_count
        from {{ raw }}

    ),

    checked_totals as (

        select
            {% if amount_column %}coalesce(sum({{ amount_column }}), 0){% else %}0{% endif %} as amount,
            count(*) filter (where quarantine_rule is null) as modeled_row_count,
            {% if amount_column %}coalesce(sum({{ amount_column }}) filter (where quarantine_rule is null), 0){% else %}0{% endif %} as modeled_amount
        from {{ model }}

    ),

    quarantined_totals as (

        select
            count(*) as row_count,
            {% if amount_column %}coalesce(sum(checked_rows.{{ amount_column }}), 0){% else %}0{% endif %} as amount
        from {{ quarantine }} as quarantined
        left join {{ model }} as checked_rows
            on quarantined.raw_row_id = checked_rows.raw_row_id
        where quarantined.source_name = '{{ source_name }}'

    ),

    compared as (

        select
            '{{ source_name }}' as source_name,
            raw_totals.row_count as raw_row_count,
            checked_totals.modeled_row_count,
            quarantined_totals.row_count as quarantined_row_count,
            checked_totals.amount as raw_amount,
            checked_totals.modeled_amount,
            quarantined_totals.amount as quarantined_amount
        from raw_totals
        cross join checked_totals
        cross join quarantined_totals

    )

    select *
    from compared
    where raw_row_count <> modeled_row_count + quarantined_row_count
       or abs(raw_amount - (modeled_amount + quarantined_amount)) > 1e-6 * (1 + abs(raw_amount))
{% endtest %}


{% test not_null_columns(model, column_names) %}
    {#- one query for all the not-null columns of a model (cheaper than one not_null test per column) -#}
    select
        {% for c in column_names -%}
        case when {{ c }} is null then '{{ c }}' end as null_in_{{ c }},
        {% endfor -%}
        *
    from {{ model }}
    where {% for c in column_names %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}


{% test primary_key(model, column_names, also_not_null=[], also_not_null_where=none) %}
    {#- a table's key in one query (cheaper than not_null per column plus a uniqueness test): returns each
        row whose key has a null or appears more than once, and each row with a null in also_not_null
        (only among the rows matching also_not_null_where, when given: e.g. the modeled rows of a checked model) -#}
    {%- set key = column_names | join(', ') -%}
    {%- set scope = '(' ~ also_not_null_where ~ ') and ' if also_not_null_where else '' -%}
    with keyed as (

        select
            *,
            count(*) over (partition by {{ key }}) as rows_with_this_key
        from {{ model }}

    )

    select
        {{ key }},
        rows_with_this_key,
        case
            when {% for c in column_names %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
                then 'null in the key'
            when rows_with_this_key > 1
                then 'duplicate key'
            {% for c in also_not_null -%}
            when {{ scope }}{{ c }} is null
                then 'null in {{ c }}'
            {% endfor -%}
        end as failure
    from keyed
    where {% for c in column_names %}{{ c }} is null or {% endfor %}
        {%- for c in also_not_null %} ({{ scope }}{{ c }} is null) or {% endfor %}rows_with_this_key > 1
{% endtest %}
