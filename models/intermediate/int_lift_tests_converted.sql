-- The lift tests the model uses (rows of int_lift_tests_checked without a quarantine rule), converted to the
-- reporting currency at the as-of FX rate of end_date, with the weeks they cover. Grain: experiment_id.
with lift_tests as (

    select * from {{ ref('int_lift_tests_checked') }}
    where quarantine_rule is null

),

final as (

    select
        experiment_id,
        market,
        channel,
        start_date,
        end_date,
        {{ mmm_week_start('start_date') }} as start_week_start_date,
        {{ mmm_week_start('end_date') }} as end_week_start_date,
        incremental_revenue_original * fx_rate_to_reporting as incremental_revenue,
        incremental_revenue_se_original * fx_rate_to_reporting as incremental_revenue_se,
        original_currency,
        incremental_revenue_original,
        incremental_revenue_se_original,
        fx_rate_to_reporting
    from lift_tests

)

select * from final
