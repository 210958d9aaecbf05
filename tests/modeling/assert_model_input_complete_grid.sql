-- Every market has every variable for every week of its calendar: rows = weeks x variables, per market.
with model_input as (

    select * from {{ ref('mmm_model_input') }}

),

market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

expected as (

    select
        market_weeks.market,
        count(*) as week_count
    from market_weeks
    group by market_weeks.market

),

actual as (

    select
        market,
        count(distinct week_start_date) as week_count,
        count(distinct variable_type || ':' || variable_name) as variable_count,
        count(*) as row_count
    from model_input
    group by market

),

final as (

    select
        expected.market,
        expected.week_count as calendar_week_count,
        actual.week_count,
        actual.variable_count,
        actual.row_count
    from expected
    left join actual
        on expected.market = actual.market
    where actual.market is null
       or actual.week_count <> expected.week_count
       or actual.row_count <> expected.week_count * actual.variable_count

)

select * from final
