-- Contracted mart over mmm_scenarios (dashboards read this). Grain: scenario_name, market.
with source as (

    select * from {{ ref('mmm_scenarios') }}

),

final as (

    select
        cast(scenario_name as varchar) as scenario_name,
        cast(market as varchar) as market,
        cast(description as varchar) as description,
        cast(spend_change as double) as spend_change,
        cast(revenue_change as double) as revenue_change,
        cast(revenue_change_lower as double) as revenue_change_lower,
        cast(revenue_change_upper as double) as revenue_change_upper,
        cast(message as varchar) as message
    from source

)

select * from final
