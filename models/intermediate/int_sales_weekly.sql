-- Weekly revenue per market on the market's calendar. A week without any modeled sales row keeps a null
-- revenue (never a silent zero) and fails the test sales_have_every_week.
with market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

sales as (

    select * from {{ ref('int_sales_checked') }}
    where quarantine_rule is null

),

sales_by_week as (

    select
        market,
        week_start_date,
        {{ mmm_exact_sum("revenue_reporting") }} as revenue_reporting,
        count(*) as sales_row_count
    from sales
    group by market, week_start_date

),

final as (

    select
        market_weeks.market,
        market_weeks.week_start_date,
        sales_by_week.revenue_reporting,
        coalesce(sales_by_week.sales_row_count, 0) as sales_row_count,
        sales_by_week.market is not null as has_sales
    from market_weeks
    left join sales_by_week
        on market_weeks.market = sales_by_week.market
        and market_weeks.week_start_date = sales_by_week.week_start_date

)

select * from final
