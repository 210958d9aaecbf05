-- raw_fx_rates, one row per raw row in file order: the raw text and the parsed values (null when a value
-- does not parse; numbers and dates as in stg_raw__media_spend). Whether a rate is used is decided in
-- int_fx_rates_checked. Grain: raw_row_id.
{%- set raw_file = mmm_raw_relation('raw_fx_rates') %}
with source as (

    select * from {{ raw_file }} as raw_file

),

numbered as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."currency" as raw_currency,
        source."rate_to_usd" as raw_rate_to_usd,
        source."_extra_columns" as raw_extra_columns
    from source

),

split as (

    select
        numbered.*,
        {{ mmm_number_split('raw_rate_to_usd', 'rate_to_usd') }}
    from numbered

),

readings as (

    select
        split.*,
        {{ mmm_number_readings('raw_rate_to_usd', 'rate_to_usd') }}
    from split

),

file_format as (

    {{ mmm_file_decimal_mark('raw_fx_rates', raw_file, {'rate_to_usd': 'rate_to_usd'}) }}

),

final as (

    select
        readings.raw_row_id,
        readings.raw_date,
        readings.raw_currency,
        readings.raw_rate_to_usd,
        readings.raw_extra_columns,
        file_format.decimal_mark,
        {{ mmm_parse_date('readings.raw_date', 'raw_fx_rates') }} as rate_date,
        {{ mmm_normalise_currency('readings.raw_currency') }} as currency,
        {{ mmm_parse_amount('readings.rate_to_usd', 'file_format.decimal_mark') }} as rate_to_usd
    from readings
    cross join file_format

)

select * from final
