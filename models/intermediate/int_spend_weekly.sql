-- Weekly spend per market, week and channel on the market's calendar, explicit zero fill: every channel
-- with at least one modeled spend row in a market has a row for every week of that market's calendar.
-- Spend dated outside the calendar is counted in mmm_data_sufficiency (spend_outside_calendar).
with market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

spend as (

    select * from {{ ref('int_media_spend_checked') }}
    where quarantine_rule is null

),

market_channels as (

    select distinct
        spend.market,
        spend.channel
    from spend
    inner join (select distinct market from market_weeks) as calendar_markets
        on spend.market = calendar_markets.market

),

spend_by_week as (

    select
        market,
        channel,
        week_start_date,
        {{ mmm_exact_sum("spend_reporting") }} as spend_reporting,
        count(*) as spend_row_count
    from spend
    group by market, channel, week_start_date

),

grid as (

    select
        market_weeks.market,
        market_weeks.week_start_date,
        market_channels.channel
    from market_weeks
    inner join market_channels
        on market_weeks.market = market_channels.market

),

final as (

    select
        grid.market,
        grid.week_start_date,
        grid.channel,
        coalesce(spend_by_week.spend_reporting, 0.0) as spend_reporting,
        coalesce(spend_by_week.spend_row_count, 0) as spend_row_count,
        spend_by_week.market is null as is_zero_filled
    from grid
    left join spend_by_week
        on grid.market = spend_by_week.market
        and grid.channel = spend_by_week.channel
        and grid.week_start_date = spend_by_week.week_start_date

)

select * from final
