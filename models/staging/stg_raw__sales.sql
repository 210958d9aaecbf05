-- raw_sales, one row per raw row in file order: the raw text and the parsed values (null when a value does
-- not parse; amounts and dates as in stg_raw__media_spend). Whether the row is modeled is decided in
-- int_sales_checked. Grain: raw_row_id.
{%- set raw_file = mmm_raw_relation('raw_sales') %}
with source as (

    select * from {{ raw_file }} as raw_file

),

numbered as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."market" as raw_market,
        source."revenue" as raw_revenue,
        source."currency" as raw_currency,
        source."_extra_columns" as raw_extra_columns
    from source

),

split as (

    select
        numbered.*,
        {{ mmm_number_split('raw_revenue', 'revenue') }}
    from numbered

),

readings as (

    select
        split.*,
        {{ mmm_number_readings('raw_revenue', 'revenue') }}
    from split

),

file_format as (

    {{ mmm_file_decimal_mark('raw_sales', raw_file, {'revenue': 'revenue'}) }}

),

parsed as (

    select
        readings.*,
        file_format.decimal_mark,
        {{ mmm_parse_date('raw_date', 'raw_sales') }} as sales_date,
        {{ mmm_normalise_name('raw_market') }} as market,
        {{ mmm_parse_amount('revenue', 'file_format.decimal_mark') }} as revenue_original,
        {{ mmm_normalise_currency('raw_currency') }} as original_currency
    from readings
    cross join file_format

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
        {{ mmm_week_start('sales_date') }} as week_start_date,
        market,
        revenue_original,
        original_currency
    from parsed

)

select * from final
