-- Every raw spend row with its as-of FX rate to the reporting currency (latest valid rate on or before
-- spend_date, macro mmm_join_fx_rate) and the spend in the reporting currency. Rows whose currency is
-- unknown or has no rate yet keep a null rate; int_media_spend_checked turns that into a rule.
-- Grain: raw_row_id.
with spend as (

    select * from {{ ref('stg_raw__media_spend') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_checked') }}
    where quarantine_rule is null

),

with_rates as (

    {{ mmm_join_fx_rate('spend', 'spend_date', 'original_currency', 'fx_rates', 'raw_row_id') }}

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_channel,
        raw_campaign,
        raw_spend,
        raw_currency,
        raw_impressions,
        raw_extra_columns,
        decimal_mark,
        spend_date,
        week_start_date,
        market,
        channel,
        campaign,
        spend_original,
        original_currency,
        impressions,
        is_known_currency,
        fx_rate_to_reporting,
        spend_original * fx_rate_to_reporting as spend_reporting
    from with_rates

)

select * from final
