-- Staged holidays: one row per market, date and holiday name.
with checked as (

    select * from {{ ref('base_raw__holidays_checked') }}

),

final as (

    select
        raw_row_id,
        holiday_date,
        week_start_date,
        market,
        holiday_name
    from checked
    where quarantine_rule is null

)

select * from final
