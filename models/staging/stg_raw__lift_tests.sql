-- Staged lift tests: one row per experiment, amounts in the original and the reporting currency.
with checked as (

    select * from {{ ref('base_raw__lift_tests_checked') }}

),

final as (

    select
        raw_row_id,
        experiment_id,
        market,
        channel,
        start_date,
        end_date,
        incremental_revenue_original,
        incremental_revenue_se_original,
        original_currency,
        fx_rate_to_reporting,
        incremental_revenue_reporting,
        incremental_revenue_se_reporting
    from checked
    where quarantine_rule is null

)

select * from final
