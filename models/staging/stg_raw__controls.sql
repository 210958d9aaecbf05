-- Staged control values: one row per valid raw row (long format).
with checked as (

    select * from {{ ref('base_raw__controls_checked') }}

),

final as (

    select
        raw_row_id,
        control_date,
        week_start_date,
        market,
        control,
        control_value
    from checked
    where quarantine_rule is null

)

select * from final
