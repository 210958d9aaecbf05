-- raw_lift_tests, one row per raw row in file order: the raw text and the parsed values (null when a value
-- does not parse). Whether a lift test is used is decided in int_lift_tests_checked. Grain: raw_row_id.
with source as (

    select * from {{ mmm_raw_relation('raw_lift_tests') }} as raw_file

),

numbered as (

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

),

final as (

    select
        raw_row_id,
        raw_experiment_id,
        raw_market,
        raw_channel,
        raw_start_date,
        raw_end_date,
        raw_incremental_revenue,
        raw_incremental_revenue_se,
        raw_currency,
        nullif(trim(raw_experiment_id), '') as experiment_id,
        {{ mmm_normalise_name('raw_market') }} as market,
        {{ mmm_normalise_name('raw_channel') }} as channel,
        {{ mmm_parse_date('raw_start_date') }} as start_date,
        {{ mmm_parse_date('raw_end_date') }} as end_date,
        {{ mmm_parse_number('raw_incremental_revenue') }} as incremental_revenue_original,
        {{ mmm_parse_number('raw_incremental_revenue_se') }} as incremental_revenue_se_original,
        {{ mmm_normalise_currency('raw_currency') }} as original_currency
    from numbered

)

select * from final
