-- Every response curve starts at zero revenue for zero spend and never decreases as spend grows
-- (point estimate and band), and marks exactly one row as the current spend.
with curves as (

    select
        *,
        lag(expected_weekly_revenue) over (partition by market, channel order by weekly_spend) as previous_revenue,
        lag(upper) over (partition by market, channel order by weekly_spend) as previous_upper,
        lag(lower) over (partition by market, channel order by weekly_spend) as previous_lower,
        row_number() over (partition by market, channel order by weekly_spend) as point_number
    from {{ ref('fct_response_curves') }}

),

bad_points as (

    select market, channel, weekly_spend, 'decreasing' as problem
    from curves
    where expected_weekly_revenue < previous_revenue - 1e-9 * greatest(abs(previous_revenue), 1)
        or upper < previous_upper - 1e-9 * greatest(abs(previous_upper), 1)
        or lower < previous_lower - 1e-9 * greatest(abs(previous_lower), 1)

    union all

    select market, channel, weekly_spend, 'does not start at zero' as problem
    from curves
    where point_number = 1 and (weekly_spend <> 0 or abs(expected_weekly_revenue) > 1e-9)

    union all

    select market, channel, null as weekly_spend, 'not exactly one current-spend row' as problem
    from curves
    group by market, channel
    having sum(case when is_current_spend then 1 else 0 end) <> 1

)

select * from bad_points
