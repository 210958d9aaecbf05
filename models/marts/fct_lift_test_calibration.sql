-- Contracted mart over mmm_lift_test_calibration (dashboards read this). Grain: experiment_id.
with source as (

    select * from {{ ref('mmm_lift_test_calibration') }}

),

final as (

    select
        cast(experiment_id as varchar) as experiment_id,
        cast(market as varchar) as market,
        cast(channel as varchar) as channel,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(measured_lift as double) as measured_lift,
        cast(measured_lift_se as double) as measured_lift_se,
        cast(predicted_lift as double) as predicted_lift,
        cast(predicted_lift_lower as double) as predicted_lift_lower,
        cast(predicted_lift_upper as double) as predicted_lift_upper,
        cast(z_score as double) as z_score
    from source

)

select * from final
