-- Contracted mart over mmm_response_curves (dashboards read this). Grain: market, channel, weekly_spend.
with source as (

    select * from {{ ref('mmm_response_curves') }}

),

final as (

    select
        cast(market as varchar) as market,
        cast(channel as varchar) as channel,
        cast(weekly_spend as double) as weekly_spend,
        cast(expected_weekly_revenue as double) as expected_weekly_revenue,
        cast(lower as double) as lower,
        cast(upper as double) as upper,
        cast(mroi as double) as mroi,
        cast(is_current_spend as boolean) as is_current_spend
    from source

)

select * from final
