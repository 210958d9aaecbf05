-- Public mart over mmm_experiment_validation: its columns and types are declared once, in _planning__models.yml.
with source as (

    select * from {{ ref('mmm_experiment_validation') }}

),

final as (

    select{{ mmm_contract_columns() }}
    from source

)

select * from final
