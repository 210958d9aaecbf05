-- How each channel bought nationally is split across the markets. National spend is a raw_media_spend row with
-- market `all` (trimmed, any case; staging lower-cases it): one spend series for the whole country, parsed, converted
-- and quarantined like every other spend row (int_media_spend_checked), then split here, per week, in int_spend_weekly.
-- One row per national channel (a channel with at least one modeled row of market `all`) and market with modeled
-- sales (int_market_weeks):
-- * default (weight_source 'revenue_share'): weight_basis = the market's revenue in the reporting currency over all
--   the weeks of its calendar, so a channel's split is one set of shares, stable from week to week (a week's own
--   revenue would move the split with the very revenue the model explains, and a week without sales would get none);
-- * override (weight_source 'seed'): when seed national_media_weights lists the channel, weight_basis = the seed's
--   weight for the market (0 for a market the seed does not list for the channel).
-- weight = weight_basis / the channel's total (sums to 1 over the markets), null when that total is 0: the channel has
-- no usable weights and the test national_spend_can_be_split stops the build naming it (it also stops it for a seed
-- row naming a market without modeled sales or a channel without national spend).
-- Grain: channel, market. A view: int_spend_weekly and mmm_data_sufficiency read it.
with national_spend as (

    select * from {{ ref('int_media_spend_checked') }}
    where quarantine_rule is null
      and market = 'all'

),

sales_weekly as (

    select * from {{ ref('int_sales_weekly') }}

),

seed_weights as (

    select * from {{ ref('national_media_weights') }}

),

national_channels as (

    select distinct channel
    from national_spend

),

market_revenue as (

    select
        market,
        {{ mmm_exact_sum('revenue_reporting') }} as revenue_reporting
    from sales_weekly
    group by market

),

seeded as (

    select
        {{ mmm_normalise_name('channel') }} as channel,
        {{ mmm_normalise_name('market') }} as market,
        cast(weight as double) as weight
    from seed_weights

),

seeded_channels as (

    select distinct channel
    from seeded
    where channel is not null

),

candidates as (

    select
        national_channels.channel,
        market_revenue.market,
        market_revenue.revenue_reporting,
        seeded_channels.channel is not null as is_seeded
    from national_channels
    cross join market_revenue
    left join seeded_channels
        on national_channels.channel = seeded_channels.channel

),

based as (

    select
        candidates.channel,
        candidates.market,
        candidates.revenue_reporting,
        candidates.is_seeded,
        case
            when candidates.is_seeded then coalesce(seeded.weight, 0.0)
            else coalesce(candidates.revenue_reporting, 0.0)
        end as weight_basis
    from candidates
    left join seeded
        on candidates.channel = seeded.channel
        and candidates.market = seeded.market

),

totals as (

    select
        channel,
        {{ mmm_exact_sum('weight_basis') }} as channel_weight_basis
    from based
    group by channel

),

final as (

    select
        based.channel,
        based.market,
        case when based.is_seeded then 'seed' else 'revenue_share' end as weight_source,
        based.weight_basis,
        based.weight_basis / nullif(totals.channel_weight_basis, 0) as weight,
        based.revenue_reporting as market_revenue_reporting
    from based
    inner join totals
        on based.channel = totals.channel

)

select * from final
