{%- set min_weeks_required = var('min_weeks_required') %}
-- The modeling window of each market against var as_of_date: the first and last modeled week, whether the
-- last week is complete (its last day is on or before as_of_date) and how many sales rows were set aside
-- as dated after it (rule future_date). A backtest (as_of_date in the past) is honest only if the window
-- ends there: a data test checks that no modeled week starts after as_of_date.
-- Before anything is built on it, this model stops the build with a plain message when as_of_date is
-- before the first sales row (nothing to model) or too early for any market to have var min_weeks_required
-- weeks of history, naming the earliest as_of_date that would do.
-- Grain: market.
{%- if execute %}
    {%- set sales_relation = load_relation(ref('int_sales_checked')) %}
    {%- set weeks_relation = load_relation(ref('int_market_weeks')) %}
    {%- if sales_relation is not none and weeks_relation is not none %}
        {%- set probe %}
            with weeks_per_market as (
                select market, count(*) as week_count, min(week_start_date) as first_week_start_date
                from {{ weeks_relation }}
                group by market
            )
            select
                (select count(*) from {{ sales_relation }} where quarantine_rule is null) as modeled_sales_rows,
                (select cast(min(sales_date) as varchar) from {{ sales_relation }} where quarantine_rule = 'future_date') as first_future_sales_date,
                (select coalesce(max(week_count), 0) from weeks_per_market) as most_weeks,
                (select cast(min(cast({{ dbt.dateadd('day', 7 * min_weeks_required - 1, 'first_week_start_date') }} as date)) as varchar)
                    from weeks_per_market) as earliest_as_of_date,
                cast({{ mmm_as_of_date() }} as varchar) as as_of_date
        {%- endset %}
        {%- set found = run_query(probe).rows[0] %}
        {%- if found[0] == 0 and found[1] is not none %}
            {{ exceptions.raise_compiler_error(
                "as_of_date " ~ found[4] ~ " is before the first sales row (dated " ~ found[1] ~ "): every row is "
                ~ "after it (quarantined as future_date), so there is nothing to model. Choose an as_of_date on or after "
                ~ found[1] ~ " plus " ~ min_weeks_required ~ " weeks (var min_weeks_required).") }}
        {%- elif found[0] > 0 and found[2] < min_weeks_required %}
            {{ exceptions.raise_compiler_error(
                "as_of_date " ~ found[4] ~ " is too early to fit: the longest market history up to it is " ~ found[2]
                ~ " weeks, and at least " ~ min_weeks_required ~ " (var min_weeks_required) are needed. The earliest "
                ~ "as_of_date that gives a market enough weeks is " ~ found[3] ~ ".") }}
        {%- endif %}
    {%- endif %}
{%- endif %}

with market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

sales as (

    select * from {{ ref('int_sales_checked') }}

),

context as (

    select * from {{ ref('mmm_run_context') }}

),

windows as (

    select
        market,
        min(week_start_date) as first_week_start_date,
        max(week_start_date) as last_week_start_date,
        max(week_end_date) as last_week_end_date,
        count(*) as week_count
    from market_weeks
    group by market

),

future_sales as (

    select
        market,
        count(*) as future_sales_rows
    from sales
    where quarantine_rule = 'future_date'
    group by market

),

final as (

    select
        windows.market,
        context.as_of_date,
        context.is_as_of_date_set,
        windows.first_week_start_date,
        windows.last_week_start_date,
        windows.last_week_end_date,
        windows.week_count,
        windows.last_week_end_date <= context.as_of_date as is_last_week_complete,
        cast(least({{ dbt.datediff('windows.last_week_start_date', 'context.as_of_date', 'day') }} + 1, 7) as integer)
            as days_in_last_week,
        coalesce(future_sales.future_sales_rows, 0) as future_sales_rows
    from windows
    cross join context
    left join future_sales
        on windows.market = future_sales.market

)

select * from final
