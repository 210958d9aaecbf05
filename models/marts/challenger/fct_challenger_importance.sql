-- Public mart over the challenger's importance records (mmm_challenger, record_type 'importance').
-- Columns and types: _challenger__models.yml.
with challenger as (

    select * from {{ ref('mmm_challenger') }}

),

importance as (

    select * from challenger
    where record_type = 'importance'

),

final as (

    select{{ mmm_contract_columns() }}
    from importance

)

select * from final
