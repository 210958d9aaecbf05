-- The modeling window really ends at var as_of_date: no week of mmm_model_input starts after it (rows dated
-- after it are quarantined as future_date), so a build with a past as_of_date sees only what was known then.
-- Returns the offending market-weeks.
with model_input as (

    select * from {{ ref('mmm_model_input') }}

),

context as (

    select * from {{ ref('mmm_run_context') }}

),

final as (

    select distinct
        model_input.market,
        model_input.week_start_date,
        context.as_of_date
    from model_input
    cross join context
    where model_input.week_start_date > context.as_of_date

)

select * from final
