-- raw_media_spend, one row per raw row in file order (raw_row_id 1 = first data row): the raw text as read,
-- and beside it the parsed values (dates, numbers, trimmed lower-case names, upper-case currency). A value
-- that does not parse is null here; whether the row is modeled is decided in int_media_spend_checked.
-- Grain: raw_row_id.
with source as (

    select * from {{ mmm_raw_relation('raw_media_spend') }} as raw_file

),

numbered as (

    select
        row_number() over () as raw_row_id,
        source."date" as raw_date,
        source."market" as raw_market,
        source."channel" as raw_channel,
        source."campaign" as raw_campaign,
        source."spend" as raw_spend,
        source."currency" as raw_currency,
        source."impressions" as raw_impressions
    from source

),

parsed as (

    select
        numbered.*,
        {{ mmm_parse_date('raw_date') }} as spend_date,
        {{ mmm_normalise_name('raw_market') }} as market,
        {{ mmm_normalise_name('raw_channel') }} as channel,
        coalesce({{ mmm_normalise_name('raw_campaign') }}, '') as campaign,
        {{ mmm_parse_number('raw_spend') }} as spend_original,
        {{ mmm_normalise_currency('raw_currency') }} as original_currency,
        {{ mmm_parse_number('raw_impressions') }} as impressions
    from numbered

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_channel,
        raw_campaign,
        raw_spend,
        raw_currency,
        raw_impressions,
        spend_date,
        {{ mmm_week_start('spend_date') }} as week_start_date,
        market,
        channel,
        campaign,
        spend_original,
        original_currency,
        impressions
    from parsed

)

select * from final
