-- Public mart over the challenger's response records (mmm_challenger, record_type 'response').
-- Columns and types: _challenger__models.yml.
with challenger as (

    select * from {{ ref('mmm_challenger') }}

),

response as (

    select * from challenger
    where record_type = 'response'

),

final as (

    select{{ mmm_contract_columns() }}
    from response

)

select * from final
