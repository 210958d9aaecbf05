-- Contracted mart over mmm_diagnostics (dashboards read this). Grain: market, metric.
with source as (

    select * from {{ ref('mmm_diagnostics') }}

),

final as (

    select
        cast(market as varchar) as market,
        cast(metric as varchar) as metric,
        cast(value as double) as value,
        cast(threshold as double) as threshold,
        cast(status as varchar) as status,
        cast(note as varchar) as note
    from source

)

select * from final
