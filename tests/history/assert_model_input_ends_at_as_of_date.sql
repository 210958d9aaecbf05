-- The modeling window really ends at var as_of_date: no week of mmm_model_input starts after it (rows dated
-- after it are quarantined as future_date), so a build with a past as_of_date sees only what was known then.
-- Returns the offending market-weeks. (Reads only mmm_model_input, so a build of the data layer runs it too.)
with model_input as (

    select * from {{ ref('mmm_model_input') }}

),

final as (

    select distinct
        market,
        week_start_date,
        {{ mmm_as_of_date() }} as as_of_date
    from model_input
    where week_start_date > {{ mmm_as_of_date() }}

)

select * from final
