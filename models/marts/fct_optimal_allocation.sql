-- Contracted mart over mmm_optimal_allocation (dashboards read this). Grain: market, channel.
with source as (

    select * from {{ ref('mmm_optimal_allocation') }}

),

final as (

    select
        cast(market as varchar) as market,
        cast(channel as varchar) as channel,
        cast(current_weekly_spend as double) as current_weekly_spend,
        cast(optimal_weekly_spend as double) as optimal_weekly_spend,
        cast(min_weekly_spend as double) as min_weekly_spend,
        cast(max_weekly_spend as double) as max_weekly_spend,
        cast(expected_revenue_current as double) as expected_revenue_current,
        cast(expected_revenue_optimal as double) as expected_revenue_optimal,
        cast(expected_revenue_optimal_lower as double) as expected_revenue_optimal_lower,
        cast(expected_revenue_optimal_upper as double) as expected_revenue_optimal_upper,
        cast(change_pct as double) as change_pct,
        cast(binding_constraint as varchar) as binding_constraint,
        cast(weekly_budget as double) as weekly_budget,
        cast(is_joint_over_markets as boolean) as is_joint_over_markets,
        cast(optimizer_message as varchar) as optimizer_message
    from source

)

select * from final
