-- Public mart over the challenger's validation records (mmm_challenger, record_type 'validation').
-- Columns and types: _challenger__models.yml.
with challenger as (

    select * from {{ ref('mmm_challenger') }}

),

validation as (

    select * from challenger
    where record_type = 'validation'

),

final as (

    select{{ mmm_contract_columns() }}
    from validation

)

select * from final
