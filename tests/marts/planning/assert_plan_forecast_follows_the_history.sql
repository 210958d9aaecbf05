-- Every plan starts the week after its market's last modeled week and runs in consecutive weeks; its summary is the
-- sum of its weeks; every interval contains its estimate; the weeks' media revenue is the sum of the channels'.
with forecast as (

    select * from {{ ref('fct_plan_forecast') }}

),

summary as (

    select * from {{ ref('fct_plan_summary') }}

),

allocation as (

    select * from {{ ref('fct_plan_allocation') }}

),

fitted as (

    select market, max(week_start_date) as last_week_start_date
    from {{ ref('fct_fitted_revenue') }}
    group by market

),

wrong_start as (

    select forecast.market, forecast.plan_name, cast(forecast.week_start_date as varchar) as subject,
        'first week is not the week after the last modeled week' as problem
    from forecast
    inner join fitted
        on forecast.market = fitted.market
    where forecast.week_number = 1
        and forecast.week_start_date <> cast(fitted.last_week_start_date + interval 7 day as date)

),

gaps as (

    select market, plan_name, cast(week_start_date as varchar) as subject, 'weeks are not consecutive' as problem
    from (
        select *, lag(week_start_date) over (partition by market, plan_name order by week_start_date) as previous_week
        from forecast
    ) as ordered
    where previous_week is not null and week_start_date <> cast(previous_week + interval 7 day as date)

),

week_sums as (

    select market, plan_name, sum(expected_revenue) as expected_revenue, count(*) as n_weeks
    from forecast
    group by market, plan_name

),

off_summary as (

    select summary.market, summary.plan_name, '' as subject, 'summary is not the sum of the weeks' as problem
    from summary
    inner join week_sums
        on summary.market = week_sums.market
        and summary.plan_name = week_sums.plan_name
    where abs(summary.expected_revenue - week_sums.expected_revenue) > 1e-6 * greatest(abs(week_sums.expected_revenue), 1)
        or summary.n_weeks <> week_sums.n_weeks

),

bad_intervals as (

    select market, plan_name, cast(week_start_date as varchar) as subject, 'interval does not contain the estimate' as problem
    from forecast
    where not (revenue_lower <= expected_revenue and expected_revenue <= revenue_upper
        and media_revenue_lower <= expected_media_revenue and expected_media_revenue <= media_revenue_upper
        and revenue_upper > revenue_lower)
    union all
    select market, plan_name, '' as subject, 'interval does not contain the estimate' as problem
    from summary
    where not (revenue_lower <= expected_revenue and expected_revenue <= revenue_upper
        and revenue_change_vs_current_lower <= revenue_change_vs_current
        and revenue_change_vs_current <= revenue_change_vs_current_upper)

),

channel_sums as (

    select market, plan_name, week_start_date, sum(expected_media_revenue) as expected_media_revenue
    from allocation
    group by market, plan_name, week_start_date

),

off_channels as (

    select forecast.market, forecast.plan_name, cast(forecast.week_start_date as varchar) as subject,
        'media revenue is not the sum of the channels' as problem
    from forecast
    inner join channel_sums
        on forecast.market = channel_sums.market
        and forecast.plan_name = channel_sums.plan_name
        and forecast.week_start_date = channel_sums.week_start_date
    where abs(forecast.expected_media_revenue - channel_sums.expected_media_revenue)
        > 1e-6 * greatest(abs(channel_sums.expected_media_revenue), 1)

)

select * from wrong_start
union all
select * from gaps
union all
select * from off_summary
union all
select * from bad_intervals
union all
select * from off_channels
