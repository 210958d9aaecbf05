{{ config(materialized="table") }}

-- Every raw lift-test row with its as-of FX rate on end_date (looked up here because two rules need it)
-- and the first quarantine rule it fails (null = used), with a readable reason.
-- Rule order: missing_key, unparseable_date, invalid_date_range, future_date, non_numeric_value,
-- negative_value (standard error), unknown_currency, no_fx_rate, duplicate_row, duplicate_key
-- (experiment_id seen earlier with other values: the first valid row in file order is kept).
-- The amounts are converted in int_lift_tests_converted. Grain: raw_row_id.
with lift_tests as (

    select * from {{ ref('stg_raw__lift_tests') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_checked') }}
    where quarantine_rule is null

),

with_rates as (

    {{ mmm_join_fx_rate('lift_tests', 'end_date', 'original_currency', 'fx_rates', 'raw_row_id') }}

),

row_rules as (

    select
        with_rates.*,
        case
            when experiment_id is null or market is null or channel is null or original_currency is null then 'missing_key'
            when start_date is null or end_date is null then 'unparseable_date'
            when end_date < start_date then 'invalid_date_range'
            when end_date > {{ mmm_as_of_date() }} then 'future_date'
            when incremental_revenue_original is null or incremental_revenue_se_original is null then 'non_numeric_value'
            when incremental_revenue_se_original < 0 then 'negative_value'
            when not is_known_currency then 'unknown_currency'
            when fx_rate_to_reporting is null then 'no_fx_rate'
        end as row_rule
    from with_rates

),

ranked as (

    select
        row_rules.*,
        row_number() over (
            partition by row_rule is null, experiment_id, market, channel, start_date, end_date,
                incremental_revenue_original, incremental_revenue_se_original, original_currency
            order by raw_row_id
        ) as exact_rank,
        row_number() over (partition by row_rule is null, experiment_id order by raw_row_id) as key_rank,
        min(raw_row_id) over (partition by row_rule is null, experiment_id) as first_raw_row_id
    from row_rules

),

final as (

    select
        raw_row_id,
        raw_experiment_id,
        raw_market,
        raw_channel,
        raw_start_date,
        raw_end_date,
        raw_incremental_revenue,
        raw_incremental_revenue_se,
        raw_currency,
        raw_extra_columns,
        experiment_id,
        market,
        channel,
        start_date,
        end_date,
        incremental_revenue_original,
        incremental_revenue_se_original,
        original_currency,
        fx_rate_to_reporting,
        case
            when row_rule is not null then row_rule
            when exact_rank > 1 then 'duplicate_row'
            when key_rank > 1 then 'duplicate_key'
        end as quarantine_rule,
        case
            when row_rule = 'missing_key' then
                case
                    when experiment_id is null then 'experiment_id is blank'
                    when market is null then 'market is blank'
                    when channel is null then 'channel is blank'
                    else 'currency is blank'
                end
            when row_rule = 'unparseable_date' then
                case
                    when start_date is null then 'start_date ' || {{ mmm_quote_raw('raw_start_date') }} || ' is not a date{{ mmm_unparseable_date_hint('raw_lift_tests') }}'
                    else 'end_date ' || {{ mmm_quote_raw('raw_end_date') }} || ' is not a date{{ mmm_unparseable_date_hint('raw_lift_tests') }}'
                end
            when row_rule = 'invalid_date_range' then 'end_date ' || cast(end_date as varchar) || ' is before start_date ' || cast(start_date as varchar)
            when row_rule = 'future_date' then 'end_date ' || cast(end_date as varchar) || ' is after as_of_date ' || cast({{ mmm_as_of_date() }} as varchar)
            when row_rule = 'non_numeric_value' then
                case
                    when incremental_revenue_original is null then 'incremental_revenue ' || {{ mmm_quote_raw('raw_incremental_revenue') }} || ' is not a number' || {{ mmm_unparseable_number_hint('raw_incremental_revenue', 'decimal_mark') }}
                    else 'incremental_revenue_se ' || {{ mmm_quote_raw('raw_incremental_revenue_se') }} || ' is not a number' || {{ mmm_unparseable_number_hint('raw_incremental_revenue_se', 'decimal_mark') }}
                end
            when row_rule = 'negative_value' then 'incremental_revenue_se ' || {{ mmm_quote_raw('raw_incremental_revenue_se') }} || ' is negative'
            when row_rule = 'unknown_currency' then 'currency ' || original_currency || ' is neither USD, the reporting currency ({{ mmm_reporting_currency() }}) nor in raw_fx_rates'
            when row_rule = 'no_fx_rate' then 'no FX rate to convert ' || original_currency || ' to {{ mmm_reporting_currency() }} on or before ' || cast(end_date as varchar) || ' in raw_fx_rates'
            when exact_rank > 1 then 'exact duplicate of raw row ' || cast(first_raw_row_id as varchar) || ', which is kept'
            when key_rank > 1 then 'experiment_id ' || experiment_id || ' already appears in raw row ' || cast(first_raw_row_id as varchar) || ', which is kept'
        end as quarantine_reason
    from ranked

)

select * from final
