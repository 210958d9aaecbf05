-- Public mart over mmm_lift_test_calibration: its columns and types are declared once, in _marts__models.yml.
with source as (

    select * from {{ ref('mmm_lift_test_calibration') }}

),

final as (

    select{{ mmm_contract_columns() }}
    from source

)

select * from final
