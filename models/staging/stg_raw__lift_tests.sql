-- raw_lift_tests, one row per raw row in file order: the raw text and the parsed values (null when a value
-- does not parse; amounts and dates as in stg_raw__media_spend). Whether a lift test is used is decided in
-- int_lift_tests_checked. Grain: raw_row_id.
{%- set raw_file = mmm_raw_relation('raw_lift_tests') %}
with source as (

    select * from {{ raw_file }} as raw_file

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
        source."currency" as raw_currency,
        source."_extra_columns" as raw_extra_columns
    from source

),

split as (

    select
        numbered.*,
        {{ mmm_number_split('raw_incremental_revenue', 'incremental_revenue') }},
        {{ mmm_number_split('raw_incremental_revenue_se', 'incremental_revenue_se') }}
    from numbered

),

readings as (

    select
        split.*,
        {{ mmm_number_readings('raw_incremental_revenue', 'incremental_revenue') }},
        {{ mmm_number_readings('raw_incremental_revenue_se', 'incremental_revenue_se') }}
    from split

),

file_format as (

    {{ mmm_file_decimal_mark('raw_lift_tests', raw_file, {'incremental_revenue': 'incremental_revenue', 'incremental_revenue_se': 'incremental_revenue_se'}) }}

),

final as (

    select
        readings.raw_row_id,
        readings.raw_experiment_id,
        readings.raw_market,
        readings.raw_channel,
        readings.raw_start_date,
        readings.raw_end_date,
        readings.raw_incremental_revenue,
        readings.raw_incremental_revenue_se,
        readings.raw_currency,
        readings.raw_extra_columns,
        file_format.decimal_mark,
        nullif(trim(readings.raw_experiment_id), '') as experiment_id,
        {{ mmm_normalise_name('readings.raw_market') }} as market,
        {{ mmm_normalise_name('readings.raw_channel') }} as channel,
        {{ mmm_parse_date('readings.raw_start_date', 'raw_lift_tests') }} as start_date,
        {{ mmm_parse_date('readings.raw_end_date', 'raw_lift_tests') }} as end_date,
        {{ mmm_parse_amount('readings.incremental_revenue', 'file_format.decimal_mark') }} as incremental_revenue_original,
        {{ mmm_parse_amount('readings.incremental_revenue_se', 'file_format.decimal_mark') }} as incremental_revenue_se_original,
        {{ mmm_normalise_currency('readings.raw_currency') }} as original_currency
    from readings
    cross join file_format

)

select * from final
