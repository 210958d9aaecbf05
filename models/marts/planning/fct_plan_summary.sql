-- Public mart over mmm_plan_forecast, one row per market and plan: the plan's totals repeat on every row of the plan
-- in the source, so its first row carries them.
with source as (

    select * from {{ ref('mmm_plan_forecast') }}

),

plans as (

    select
        market,
        plan_name,
        first_week_start_date,
        last_week_start_date,
        n_weeks,
        plan_planned_spend as planned_spend,
        plan_expected_revenue as expected_revenue,
        plan_revenue_lower as revenue_lower,
        plan_revenue_upper as revenue_upper,
        plan_expected_media_revenue as expected_media_revenue,
        plan_media_revenue_lower as media_revenue_lower,
        plan_media_revenue_upper as media_revenue_upper,
        plan_expected_carryover_revenue as expected_carryover_revenue,
        revenue_change_vs_current,
        revenue_change_vs_current_lower,
        revenue_change_vs_current_upper,
        revenue_same_weeks_last_year,
        growth_vs_last_year,
        target_growth,
        is_target_reached,
        message,
        row_number() over (partition by market, plan_name order by week_start_date, channel) as row_order
    from source

),

final as (

    select{{ mmm_contract_columns() }}
    from plans
    where row_order = 1

)

select * from final
