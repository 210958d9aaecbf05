-- raw_media_spend, one row per raw row in file order (raw_row_id 1 = first data row): the raw text as read,
-- and beside it the parsed values (dates, amounts, trimmed lower-case names, upper-case currency). Amounts are
-- read as exports write them (currency symbols, thousands separators, a decimal point or comma decided once for
-- the whole file: macros/parsing.sql); dates as ISO dates or timestamps, or var date_format. A value that does
-- not parse is null here; whether the row is modeled is decided in int_media_spend_checked.
-- Grain: raw_row_id.
{%- set raw_file = mmm_raw_relation('raw_media_spend') %}
with source as (

    select * from {{ raw_file }} as raw_file

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
        source."impressions" as raw_impressions,
        source."_extra_columns" as raw_extra_columns
    from source

),

split as (

    select
        numbered.*,
        {{ mmm_number_split('raw_spend', 'spend') }},
        {{ mmm_number_split('raw_impressions', 'impressions') }}
    from numbered

),

readings as (

    select
        split.*,
        {{ mmm_number_readings('raw_spend', 'spend') }},
        {{ mmm_number_readings('raw_impressions', 'impressions') }}
    from split

),

file_format as (

    {{ mmm_file_decimal_mark('raw_media_spend', raw_file, {'spend': 'spend', 'impressions': 'impressions'}) }}

),

parsed as (

    select
        readings.*,
        file_format.decimal_mark,
        {{ mmm_parse_date('raw_date', 'raw_media_spend') }} as spend_date,
        {{ mmm_normalise_name('raw_market') }} as market,
        {{ mmm_normalise_name('raw_channel') }} as channel,
        coalesce({{ mmm_normalise_name('raw_campaign') }}, '') as campaign,
        {{ mmm_parse_amount('spend', 'file_format.decimal_mark') }} as spend_original,
        {{ mmm_normalise_currency('raw_currency') }} as original_currency,
        {{ mmm_parse_amount('impressions', 'file_format.decimal_mark') }} as impressions
    from readings
    cross join file_format

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
        raw_extra_columns,
        decimal_mark,
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
