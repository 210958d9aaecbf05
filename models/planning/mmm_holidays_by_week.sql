-- Holidays per market and week from every valid raw holiday row, including weeks after the market's calendar (the
-- plan forecast's known holidays; int_holidays_weekly keeps only the modeled weeks). Grain: market, week_start_date.
with holidays as (

    select * from {{ ref('int_holidays_checked') }}
    where quarantine_rule is null

),

final as (

    select
        market,
        week_start_date,
        count(distinct holiday_date) as holiday_count
    from holidays
    group by market, week_start_date

)

select * from final
