-- Staged FX rates: one rate per currency and date (USD per unit of currency).
with checked as (

    select * from {{ ref('base_raw__fx_rates_checked') }}

),

final as (

    select
        raw_row_id,
        rate_date,
        currency,
        rate_to_usd
    from checked
    where quarantine_rule is null

)

select * from final
