-- Contracted mart over mmm_fitted (dashboards read this). Grain: market, week_start_date.
with source as (

    select * from {{ ref('mmm_fitted') }}

),

final as (

    select
        cast(market as varchar) as market,
        cast(week_start_date as date) as week_start_date,
        cast(actual_revenue as double) as actual_revenue,
        cast(fitted_revenue as double) as fitted_revenue,
        cast(fitted_lower as double) as fitted_lower,
        cast(fitted_upper as double) as fitted_upper,
        cast(is_holdout as boolean) as is_holdout
    from source

)

select * from final
