-- Contracted mart over mmm_channel_summary (dashboards read this). Grain: market, channel.
with source as (

    select * from {{ ref('mmm_channel_summary') }}

),

final as (

    select
        cast(market as varchar) as market,
        cast(channel as varchar) as channel,
        cast(display_name as varchar) as display_name,
        cast(spend as double) as spend,
        cast(contribution as double) as contribution,
        cast(contribution_lower as double) as contribution_lower,
        cast(contribution_upper as double) as contribution_upper,
        cast(roi as double) as roi,
        cast(roi_lower as double) as roi_lower,
        cast(roi_upper as double) as roi_upper,
        cast(mroi as double) as mroi,
        cast(mroi_lower as double) as mroi_lower,
        cast(mroi_upper as double) as mroi_upper,
        cast(spend_share as double) as spend_share,
        cast(contribution_share as double) as contribution_share,
        cast(current_weekly_spend as double) as current_weekly_spend,
        cast(saturation_weekly_spend as double) as saturation_weekly_spend,
        cast(warnings as varchar) as warnings
    from source

)

select * from final
