-- Weekly calendar per market: every week from the first to the last week with modeled sales rows.
with sales as (

    select * from {{ ref('int_sales_checked') }}
    where quarantine_rule is null

),

bounds as (

    select
        market,
        min(week_start_date) as first_week_start_date,
        max(week_start_date) as last_week_start_date
    from sales
    group by market

),

weeks as (

    {{ mmm_weekly_calendar('bounds') }}

),

final as (

    select
        market,
        week_start_date,
        cast({{ dbt.dateadd('day', 6, 'week_start_date') }} as date) as week_end_date,
        row_number() over (partition by market order by week_start_date) as week_number
    from weeks

)

select * from final
