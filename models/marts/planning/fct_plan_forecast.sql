-- Public mart over mmm_plan_forecast, one row per market, plan and week: the week's figures repeat on every channel
-- row of the week in the source, so its first channel row carries them.
with source as (

    select * from {{ ref('mmm_plan_forecast') }}

),

weeks as (

    select
        market,
        plan_name,
        week_start_date,
        week_number,
        week_planned_spend as planned_spend,
        expected_revenue,
        revenue_lower,
        revenue_upper,
        week_expected_media_revenue as expected_media_revenue,
        week_media_revenue_lower as media_revenue_lower,
        week_media_revenue_upper as media_revenue_upper,
        expected_carryover_revenue,
        expected_baseline_revenue,
        holiday_count,
        revenue_same_week_last_year,
        row_number() over (partition by market, plan_name, week_start_date order by channel) as channel_order
    from source

),

final as (

    select{{ mmm_contract_columns() }}
    from weeks
    where channel_order = 1

)

select * from final
