-- raw_controls, one row per raw row in file order: the raw text and the parsed values (null when a value
-- does not parse). Whether the row is modeled is decided in int_controls_checked. Grain: raw_row_id.
with source as (

    select * from {{ mmm_raw_relation('raw_controls') }} as raw_file

),

numbered as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."market" as raw_market,
        source."control" as raw_control,
        source."value" as raw_value
    from source

),

parsed as (

    select
        numbered.*,
        {{ mmm_parse_date('raw_date') }} as control_date,
        {{ mmm_normalise_name('raw_market') }} as market,
        {{ mmm_normalise_name('raw_control') }} as control,
        {{ mmm_parse_number('raw_value') }} as control_value
    from numbered

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_control,
        raw_value,
        control_date,
        {{ mmm_week_start('control_date') }} as week_start_date,
        market,
        control,
        control_value
    from parsed

)

select * from final
