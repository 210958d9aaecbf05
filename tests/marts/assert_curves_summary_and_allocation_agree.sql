-- The tables describe one model: at each channel's current weekly spend, the response curve's
-- marginal ROI equals the channel summary's mroi, and its expected revenue equals the allocation's
-- expected_revenue_current (all are the posterior-mean curve; relative tolerance 1e-6).
with curves as (

    select market, channel, weekly_spend, expected_weekly_revenue, mroi
    from {{ ref('fct_response_curves') }}
    where is_current_spend

),

summary as (

    select market, channel, current_weekly_spend, mroi
    from {{ ref('fct_channel_summary') }}

),

allocation as (

    select market, channel, current_weekly_spend, expected_revenue_current
    from {{ ref('fct_optimal_allocation') }}

),

compared as (

    select
        summary.market,
        summary.channel,
        summary.current_weekly_spend,
        curves.weekly_spend as curve_current_spend,
        summary.mroi as summary_mroi,
        curves.mroi as curve_mroi,
        allocation.expected_revenue_current as allocation_revenue_current,
        curves.expected_weekly_revenue as curve_revenue_current
    from summary
    left join curves using (market, channel)
    left join allocation using (market, channel)
    where summary.current_weekly_spend > 0

)

select *
from compared
where curve_mroi is null
    or abs(curve_current_spend - current_weekly_spend) > 1e-6 * greatest(current_weekly_spend, 1)
    or abs(curve_mroi - summary_mroi) > 1e-6 * greatest(abs(summary_mroi), 1e-9)
    or (allocation_revenue_current is not null
        and abs(curve_revenue_current - allocation_revenue_current) > 1e-6 * greatest(abs(allocation_revenue_current), 1))
