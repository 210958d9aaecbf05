-- Every interval is ordered, contains its estimate, and has positive width where there is uncertainty.
-- (The engine widens an interval to its estimate when the estimate falls outside the draws' quantiles, so
-- containment alone could not fail; a zero-width interval is what a broken posterior, or a channel the data
-- cannot inform, would show, and that can.)
with checks as (

    select 'fct_channel_summary.contribution' as what, market || ' ' || channel as row_key,
        contribution_lower as lower_value, contribution as estimate, contribution_upper as upper_value,
        spend > 0 as must_have_width
    from {{ ref('fct_channel_summary') }}
    union all
    select 'fct_channel_summary.roi', market || ' ' || channel, roi_lower, roi, roi_upper, spend > 0
    from {{ ref('fct_channel_summary') }}
    union all
    select 'fct_channel_summary.mroi', market || ' ' || channel, mroi_lower, mroi, mroi_upper, spend > 0
    from {{ ref('fct_channel_summary') }}
    union all
    select 'fct_response_curves', market || ' ' || channel || ' ' || weekly_spend, lower, expected_weekly_revenue, upper,
        weekly_spend > 0
    from {{ ref('fct_response_curves') }}
    union all
    select 'fct_fitted_revenue', market || ' ' || week_start_date, fitted_lower, fitted_revenue, fitted_upper, true
    from {{ ref('fct_fitted_revenue') }}
    union all
    select 'fct_optimal_allocation', market || ' ' || channel, expected_revenue_optimal_lower, expected_revenue_optimal,
        expected_revenue_optimal_upper, optimal_weekly_spend > 0
    from {{ ref('fct_optimal_allocation') }}
    union all
    select 'fct_scenarios', scenario_name || ' ' || market, revenue_change_lower, revenue_change, revenue_change_upper,
        spend_change <> 0
    from {{ ref('fct_scenarios') }}
    where revenue_change is not null
    union all
    select 'fct_lift_test_calibration', experiment_id, predicted_lift_lower, predicted_lift, predicted_lift_upper, true
    from {{ ref('fct_lift_test_calibration') }}

),

failures as (

    select
        *,
        case
            when not (lower_value <= estimate + 1e-9 * greatest(abs(estimate), 1)
                and estimate <= upper_value + 1e-9 * greatest(abs(estimate), 1)) then 'estimate outside its interval'
            when must_have_width and not (upper_value - lower_value > 1e-9 * greatest(abs(estimate), 1))
                then 'zero-width interval'
        end as failure
    from checks

)

select * from failures where failure is not null
