{{ config(materialized="table") }}
{%- set keep = mmm_restated_rows_keep() %}
{%- set key = 'control_date, market, control, raw_extra_columns' %}

-- Every raw control row with the first quarantine rule it fails (null = modeled) and a readable reason.
-- Rule order: missing_key, unparseable_date, future_date, non_numeric_value, duplicate_row, conflicting_duplicate
-- (another value for the same date, market and control: the version later in the file is kept, var
-- restated_rows_keep, as in int_media_spend_checked).
-- Control values may be negative (an index, a temperature): no sign rule, and no plausibility rule (a control's
-- scale is the advertiser's own).
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

versions as (

    select
        row_rules.*,
        first_value(raw_row_id) over key_order as winning_raw_row_id,
        first_value(raw_value) over key_order as winning_raw_value,
        first_value(control_value) over key_order as winning_control_value
    from row_rules
    window key_order as (
        partition by row_rule is null, {{ key }}
        order by raw_row_id {{ 'desc' if keep == 'last' else 'asc' }}
    )

),

kept as (

    select
        versions.*,
        control_value = winning_control_value as has_winning_values,
        min(case when control_value = winning_control_value then raw_row_id end) over (
            partition by row_rule is null, {{ key }}
        ) as kept_raw_row_id
    from versions

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_control,
        raw_value,
        raw_extra_columns,
        control_date,
        week_start_date,
        market,
        control,
        control_value,
        coalesce(
            row_rule,
            case
                when not has_winning_values then 'conflicting_duplicate'
                when raw_row_id <> kept_raw_row_id then 'duplicate_row'
            end
        ) as quarantine_rule,
        case
            when row_rule = 'missing_key' then
                case when market is null then 'market is blank' else 'control is blank' end
            when row_rule = 'unparseable_date' then 'date ' || {{ mmm_quote_raw('raw_date') }} || ' is not a date{{ mmm_unparseable_date_hint('raw_controls') }}'
            when row_rule = 'future_date' then 'date ' || cast(control_date as varchar) || ' is after as_of_date ' || cast({{ mmm_as_of_date() }} as varchar)
            when row_rule = 'non_numeric_value' then 'value ' || {{ mmm_quote_raw('raw_value') }} || ' is not a number' || {{ mmm_unparseable_number_hint('raw_value', 'decimal_mark') }}
            when not has_winning_values then
                'restated: raw row ' || cast(winning_raw_row_id as varchar) || ' has the same date, market and control'
                || case when raw_extra_columns is not null then ' (and ' || raw_extra_columns || ')' else '' end
                || ' with another value (' || {{ mmm_quote_raw('winning_raw_value') }} || ') and comes {{ 'later' if keep == 'last' else 'first' }} in the file, so it is kept'
                || case when kept_raw_row_id <> winning_raw_row_id then ' (as its identical raw row ' || cast(kept_raw_row_id as varchar) || ')' else '' end
                || ' (var restated_rows_keep: {{ keep }})'
            when raw_row_id <> kept_raw_row_id then 'exact duplicate of raw row ' || cast(kept_raw_row_id as varchar) || ', which is kept'
        end as quarantine_reason
    from kept

)

select * from final
