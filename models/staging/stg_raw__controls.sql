-- raw_controls, one row per raw row in file order: the raw text and the parsed values (null when a value
-- does not parse; numbers and dates as in stg_raw__media_spend). Whether the row is modeled is decided in
-- int_controls_checked. Grain: raw_row_id.
{%- set raw_file = mmm_raw_relation('raw_controls') %}
with source as (

    select * from {{ raw_file }} as raw_file

),

numbered as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."market" as raw_market,
        source."control" as raw_control,
        source."value" as raw_value,
        source."_extra_columns" as raw_extra_columns
    from source

),

split as (

    select
        numbered.*,
        {{ mmm_number_split('raw_value', 'control_value') }}
    from numbered

),

readings as (

    select
        split.*,
        {{ mmm_number_readings('raw_value', 'control_value') }}
    from split

),

file_format as (

    {{ mmm_file_decimal_mark('raw_controls', raw_file, {'value': 'control_value'}) }}

),

parsed as (

    select
        readings.*,
        file_format.decimal_mark,
        {{ mmm_parse_date('raw_date', 'raw_controls') }} as control_date,
        {{ mmm_normalise_name('raw_market') }} as market,
        {{ mmm_normalise_name('raw_control') }} as control,
        {{ mmm_parse_amount('control_value', 'file_format.decimal_mark') }} as control_value
    from readings
    cross join file_format

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_control,
        raw_value,
        raw_extra_columns,
        decimal_mark,
        control_date,
        {{ mmm_week_start('control_date') }} as week_start_date,
        market,
        control,
        control_value
    from parsed

)

select * from final
