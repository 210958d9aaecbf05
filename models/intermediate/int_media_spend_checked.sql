{{ config(materialized="table") }}
{%- set factor = mmm_implausible_value_factor() %}
{%- set keep = mmm_restated_rows_keep() %}
{%- set key = 'spend_date, market, channel, campaign, raw_extra_columns' %}

-- Every raw spend row (converted) with the first quarantine rule it fails (null = modeled) and a readable
-- reason quoting the raw value. Rule order: missing_key, unparseable_date, future_date, non_numeric_value,
-- negative_spend, negative_value, unknown_currency, no_fx_rate, implausible_value, duplicate_row,
-- conflicting_duplicate.
-- * implausible_value: spend above var implausible_value_factor (100) times the median non-zero weekly spend of
--   its market and channel (a typo such as 1e15 or a missing decimal point), among the rows passing the rules before.
-- * duplicate_row / conflicting_duplicate: rows with the same key (date, market, channel, campaign and the file's
--   extra columns, e.g. an account_id) are one row restated. The version kept is the one later in the file (var
--   restated_rows_keep: last) or the first one; its first occurrence is modeled, its other occurrences are
--   duplicate_row, and the other versions are conflicting_duplicate with a reason naming the kept row.
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

weekly_spend as (

    select
        market,
        channel,
        week_start_date,
        {{ mmm_exact_sum('spend_reporting') }} as week_spend_reporting
    from row_rules
    where row_rule is null
    group by market, channel, week_start_date

),

typical_weeks as (

    select
        market,
        channel,
        percentile_cont(0.5) within group (order by week_spend_reporting) as median_week_spend_reporting
    from weekly_spend
    where week_spend_reporting > 0
    group by market, channel

),

value_rules as (

    select
        row_rules.*,
        typical_weeks.median_week_spend_reporting,
        coalesce(
            row_rules.row_rule,
            case when row_rules.spend_reporting > {{ factor }} * typical_weeks.median_week_spend_reporting then 'implausible_value' end
        ) as value_rule
    from row_rules
    left join typical_weeks
        on row_rules.market = typical_weeks.market
        and row_rules.channel = typical_weeks.channel

),

versions as (

    select
        value_rules.*,
        first_value(raw_row_id) over key_order as winning_raw_row_id,
        first_value(raw_spend) over key_order as winning_raw_spend,
        first_value(spend_original) over key_order as winning_spend_original,
        first_value(original_currency) over key_order as winning_currency,
        first_value(impressions) over key_order as winning_impressions
    from value_rules
    window key_order as (
        partition by value_rule is null, {{ key }}
        order by raw_row_id {{ 'desc' if keep == 'last' else 'asc' }}
    )

),

compared as (

    select
        versions.*,
        (
            spend_original = winning_spend_original
            and original_currency = winning_currency
            and impressions is not distinct from winning_impressions
        ) as has_winning_values
    from versions

),

kept as (

    select
        compared.*,
        min(case when has_winning_values then raw_row_id end) over (
            partition by value_rule is null, {{ key }}
        ) as kept_raw_row_id
    from compared

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
        coalesce(
            value_rule,
            case
                when not has_winning_values then 'conflicting_duplicate'
                when raw_row_id <> kept_raw_row_id then 'duplicate_row'
            end
        ) as quarantine_rule,
        case
            when value_rule = 'missing_key' then
                case
                    when market is null then 'market is blank'
                    when channel is null then 'channel is blank'
                    else 'currency is blank'
                end
            when value_rule = 'unparseable_date' then 'date ' || {{ mmm_quote_raw('raw_date') }} || ' is not a date{{ mmm_unparseable_date_hint('raw_media_spend') }}'
            when value_rule = 'future_date' then 'date ' || cast(spend_date as varchar) || ' is after as_of_date ' || cast({{ mmm_as_of_date() }} as varchar)
            when value_rule = 'non_numeric_value' then
                case
                    when spend_original is null then 'spend ' || {{ mmm_quote_raw('raw_spend') }} || ' is not a number' || {{ mmm_unparseable_number_hint('raw_spend', 'decimal_mark') }}
                    else 'impressions ' || {{ mmm_quote_raw('raw_impressions') }} || ' is not a number' || {{ mmm_unparseable_number_hint('raw_impressions', 'decimal_mark') }}
                end
            when value_rule = 'negative_spend' then 'spend ' || {{ mmm_quote_raw('raw_spend') }} || ' is negative'
            when value_rule = 'negative_value' then 'impressions ' || {{ mmm_quote_raw('raw_impressions') }} || ' is negative'
            when value_rule = 'unknown_currency' then 'currency ' || original_currency || ' is neither USD, the reporting currency ({{ mmm_reporting_currency() }}) nor in raw_fx_rates'
            when value_rule = 'no_fx_rate' then 'no FX rate to convert ' || original_currency || ' to {{ mmm_reporting_currency() }} on or before ' || cast(spend_date as varchar) || ' in raw_fx_rates'
            when value_rule = 'implausible_value' then 'spend ' || {{ mmm_quote_raw('raw_spend') }} || ' (' || {{ mmm_format_amount('spend_reporting') }}
                || ' {{ mmm_reporting_currency() }}) is more than {{ '%g' | format(factor) }} times the median weekly spend of ' || channel || ' in ' || market
                || ' (' || {{ mmm_format_amount('median_week_spend_reporting') }} || ' {{ mmm_reporting_currency() }}; var implausible_value_factor)'
            when not has_winning_values then
                'restated: raw row ' || cast(winning_raw_row_id as varchar) || ' has the same date, market, channel and campaign'
                || case when raw_extra_columns is not null then ' (and ' || raw_extra_columns || ')' else '' end
                || ' with other values (spend ' || {{ mmm_quote_raw('winning_raw_spend') }} || ') and comes {{ 'later' if keep == 'last' else 'first' }} in the file, so it is kept'
                || case when kept_raw_row_id <> winning_raw_row_id then ' (as its identical raw row ' || cast(kept_raw_row_id as varchar) || ')' else '' end
                || ' (var restated_rows_keep: {{ keep }})'
            when raw_row_id <> kept_raw_row_id then 'exact duplicate of raw row ' || cast(kept_raw_row_id as varchar) || ', which is kept'
        end as quarantine_reason
    from kept

)

select * from final
