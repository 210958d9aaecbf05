-- Public mart over mmm_channel_effectiveness (optional media terms; empty when none is declared). Columns: _challenger__models.yml.
with source as (

    select * from {{ ref('mmm_channel_effectiveness') }}

),

final as (

    select{{ mmm_contract_columns() }}
    from source

)

select * from final
