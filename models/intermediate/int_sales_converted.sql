-- Every raw sales row with its as-of FX rate to the reporting currency (latest valid rate on or before
-- sales_date, macro mmm_join_fx_rate) and the revenue in the reporting currency. Rows whose currency is
-- unknown or has no rate yet keep a null rate; int_sales_checked turns that into a rule.
-- Grain: raw_row_id.
with sales as (

    select * from {{ ref('stg_raw__sales') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_checked') }}
    where quarantine_rule is null

),

with_rates as (

    {{ mmm_join_fx_rate('sales', 'sales_date', 'original_currency', 'fx_rates', 'raw_row_id') }}

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_revenue,
        raw_currency,
        raw_extra_columns,
        decimal_mark,
        sales_date,
        week_start_date,
        market,
        revenue_original,
        original_currency,
        is_known_currency,
        fx_rate_to_reporting,
        revenue_original * fx_rate_to_reporting as revenue_reporting
    from with_rates

)

select * from final
