-- Raw rows of raw_media_spend as text, numbered in file order (raw_row_id 1 = first data row).
with source as (

    select * from {{ mmm_raw_relation('raw_media_spend') }} as raw_file

),

final as (

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

)

select * from final
