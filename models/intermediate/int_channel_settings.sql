{%- set defaults = mmm_channel_defaults() -%}
-- One row per channel in the modeled spend rows or in seed channel_config. A channel with spend but missing from
-- the seed gets the documented defaults (macro mmm_channel_defaults) and is_configured = false; it is
-- reported in mmm_data_sufficiency (channel_not_configured), never dropped.
with spend as (

    select * from {{ ref('int_media_spend_checked') }}
    where quarantine_rule is null

),

channel_config as (

    select * from {{ ref('channel_config') }}

),

configured as (

    select
        {{ mmm_normalise_name('channel') }} as channel,
        display_name,
        lower(trim(adstock_kind)) as adstock_kind,
        cast(max_lag as integer) as max_lag,
        lower(trim(saturation_kind)) as saturation_kind,
        cast(min_budget_multiplier as double) as min_budget_multiplier,
        cast(max_budget_multiplier as double) as max_budget_multiplier,
        cast(roi_prior_median as double) as roi_prior_median,
        cast(roi_prior_sigma as double) as roi_prior_sigma
    from channel_config

),

all_channels as (

    select channel from configured
    union
    select distinct channel from spend

),

final as (

    select
        all_channels.channel,
        coalesce(configured.display_name, all_channels.channel) as display_name,
        coalesce(configured.adstock_kind, '{{ defaults.adstock_kind }}') as adstock_kind,
        coalesce(configured.max_lag, {{ defaults.max_lag }}) as max_lag,
        coalesce(configured.saturation_kind, '{{ defaults.saturation_kind }}') as saturation_kind,
        coalesce(configured.min_budget_multiplier, {{ defaults.min_budget_multiplier }}) as min_budget_multiplier,
        coalesce(configured.max_budget_multiplier, {{ defaults.max_budget_multiplier }}) as max_budget_multiplier,
        coalesce(configured.roi_prior_median, {{ defaults.roi_prior_median }}) as roi_prior_median,
        coalesce(configured.roi_prior_sigma, {{ defaults.roi_prior_sigma }}) as roi_prior_sigma,
        configured.channel is not null as is_configured
    from all_channels
    left join configured
        on all_channels.channel = configured.channel

)

select * from final
