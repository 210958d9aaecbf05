{{ config(materialized="table") }}

-- Every raw spend row (converted) with the first quarantine rule it fails (null = modeled) and a readable
-- reason quoting the raw value. Rule order: missing_key, unparseable_date, future_date, non_numeric_value,
-- negative_spend, negative_value, unknown_currency, no_fx_rate, duplicate_row.
-- Grain: raw_row_id. A table: each raw file is parsed, converted and checked once, then read by the
-- weekly models (quarantine_rule is null), the quarantine (quarantine_rule is not null) and the tests.
with spend as (

    select * from {{ ref('int_media_spend_converted') }}

),

row_rules as (

    select
        spend.*,
        case
            when market is null or channel is null or original_currency is null then 'missing_key'
            when spend_date is null then 'unparseable_date'
            when spend_date > {{ mmm_as_of_date() }} then 'future_date'
            when spend_original is null or (impressions is null and not {{ mmm_is_blank('raw_impressions') }}) then 'non_numeric_value'
            when spend_original < 0 then 'negative_spend'
            when impressions < 0 then 'negative_value'
            when not is_known_currency then 'unknown_currency'
            when fx_rate_to_reporting is null then 'no_fx_rate'
        end as row_rule
    from spend

),

ranked as (

    select
        row_rules.*,
        row_number() over (
            partition by row_rule is null, spend_date, market, channel, campaign, spend_original, original_currency, impressions
            order by raw_row_id
        ) as duplicate_rank,
        min(raw_row_id) over (
            partition by row_rule is null, spend_date, market, channel, campaign, spend_original, original_currency, impressions
        ) as first_raw_row_id
    from row_rules

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
        spend_date,
        week_start_date,
        market,
        channel,
        campaign,
        spend_original,
        original_currency,
        fx_rate_to_reporting,
        spend_reporting,
        impressions,
        coalesce(row_rule, case when duplicate_rank > 1 then 'duplicate_row' end) as quarantine_rule,
        case
            when row_rule = 'missing_key' then
                case
                    when market is null then 'market is blank'
                    when channel is null then 'channel is blank'
                    else 'currency is blank'
                end
            when row_rule = 'unparseable_date' then 'date ' || {{ mmm_quote_raw('raw_date') }} || ' is not a date (expected YYYY-MM-DD)'
            when row_rule = 'future_date' then 'date ' || cast(spend_date as varchar) || ' is after as_of_date ' || cast({{ mmm_as_of_date() }} as varchar)
            when row_rule = 'non_numeric_value' then
                case
                    when spend_original is null then 'spend ' || {{ mmm_quote_raw('raw_spend') }} || ' is not a number'
                    else 'impressions ' || {{ mmm_quote_raw('raw_impressions') }} || ' is not a number'
                end
            when row_rule = 'negative_spend' then 'spend ' || {{ mmm_quote_raw('raw_spend') }} || ' is negative'
            when row_rule = 'negative_value' then 'impressions ' || {{ mmm_quote_raw('raw_impressions') }} || ' is negative'
            when row_rule = 'unknown_currency' then 'currency ' || original_currency || ' is neither USD, the reporting currency ({{ mmm_reporting_currency() }}) nor in raw_fx_rates'
            when row_rule = 'no_fx_rate' then 'no FX rate to convert ' || original_currency || ' to {{ mmm_reporting_currency() }} on or before ' || cast(spend_date as varchar) || ' in raw_fx_rates'
            when duplicate_rank > 1 then 'exact duplicate of raw row ' || cast(first_raw_row_id as varchar) || ', which is kept'
        end as quarantine_reason
    from ranked

)

select * from final
