-- Public mart: the target_budget rows of mmm_market_outputs; its columns and types are declared once, in _marts__models.yml.
with outputs as (

    select * from {{ ref('mmm_market_outputs') }}
    where output = 'target_budget'

),

final as (

    select{{ mmm_contract_columns() }}
    from outputs

)

select * from final
