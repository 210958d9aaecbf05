{{ config(materialized="table") }}

-- Every raw holiday row with the first quarantine rule it fails (null = used) and a readable reason.
-- Rule order: missing_key, unparseable_date, duplicate_row. Future holidays are kept (a calendar
-- legitimately runs ahead; weeks outside a market's calendar are simply not used).
-- Grain: raw_row_id. A table: read by the weekly holidays, the quarantine and the tests.
with holidays as (

    select * from {{ ref('stg_raw__holidays') }}

),

row_rules as (

    select
        holidays.*,
        case
            when market is null or holiday_name is null then 'missing_key'
            when holiday_date is null then 'unparseable_date'
        end as row_rule
    from holidays

),

ranked as (

    select
        row_rules.*,
        row_number() over (
            partition by row_rule is null, holiday_date, market, holiday_name, raw_extra_columns order by raw_row_id
        ) as duplicate_rank,
        min(raw_row_id) over (partition by row_rule is null, holiday_date, market, holiday_name, raw_extra_columns) as first_raw_row_id
    from row_rules

),

final as (

    select
        raw_row_id,
        raw_date,
        raw_market,
        raw_holiday,
        raw_extra_columns,
        holiday_date,
        week_start_date,
        market,
        holiday_name,
        coalesce(row_rule, case when duplicate_rank > 1 then 'duplicate_row' end) as quarantine_rule,
        case
            when row_rule = 'missing_key' then
                case when market is null then 'market is blank' else 'holiday is blank' end
            when row_rule = 'unparseable_date' then 'date ' || {{ mmm_quote_raw('raw_date') }} || ' is not a date{{ mmm_unparseable_date_hint('raw_holidays') }}'
            when duplicate_rank > 1 then 'exact duplicate of raw row ' || cast(first_raw_row_id as varchar) || ', which is kept'
        end as quarantine_reason
    from ranked

)

select * from final
