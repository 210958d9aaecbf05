-- Lift tests in the reporting currency (converted at the as-of FX rate of end_date in staging), with the
-- weeks they cover.
with lift_tests as (

    select * from {{ ref('stg_raw__lift_tests') }}

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
        incremental_revenue_reporting as incremental_revenue,
        incremental_revenue_se_reporting as incremental_revenue_se,
        original_currency,
        incremental_revenue_original,
        incremental_revenue_se_original,
        fx_rate_to_reporting
    from lift_tests

)

select * from final
