-- Public mart over mmm_channel_summary: its columns and types are declared once, in _marts__models.yml.
with source as (

    select * from {{ ref('mmm_channel_summary') }}

),

final as (

    select{{ mmm_contract_columns() }}
    from source

)

select * from final
