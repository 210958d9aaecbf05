{{ config(materialized="table") }}

-- Every raw sales row, parsed and converted, with the first quarantine rule it fails (null = staged).
-- Rule order: missing_key, unparseable_date, future_date, non_numeric_value, negative_value,
-- unknown_currency, no_fx_rate, duplicate_row.
with raw as (

    select * from {{ ref('base_raw__sales') }}

),

fx_rates as (

    select * from {{ ref('stg_raw__fx_rates') }}

),

parsed as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_revenue,
        raw_currency,
        {{ mmm_parse_date('raw_date') }} as sales_date,
        {{ mmm_normalise_name('raw_market') }} as market,
        {{ mmm_parse_number('raw_revenue') }} as revenue_original,
        {{ mmm_normalise_currency('raw_currency') }} as original_currency
    from raw

),

converted as (

    {{ mmm_join_fx_rate('parsed', 'sales_date', 'original_currency', 'fx_rates', 'raw_row_id') }}

),

row_rules as (

    select
        converted.*,
        case
            when market is null or original_currency is null then 'missing_key'
            when sales_date is null then 'unparseable_date'
            when sales_date > {{ mmm_as_of_date() }} then 'future_date'
            when revenue_original is null then 'non_numeric_value'
            when revenue_original < 0 then 'negative_value'
            when not is_known_currency then 'unknown_currency'
            when fx_rate_to_reporting is null then 'no_fx_rate'
        end as row_rule
    from converted

),

ranked as (

    select
        row_rules.*,
        row_number() over (
            partition by row_rule is null, sales_date, market, revenue_original, original_currency order by raw_row_id
        ) as duplicate_rank,
        min(raw_row_id) over (
            partition by row_rule is null, sales_date, market, revenue_original, original_currency
        ) as first_raw_row_id
    from row_rules

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_revenue,
        raw_currency,
        sales_date,
        {{ mmm_week_start('sales_date') }} as week_start_date,
        market,
        revenue_original,
        original_currency,
        fx_rate_to_reporting,
        revenue_original * fx_rate_to_reporting as revenue_reporting,
        coalesce(row_rule, case when duplicate_rank > 1 then 'duplicate_row' end) as quarantine_rule,
        case
            when row_rule = 'missing_key' then
                case when market is null then 'market is blank' else 'currency is blank' end
            when row_rule = 'unparseable_date' then 'date ' || {{ mmm_quote_raw('raw_date') }} || ' is not a date (expected YYYY-MM-DD)'
            when row_rule = 'future_date' then 'date ' || cast(sales_date as varchar) || ' is after as_of_date ' || cast({{ mmm_as_of_date() }} as varchar)
            when row_rule = 'non_numeric_value' then 'revenue ' || {{ mmm_quote_raw('raw_revenue') }} || ' is not a number'
            when row_rule = 'negative_value' then 'revenue ' || {{ mmm_quote_raw('raw_revenue') }} || ' is negative'
            when row_rule = 'unknown_currency' then 'currency ' || original_currency || ' is neither USD, the reporting currency ({{ mmm_reporting_currency() }}) nor in raw_fx_rates'
            when row_rule = 'no_fx_rate' then 'no FX rate to convert ' || original_currency || ' to {{ mmm_reporting_currency() }} on or before ' || cast(sales_date as varchar) || ' in raw_fx_rates'
            when duplicate_rank > 1 then 'exact duplicate of raw row ' || cast(first_raw_row_id as varchar) || ', which is kept'
        end as quarantine_reason
    from ranked

)

select * from final
