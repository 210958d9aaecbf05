{{ config(materialized="table") }}
{%- set factor = mmm_implausible_value_factor() %}
{%- set keep = mmm_restated_rows_keep() %}
{%- set key = 'sales_date, market, raw_extra_columns' %}

-- Every raw sales row (converted) with the first quarantine rule it fails (null = modeled) and a readable
-- reason. Rule order: missing_key, unparseable_date, future_date, non_numeric_value, negative_value,
-- unknown_currency, no_fx_rate, implausible_value, duplicate_row, conflicting_duplicate.
-- * implausible_value: revenue above var implausible_value_factor (100) times the market's median non-zero weekly
--   revenue, among the rows passing the rules before.
-- * duplicate_row / conflicting_duplicate: rows with the same date, market (and extra columns, e.g. a store) are one
--   row restated: the version later in the file is kept (var restated_rows_keep), as in int_media_spend_checked.
--   A market whose sales come in several rows per date needs a column that tells them apart.
-- Grain: raw_row_id. A table: read by the calendar, the weekly sales, the quarantine and the tests.
with sales as (

    select * from {{ ref('int_sales_converted') }}

),

row_rules as (

    select
        sales.*,
        case
            -- market all is reserved for national media spend: a sales row with it would become a market of its own
            when market is null or market = 'all' or original_currency is null then 'missing_key'
            when sales_date is null then 'unparseable_date'
            when sales_date > {{ mmm_as_of_date() }} then 'future_date'
            when revenue_original is null then 'non_numeric_value'
            when revenue_original < 0 then 'negative_value'
            when not is_known_currency then 'unknown_currency'
            when fx_rate_to_reporting is null then 'no_fx_rate'
        end as row_rule
    from sales

),

weekly_revenue as (

    select
        market,
        week_start_date,
        {{ mmm_exact_sum('revenue_reporting') }} as week_revenue_reporting
    from row_rules
    where row_rule is null
    group by market, week_start_date

),

typical_weeks as (

    select
        market,
        percentile_cont(0.5) within group (order by week_revenue_reporting) as median_week_revenue_reporting
    from weekly_revenue
    where week_revenue_reporting > 0
    group by market

),

value_rules as (

    select
        row_rules.*,
        typical_weeks.median_week_revenue_reporting,
        coalesce(
            row_rules.row_rule,
            case when row_rules.revenue_reporting > {{ factor }} * typical_weeks.median_week_revenue_reporting then 'implausible_value' end
        ) as value_rule
    from row_rules
    left join typical_weeks
        on row_rules.market = typical_weeks.market

),

versions as (

    select
        value_rules.*,
        first_value(raw_row_id) over key_order as winning_raw_row_id,
        first_value(raw_revenue) over key_order as winning_raw_revenue,
        first_value(revenue_original) over key_order as winning_revenue_original,
        first_value(original_currency) over key_order as winning_currency
    from value_rules
    window key_order as (
        partition by value_rule is null, {{ key }}
        order by raw_row_id {{ 'desc' if keep == 'last' else 'asc' }}
    )

),

compared as (

    select
        versions.*,
        (revenue_original = winning_revenue_original and original_currency = winning_currency) as has_winning_values
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
        raw_revenue,
        raw_currency,
        raw_extra_columns,
        sales_date,
        week_start_date,
        market,
        revenue_original,
        original_currency,
        fx_rate_to_reporting,
        revenue_reporting,
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
                    when market = 'all' then 'market ' || {{ mmm_quote_raw('raw_market') }} || ' is reserved for national media spend (raw_media_spend); a sales row needs its market'
                    else 'currency is blank'
                end
            when value_rule = 'unparseable_date' then 'date ' || {{ mmm_quote_raw('raw_date') }} || ' is not a date{{ mmm_unparseable_date_hint('raw_sales') }}'
            when value_rule = 'future_date' then 'date ' || cast(sales_date as varchar) || ' is after as_of_date ' || cast({{ mmm_as_of_date() }} as varchar)
            when value_rule = 'non_numeric_value' then 'revenue ' || {{ mmm_quote_raw('raw_revenue') }} || ' is not a number' || {{ mmm_unparseable_number_hint('raw_revenue', 'decimal_mark') }}
            when value_rule = 'negative_value' then 'revenue ' || {{ mmm_quote_raw('raw_revenue') }} || ' is negative'
            when value_rule = 'unknown_currency' then 'currency ' || original_currency || ' is neither USD, the reporting currency ({{ mmm_reporting_currency() }}) nor in raw_fx_rates'
            when value_rule = 'no_fx_rate' then 'no FX rate to convert ' || original_currency || ' to {{ mmm_reporting_currency() }} on or before ' || cast(sales_date as varchar) || ' in raw_fx_rates'
            when value_rule = 'implausible_value' then 'revenue ' || {{ mmm_quote_raw('raw_revenue') }} || ' (' || {{ mmm_format_amount('revenue_reporting') }}
                || ' {{ mmm_reporting_currency() }}) is more than {{ '%g' | format(factor) }} times the median weekly revenue of ' || market
                || ' (' || {{ mmm_format_amount('median_week_revenue_reporting') }} || ' {{ mmm_reporting_currency() }}; var implausible_value_factor)'
            when not has_winning_values then
                'restated: raw row ' || cast(winning_raw_row_id as varchar) || ' has the same date and market'
                || case when raw_extra_columns is not null then ' (and ' || raw_extra_columns || ')' else '' end
                || ' with other values (revenue ' || {{ mmm_quote_raw('winning_raw_revenue') }} || ') and comes {{ 'later' if keep == 'last' else 'first' }} in the file, so it is kept'
                || case when kept_raw_row_id <> winning_raw_row_id then ' (as its identical raw row ' || cast(kept_raw_row_id as varchar) || ')' else '' end
                || ' (var restated_rows_keep: {{ keep }})'
            when raw_row_id <> kept_raw_row_id then 'exact duplicate of raw row ' || cast(kept_raw_row_id as varchar) || ', which is kept'
        end as quarantine_reason
    from kept

)

select * from final
