-- Public mart over mmm_backtest: its columns and types are declared once, in _operations__models.yml.
with source as (

    select * from {{ ref('mmm_backtest') }}

),

final as (

    select{{ mmm_contract_columns() }}
    from source

)

select * from final
