-- Raw rows of raw_fx_rates as text, numbered in file order (raw_row_id 1 = first data row).
with source as (

    select * from {{ mmm_raw_relation('raw_fx_rates') }} as raw_file

),

final as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."currency" as raw_currency,
        source."rate_to_usd" as raw_rate_to_usd
    from source

)

select * from final
