-- raw_sales, one row per raw row in file order: the raw text and the parsed values (null when a value does
-- not parse). Whether the row is modeled is decided in int_sales_checked. Grain: raw_row_id.
with source as (

    select * from {{ mmm_raw_relation('raw_sales') }} as raw_file

),

numbered as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."market" as raw_market,
        source."revenue" as raw_revenue,
        source."currency" as raw_currency
    from source

),

parsed as (

    select
        numbered.*,
        {{ mmm_parse_date('raw_date') }} as sales_date,
        {{ mmm_normalise_name('raw_market') }} as market,
        {{ mmm_parse_number('raw_revenue') }} as revenue_original,
        {{ mmm_normalise_currency('raw_currency') }} as original_currency
    from numbered

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
        original_currency
    from parsed

)

select * from final
