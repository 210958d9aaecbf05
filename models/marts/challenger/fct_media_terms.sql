-- Public mart over mmm_media_terms (optional media terms; empty when none is declared). Columns: _challenger__models.yml.
with source as (

    select * from {{ ref('mmm_media_terms') }}

),

final as (

    select{{ mmm_contract_columns() }}
    from source

)

select * from final
