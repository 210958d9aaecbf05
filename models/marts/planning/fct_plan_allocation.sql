-- Public mart over mmm_plan_forecast at its own grain (market, plan, week, channel): the channel-level columns.
with source as (

    select * from {{ ref('mmm_plan_forecast') }}

),

final as (

    select{{ mmm_contract_columns() }}
    from source

)

select * from final
