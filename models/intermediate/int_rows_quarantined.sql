-- Every raw row that is not modeled, with the rule it failed, a readable reason and the raw record.
-- Grain: source_name, raw_row_id. With the modeled rows (quarantine_rule is null) of the int_*_checked models
-- this accounts for every raw row (tested per source by reconciles_with_quarantine). Public as fct_quarantined_rows.
with media_spend as (

    select * from {{ ref('int_media_spend_checked') }}
    where quarantine_rule is not null

),

sales as (

    select * from {{ ref('int_sales_checked') }}
    where quarantine_rule is not null

),

controls as (

    select * from {{ ref('int_controls_checked') }}
    where quarantine_rule is not null

),

fx_rates as (

    select * from {{ ref('int_fx_rates_checked') }}
    where quarantine_rule is not null

),

lift_tests as (

    select * from {{ ref('int_lift_tests_checked') }}
    where quarantine_rule is not null

),

holidays as (

    select * from {{ ref('int_holidays_checked') }}
    where quarantine_rule is not null

),

unioned as (

    select
        'raw_media_spend' as source_name,
        raw_row_id,
        quarantine_rule as rule,
        quarantine_reason as reason,
        raw_date,
        raw_market,
        raw_channel as raw_key,
        raw_spend as raw_amount,
        raw_currency,
        {{ mmm_raw_record(['date', 'market', 'channel', 'campaign', 'spend', 'currency', 'impressions'], extra_column='raw_extra_columns') }} as raw_record
    from media_spend

    union all

    select
        'raw_sales' as source_name,
        raw_row_id,
        quarantine_rule as rule,
        quarantine_reason as reason,
        raw_date,
        raw_market,
        cast(null as varchar) as raw_key,
        raw_revenue as raw_amount,
        raw_currency,
        {{ mmm_raw_record(['date', 'market', 'revenue', 'currency'], extra_column='raw_extra_columns') }} as raw_record
    from sales

    union all

    select
        'raw_controls' as source_name,
        raw_row_id,
        quarantine_rule as rule,
        quarantine_reason as reason,
        raw_date,
        raw_market,
        raw_control as raw_key,
        raw_value as raw_amount,
        cast(null as varchar) as raw_currency,
        {{ mmm_raw_record(['date', 'market', 'control', 'value'], extra_column='raw_extra_columns') }} as raw_record
    from controls

    union all

    select
        'raw_fx_rates' as source_name,
        raw_row_id,
        quarantine_rule as rule,
        quarantine_reason as reason,
        raw_date,
        cast(null as varchar) as raw_market,
        raw_currency as raw_key,
        raw_rate_to_usd as raw_amount,
        raw_currency,
        {{ mmm_raw_record(['date', 'currency', 'rate_to_usd'], extra_column='raw_extra_columns') }} as raw_record
    from fx_rates

    union all

    select
        'raw_lift_tests' as source_name,
        raw_row_id,
        quarantine_rule as rule,
        quarantine_reason as reason,
        raw_end_date as raw_date,
        raw_market,
        raw_experiment_id as raw_key,
        raw_incremental_revenue as raw_amount,
        raw_currency,
        {{ mmm_raw_record(['experiment_id', 'market', 'channel', 'start_date', 'end_date', 'incremental_revenue', 'incremental_revenue_se', 'currency'], extra_column='raw_extra_columns') }} as raw_record
    from lift_tests

    union all

    select
        'raw_holidays' as source_name,
        raw_row_id,
        quarantine_rule as rule,
        quarantine_reason as reason,
        raw_date,
        raw_market,
        raw_holiday as raw_key,
        cast(null as varchar) as raw_amount,
        cast(null as varchar) as raw_currency,
        {{ mmm_raw_record(['date', 'market', 'holiday'], extra_column='raw_extra_columns') }} as raw_record
    from holidays

),

final as (

    select
        source_name,
        raw_row_id,
        rule,
        reason,
        raw_date,
        raw_market,
        {{ mmm_normalise_name('raw_market') }} as market,
        raw_key,
        raw_amount,
        raw_currency,
        raw_record
    from unioned

)

select * from final
