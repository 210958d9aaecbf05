-- Weekly revenue per market on the market's calendar. A week without any modeled sales row keeps a null
-- revenue (never a silent zero) and fails the test sales_have_every_week.
-- Partial weeks: a market's usual number of days with sales per week is the most common count of distinct dates
-- among its weeks (7 for daily data, 1 for weekly). A week with sales on fewer days (a day lost to the quarantine,
-- or missing from the export) is completed by imputation: revenue x usual days / days present, i.e. the missing
-- days sold like the mean of the days present (is_partial_week; counted in mmm_data_sufficiency, sales_partial_weeks).
-- A day without a sales row counts as missing, not as zero: a closed day needs a 0 row.
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
        {{ mmm_exact_sum("revenue_reporting") }} as revenue_observed_reporting,
        count(*) as sales_row_count,
        count(distinct sales_date) as days_with_sales
    from sales
    group by market, week_start_date

),

usual_days as (

    -- the most common number of days with sales per week (ties: the larger)
    select
        market,
        days_with_sales as usual_days_with_sales
    from (
        select
            market,
            days_with_sales,
            row_number() over (partition by market order by count(*) desc, days_with_sales desc) as frequency_rank
        from sales_by_week
        group by market, days_with_sales
    ) as counted
    where frequency_rank = 1

),

final as (

    select
        market_weeks.market,
        market_weeks.week_start_date,
        case
            when sales_by_week.days_with_sales < usual_days.usual_days_with_sales
                then sales_by_week.revenue_observed_reporting * usual_days.usual_days_with_sales / sales_by_week.days_with_sales
            else sales_by_week.revenue_observed_reporting
        end as revenue_reporting,
        sales_by_week.revenue_observed_reporting,
        coalesce(sales_by_week.sales_row_count, 0) as sales_row_count,
        coalesce(sales_by_week.days_with_sales, 0) as days_with_sales,
        usual_days.usual_days_with_sales,
        coalesce(sales_by_week.days_with_sales < usual_days.usual_days_with_sales, false) as is_partial_week,
        sales_by_week.market is not null as has_sales
    from market_weeks
    left join sales_by_week
        on market_weeks.market = sales_by_week.market
        and market_weeks.week_start_date = sales_by_week.week_start_date
    left join usual_days
        on market_weeks.market = usual_days.market

)

select * from final
