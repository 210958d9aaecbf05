{{ config(materialized="table") }}

-- Every raw control row with the first quarantine rule it fails (null = modeled) and a readable reason.
-- Rule order: missing_key, unparseable_date, future_date, non_numeric_value, duplicate_row.
-- Control values may be negative (an index, a temperature): no sign rule.
-- Grain: raw_row_id. A table: read by the control settings, the weekly controls, the quarantine and the tests.
with controls as (

    select * from {{ ref('stg_raw__controls') }}

),

row_rules as (

    select
        controls.*,
        case
            when market is null or control is null then 'missing_key'
            when control_date is null then 'unparseable_date'
            when control_date > {{ mmm_as_of_date() }} then 'future_date'
            when control_value is null then 'non_numeric_value'
        end as row_rule
    from controls

),

ranked as (

    select
        row_rules.*,
        row_number() over (
            partition by row_rule is null, control_date, market, control, control_value order by raw_row_id
        ) as duplicate_rank,
        min(raw_row_id) over (partition by row_rule is null, control_date, market, control, control_value) as first_raw_row_id
    from row_rules

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_control,
        raw_value,
        control_date,
        week_start_date,
        market,
        control,
        control_value,
        coalesce(row_rule, case when duplicate_rank > 1 then 'duplicate_row' end) as quarantine_rule,
        case
            when row_rule = 'missing_key' then
                case when market is null then 'market is blank' else 'control is blank' end
            when row_rule = 'unparseable_date' then 'date ' || {{ mmm_quote_raw('raw_date') }} || ' is not a date (expected YYYY-MM-DD)'
            when row_rule = 'future_date' then 'date ' || cast(control_date as varchar) || ' is after as_of_date ' || cast({{ mmm_as_of_date() }} as varchar)
            when row_rule = 'non_numeric_value' then 'value ' || {{ mmm_quote_raw('raw_value') }} || ' is not a number'
            when duplicate_rank > 1 then 'exact duplicate of raw row ' || cast(first_raw_row_id as varchar) || ', which is kept'
        end as quarantine_reason
    from ranked

)

select * from final
