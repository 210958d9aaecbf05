-- Public: the Great Expectations validation of mmm_model_input, one row per expectation.
-- Grain: expectation_id (primary key, enforced by the contract).
with validation_results as (

    select * from {{ ref('dq_validation_results') }}

),

final as (

    select
        cast(expectation_id as varchar) as expectation_id,
        cast(expectation as varchar) as expectation,
        cast("column" as varchar) as column_name,
        cast(success as boolean) as success,
        cast(observed_value as varchar) as observed_value,
        cast(is_critical as boolean) as is_critical,
        cast(details as varchar) as details
    from validation_results

)

select * from final
order by expectation_id
