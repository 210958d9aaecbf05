-- Public mart: every check per market in one schema, the data-sufficiency checks of the SQL layer
-- (category 'data'), the engine's checks (mmm_market_outputs) and the challenger's check row (mmm_challenger,
-- record_type 'check'). Columns: _marts__models.yml.
with data_checks as (

    select * from {{ ref('mmm_data_sufficiency') }}

),

model_checks as (

    select * from {{ ref('mmm_market_outputs') }}
    where output = 'model_checks'

),

challenger_checks as (

    select * from {{ ref('mmm_challenger') }}
    where record_type = 'check'

),

unioned as (

    select
        market,
        check_name,
        channel,
        'data' as category,
        value,
        threshold,
        status,
        message
    from data_checks

    union all

    select
        market,
        check_name,
        channel,
        category,
        value,
        threshold,
        status,
        message
    from model_checks

    union all

    select
        market,
        check_name,
        channel,
        category,
        value,
        threshold,
        status,
        message
    from challenger_checks

),

final as (

    select{{ mmm_contract_columns() }}
    from unioned

)

select * from final
