-- Staged media spend: one row per valid raw row (quarantined rows are in mmm_quarantine).
with checked as (

    select * from {{ ref('base_raw__media_spend_checked') }}

),

final as (

    select
        raw_row_id,
        spend_date,
        week_start_date,
        market,
        channel,
        campaign,
        spend_original,
        original_currency,
        fx_rate_to_reporting,
        spend_reporting,
        impressions
    from checked
    where quarantine_rule is null

)

select * from final
