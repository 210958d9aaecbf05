-- raw_fx_rates, one row per raw row in file order: the raw text and the parsed values (null when a value
-- does not parse). Whether a rate is used is decided in int_fx_rates_checked. Grain: raw_row_id.
with source as (

    select * from {{ mmm_raw_relation('raw_fx_rates') }} as raw_file

),

numbered as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."currency" as raw_currency,
        source."rate_to_usd" as raw_rate_to_usd
    from source

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_currency,
        raw_rate_to_usd,
        {{ mmm_parse_date('raw_date') }} as rate_date,
        {{ mmm_normalise_currency('raw_currency') }} as currency,
        {{ mmm_parse_number('raw_rate_to_usd') }} as rate_to_usd
    from numbered

)

select * from final
