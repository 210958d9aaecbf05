-- Raw rows of raw_lift_tests as text, numbered in file order (raw_row_id 1 = first data row).
with source as (

    select * from {{ mmm_raw_relation('raw_lift_tests') }} as raw_file

),

final as (

    select
        row_number() over () as raw_row_id,
        source."experiment_id" as raw_experiment_id,
        source."market" as raw_market,
        source."channel" as raw_channel,
        source."start_date" as raw_start_date,
        source."end_date" as raw_end_date,
        source."incremental_revenue" as raw_incremental_revenue,
        source."incremental_revenue_se" as raw_incremental_revenue_se,
        source."currency" as raw_currency
    from source

)

select * from final
