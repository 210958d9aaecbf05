-- Raw rows of raw_sales as text, numbered in file order (raw_row_id 1 = first data row).
with source as (

    select * from {{ mmm_raw_relation('raw_sales') }} as raw_file

),

final as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."market" as raw_market,
        source."revenue" as raw_revenue,
        source."currency" as raw_currency
    from source

)

select * from final
