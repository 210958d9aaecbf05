-- raw_holidays, one row per raw row in file order: the raw text and the parsed values (null when a value
-- does not parse). Whether a holiday is used is decided in int_holidays_checked. Grain: raw_row_id.
with source as (

    select * from {{ mmm_raw_relation('raw_holidays') }} as raw_file

),

numbered as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."market" as raw_market,
        source."holiday" as raw_holiday,
        source."_extra_columns" as raw_extra_columns
    from source

),

parsed as (

    select
        numbered.*,
        {{ mmm_parse_date('raw_date', 'raw_holidays') }} as holiday_date,
        {{ mmm_normalise_name('raw_market') }} as market,
        nullif(trim(raw_holiday), '') as holiday_name
    from numbered

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_holiday,
        raw_extra_columns,
        holiday_date,
        {{ mmm_week_start('holiday_date') }} as week_start_date,
        market,
        holiday_name
    from parsed

)

select * from final
