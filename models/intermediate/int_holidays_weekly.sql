-- Number of holiday dates per market and week of the market's calendar (0 when none).
with market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

holidays as (

    select * from {{ ref('int_holidays_checked') }}
    where quarantine_rule is null

),

holidays_by_week as (

    select
        market,
        week_start_date,
        count(distinct holiday_date) as holiday_count
    from holidays
    group by market, week_start_date

),

final as (

    select
        market_weeks.market,
        market_weeks.week_start_date,
        coalesce(holidays_by_week.holiday_count, 0) as holiday_count
    from market_weeks
    left join holidays_by_week
        on market_weeks.market = holidays_by_week.market
        and market_weeks.week_start_date = holidays_by_week.week_start_date

)

select * from final
