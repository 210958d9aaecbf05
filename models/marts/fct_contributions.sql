-- Contracted mart over mmm_contributions (dashboards read this). Grain: market, week_start_date, component.
with source as (

    select * from {{ ref('mmm_contributions') }}

),

final as (

    select
        cast(market as varchar) as market,
        cast(week_start_date as date) as week_start_date,
        cast(component as varchar) as component,
        cast(component_type as varchar) as component_type,
        cast(contribution as double) as contribution
    from source

)

select * from final
