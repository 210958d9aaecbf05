-- The dbt vars that steer the model, as rows the Python models read (they cannot call var()).
-- Values are JSON text: numbers, null, or an object such as {"us": 250000} for per-market budgets.
{%- set names = [
    'holdout_weeks', 'interval_level', 'seasonality_order', 'random_seed', 'allocation_lookback_weeks',
    'budget_weekly', 'optimizer_min_multiplier', 'optimizer_max_multiplier', 'target_revenue_weekly',
    'target_mroi', 'min_weeks_required', 'reporting_currency', 'cv_folds', 'pooling', 'min_weeks_pooled'
] %}

with settings as (

    {{ mmm_settings_rows(names) }}

),

final as (

    select * from settings

)

select * from final
