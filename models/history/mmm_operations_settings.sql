-- The operations vars (refresh, backtest, alerts) as rows the Python models read, like mmm_run_settings
-- does for the model's settings. Values are JSON text. mmm.operations.OperationsSettings reads them back
-- (an unknown name is an error) and keeps their defaults equal to dbt_project.yml (a test checks).
-- Grain: setting_name.
{%- set names = [
    'refresh_from_previous_run', 'refresh_prior_weight', 'backtest_origins', 'backtest_spacing_weeks',
    'backtest_horizon_weeks', 'alert_recent_weeks'
] %}

with settings as (

    {{ mmm_settings_rows(names) }}

),

final as (

    select * from settings

)

select * from final
