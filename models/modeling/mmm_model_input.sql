-- depends_on: {{ ref('int_losses_measured') }}
-- The model input (contract: docs/contracts.md): one row per market, week and variable, long format.
-- Every market has every variable for every week of its calendar (zero-filled spend, mean-filled controls).
-- is_filled marks every value that is not a plain sum of raw rows: a spend week without rows (explicit 0), a spend
-- or revenue week completed from a partial week (int_spend_weekly, int_sales_weekly: scaled by the days present),
-- a control week filled with the market mean. It waits for the quarantine tests on int_losses_measured (the
-- depends_on above): when too much of the input was quarantined the build stops before this model.
with sales as (

    select * from {{ ref('int_sales_weekly') }}

),

spend as (

    select * from {{ ref('int_spend_weekly') }}

),

controls as (

    select * from {{ ref('int_controls_weekly') }}

),

holidays as (

    select * from {{ ref('int_holidays_weekly') }}

),

unioned as (

    select
        market,
        week_start_date,
        'revenue' as variable_type,
        'revenue' as variable_name,
        revenue_reporting as value,
        is_partial_week as is_filled
    from sales

    union all

    select
        market,
        week_start_date,
        'spend' as variable_type,
        channel as variable_name,
        spend_reporting as value,
        is_zero_filled or is_imputed as is_filled
    from spend

    union all

    select
        market,
        week_start_date,
        'control' as variable_type,
        control as variable_name,
        control_value as value,
        is_filled
    from controls

    union all

    select
        market,
        week_start_date,
        'holiday' as variable_type,
        'holiday_count' as variable_name,
        cast(holiday_count as double) as value,
        false as is_filled
    from holidays

),

final as (

    select
        market,
        week_start_date,
        variable_type,
        variable_name,
        cast(value as double) as value,
        is_filled
    from unioned

)

select * from final
order by market, variable_type, variable_name, week_start_date
