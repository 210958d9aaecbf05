-- Staged sales: one row per valid raw row, revenue converted to the reporting currency.
with checked as (

    select * from {{ ref('base_raw__sales_checked') }}

),

final as (

    select
        raw_row_id,
        sales_date,
        week_start_date,
        market,
        revenue_original,
        original_currency,
        fx_rate_to_reporting,
        revenue_reporting
    from checked
    where quarantine_rule is null

)

select * from final
