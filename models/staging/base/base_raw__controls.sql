-- Raw rows of raw_controls as text, numbered in file order (raw_row_id 1 = first data row).
with source as (

    select * from {{ mmm_raw_relation('raw_controls') }} as raw_file

),

final as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."market" as raw_market,
        source."control" as raw_control,
        source."value" as raw_value
    from source

)

select * from final
