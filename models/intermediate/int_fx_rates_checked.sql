{{ config(materialized="table") }}

-- Every raw FX row with the first quarantine rule it fails (null = the rate is used).
-- Rule order: missing_key, unparseable_date, future_date, non_numeric_value, negative_value,
-- duplicate_row (same currency, date and rate as an earlier valid row), duplicate_key (another rate
-- for the same currency and date: the first valid row in file order is kept).
-- Grain: raw_row_id. A table: the conversions and the quarantine read it.
with fx_rates as (

    select * from {{ ref('stg_raw__fx_rates') }}

),

row_rules as (

    select
        fx_rates.*,
        case
            when currency is null then 'missing_key'
            when rate_date is null then 'unparseable_date'
            when rate_date > {{ mmm_as_of_date() }} then 'future_date'
            when rate_to_usd is null then 'non_numeric_value'
            when rate_to_usd <= 0 then 'negative_value'
        end as row_rule
    from fx_rates

),

ranked as (

    select
        row_rules.*,
        row_number() over (
            partition by row_rule is null, currency, rate_date, rate_to_usd order by raw_row_id
        ) as exact_rank,
        row_number() over (partition by row_rule is null, currency, rate_date order by raw_row_id) as key_rank,
        min(raw_row_id) over (partition by row_rule is null, currency, rate_date) as first_raw_row_id
    from row_rules

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_currency,
        raw_rate_to_usd,
        raw_extra_columns,
        rate_date,
        currency,
        rate_to_usd,
        case
            when row_rule is not null then row_rule
            when exact_rank > 1 then 'duplicate_row'
            when key_rank > 1 then 'duplicate_key'
        end as quarantine_rule,
        case
            when row_rule = 'missing_key' then 'currency is blank'
            when row_rule = 'unparseable_date' then 'date ' || {{ mmm_quote_raw('raw_date') }} || ' is not a date{{ mmm_unparseable_date_hint('raw_fx_rates') }}'
            when row_rule = 'future_date' then 'date ' || cast(rate_date as varchar) || ' is after as_of_date ' || cast({{ mmm_as_of_date() }} as varchar)
            when row_rule = 'non_numeric_value' then 'rate_to_usd ' || {{ mmm_quote_raw('raw_rate_to_usd') }} || ' is not a number' || {{ mmm_unparseable_number_hint('raw_rate_to_usd', 'decimal_mark') }}
            when row_rule = 'negative_value' then 'rate_to_usd ' || {{ mmm_quote_raw('raw_rate_to_usd') }} || ' must be positive'
            when exact_rank > 1 then 'exact duplicate of raw row ' || cast(first_raw_row_id as varchar) || ', which is kept'
            when key_rank > 1 then 'another rate for ' || currency || ' on ' || cast(rate_date as varchar)
                || ' comes first in the file (raw row ' || cast(first_raw_row_id as varchar) || ') and is kept'
        end as quarantine_reason
    from ranked

)

select * from final
