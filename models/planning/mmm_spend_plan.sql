-- The spend plan (seed spend_plan) per market, week and channel in the reporting currency, at the latest FX rate on
-- or before each row's date (macro mmm_join_fx_rate). Rows whose currency has no rate are counted in
-- unconverted_rows and left out of spend. Grain: market, week_start_date, channel.
with spend_plan as (

    select * from {{ ref('spend_plan') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_checked') }}
    where quarantine_rule is null

),

parsed as (

    select
        row_number() over () as plan_row_id,
        cast(spend_plan.date as date) as spend_date,
        {{ mmm_week_start('cast(spend_plan.date as date)') }} as week_start_date,
        {{ mmm_normalise_name('spend_plan.market') }} as market,
        {{ mmm_normalise_name('spend_plan.channel') }} as channel,
        cast(spend_plan.spend as double) as spend_original,
        {{ mmm_normalise_currency('spend_plan.currency') }} as original_currency
    from spend_plan

),

with_rates as (

    {{ mmm_join_fx_rate('parsed', 'spend_date', 'original_currency', 'fx_rates', 'plan_row_id') }}

),

final as (

    select
        market,
        week_start_date,
        channel,
        coalesce(sum(spend_original * fx_rate_to_reporting), 0.0) as spend,
        count(*) as plan_rows,
        count(*) - count(fx_rate_to_reporting) as unconverted_rows
    from with_rates
    group by market, week_start_date, channel

)

select * from final
