{{ config(materialized="table") }}

-- Every raw sales row (converted) with the first quarantine rule it fails (null = modeled) and a readable
-- reason. Rule order: missing_key, unparseable_date, future_date, non_numeric_value, negative_value,
-- unknown_currency, no_fx_rate, duplicate_row.
-- Grain: raw_row_id. A table: read by the calendar, the weekly sales, the quarantine and the tests.
with sales as (

    select * from {{ ref('int_sales_converted') }}

),

row_rules as (

    select
        sales.*,
        case
            when market is null or original_currency is null then 'missing_key'
            when sales_date is null then 'unparseable_date'
            when sales_date > {{ mmm_as_of_date() }} then 'future_date'
            when revenue_original is null then 'non_numeric_value'
            when revenue_original < 0 then 'negative_value'
            when not is_known_currency then 'unknown_currency'
            when fx_rate_to_reporting is null then 'no_fx_rate'
        end as row_rule
    from sales

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
        week_start_date,
        market,
        revenue_original,
        original_currency,
        fx_rate_to_reporting,
        revenue_reporting,
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
