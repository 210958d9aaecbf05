-- The planning vars (experiment planner and plan forecast) as rows the Python models read (they cannot call var()).
-- Values are JSON text: numbers, null, or an object such as {"us": 3000000} for per-market quarter budgets.
{%- set names = [
    'plan_horizon_weeks', 'plan_budget', 'plan_target_growth', 'experiment_target_power',
    'experiment_significance_level', 'experiment_max_weeks', 'experiment_max_spend_multiplier'
] %}

with settings as (

    {{ mmm_settings_rows(names) }}

),

final as (

    select * from settings

)

select * from final
