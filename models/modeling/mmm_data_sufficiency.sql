{%- set min_weeks_warning = var('min_weeks_warning') %}
{%- set min_weeks_required = var('min_weeks_required') %}
{%- set min_active_weeks = var('min_active_weeks_per_channel') %}
-- Data sufficiency checks per market (and per channel or control), in the project's check row schema:
-- market, check_name, channel, value, threshold, status (ok / warn / fail), message.
-- `fail` (fewer than var min_weeks_required weeks of history) stops the modeling step.
-- The `channel` column holds the channel, or the control for control checks; '' when about the market.
-- Grain: market, check_name, channel.
with market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

sales_weekly as (

    select * from {{ ref('int_sales_weekly') }}

),

spend_weekly as (

    select * from {{ ref('int_spend_weekly') }}

),

controls_weekly as (

    select * from {{ ref('int_controls_weekly') }}

),

channel_settings as (

    select * from {{ ref('int_channel_settings') }}

),

control_settings as (

    select * from {{ ref('int_control_settings') }}

),

spend as (

    select * from {{ ref('int_media_spend_checked') }}
    where quarantine_rule is null

),

quarantine as (

    select * from {{ ref('int_rows_quarantined') }}

),

calendar_bounds as (

    select
        market,
        count(*) as week_count,
        min(week_start_date) as first_week_start_date,
        max(week_start_date) as last_week_start_date
    from market_weeks
    group by market

),

weeks_of_history as (

    select
        market,
        '' as channel,
        'weeks_of_history' as check_name,
        cast(week_count as double) as value,
        cast(case when week_count < {{ min_weeks_required }} then {{ min_weeks_required }} else {{ min_weeks_warning }} end as double) as threshold,
        case
            when week_count < {{ min_weeks_required }} then 'fail'
            when week_count < {{ min_weeks_warning }} then 'warn'
            else 'ok'
        end as status,
        cast(week_count as varchar) || ' weeks from ' || cast(first_week_start_date as varchar) || ' to '
            || cast(last_week_start_date as varchar) || '; at least {{ min_weeks_required }} are required and {{ min_weeks_warning }} (18 months) recommended' as message
    from calendar_bounds

),

missing_sales_weeks as (

    select
        market,
        '' as channel,
        'weeks_without_sales' as check_name,
        cast(sum(case when has_sales then 0 else 1 end) as double) as value,
        0.0 as threshold,
        case when sum(case when has_sales then 0 else 1 end) > 0 then 'fail' else 'ok' end as status,
        'weeks inside the calendar without any sales row (the data test sales_have_every_week names them)' as message
    from sales_weekly
    group by market

),

channel_activity as (

    select
        market,
        channel,
        'channel_active_weeks' as check_name,
        cast(sum(case when spend_reporting > 0 then 1 else 0 end) as double) as value,
        cast({{ min_active_weeks }} as double) as threshold,
        case when sum(case when spend_reporting > 0 then 1 else 0 end) < {{ min_active_weeks }} then 'warn' else 'ok' end as status,
        'weeks with spend > 0; fewer than {{ min_active_weeks }} (var min_active_weeks_per_channel) gives little to estimate from' as message
    from spend_weekly
    group by market, channel

),

unconfigured_channels as (

    select distinct
        spend_weekly.market,
        spend_weekly.channel,
        'channel_not_configured' as check_name,
        1.0 as value,
        0.0 as threshold,
        'warn' as status,
        'channel missing from seeds/channel_config.csv: defaults used (see int_channel_settings)' as message
    from spend_weekly
    inner join channel_settings
        on spend_weekly.channel = channel_settings.channel
    where not channel_settings.is_configured

),

control_fill as (

    select
        market,
        control as channel,
        'control_weeks_filled' as check_name,
        cast(sum(case when is_filled then 1 else 0 end) as double) as value,
        0.0 as threshold,
        case when sum(case when is_filled then 1 else 0 end) > 0 then 'warn' else 'ok' end as status,
        'weeks without a value of this control, filled with the market mean of the control' as message
    from controls_weekly
    group by market, control

),

unconfigured_controls as (

    select distinct
        controls_weekly.market,
        controls_weekly.control as channel,
        'control_not_configured' as check_name,
        1.0 as value,
        0.0 as threshold,
        'warn' as status,
        'control missing from seeds/control_config.csv: aggregated to weeks with the mean' as message
    from controls_weekly
    inner join control_settings
        on controls_weekly.control = control_settings.control
    where not control_settings.is_configured

),

spend_outside as (

    select
        spend.market,
        '' as channel,
        'spend_outside_calendar' as check_name,
        {#- exact (DECIMAL) sum: the same rows give the same value whatever order threads add them in -#}
        {{ mmm_exact_sum('''case
            when calendar_bounds.market is null then spend.spend_reporting
            when spend.week_start_date < calendar_bounds.first_week_start_date then spend.spend_reporting
            when spend.week_start_date > calendar_bounds.last_week_start_date then spend.spend_reporting
            else 0.0
        end''') }} as value,
        0.0 as threshold,
        case
            when max(case when calendar_bounds.market is null then 1 else 0 end) = 1 then 'warn'
            when sum(case
                when spend.week_start_date < calendar_bounds.first_week_start_date then 1
                when spend.week_start_date > calendar_bounds.last_week_start_date then 1
                else 0 end) > 0 then 'warn'
            else 'ok'
        end as status,
        case
            when max(case when calendar_bounds.market is null then 1 else 0 end) = 1
                then 'market has spend but no sales: it is not in mmm_model_input'
            else 'spend (reporting currency) dated before the first or after the last week with sales, not in mmm_model_input'
        end as message
    from spend
    left join calendar_bounds
        on spend.market = calendar_bounds.market
    group by spend.market

),

quarantined as (

    select
        coalesce(market, '') as market,
        '' as channel,
        'quarantined_rows' as check_name,
        cast(count(*) as double) as value,
        0.0 as threshold,
        'warn' as status,
        'raw rows not modeled, see fct_quarantined_rows (' || string_agg(distinct rule, ', ' order by rule) || ')' as message
    from quarantine
    group by coalesce(market, '')

),

unioned as (

    select * from weeks_of_history
    union all select * from missing_sales_weeks
    union all select * from channel_activity
    union all select * from unconfigured_channels
    union all select * from control_fill
    union all select * from unconfigured_controls
    union all select * from spend_outside
    union all select * from quarantined

),

final as (

    select
        market,
        check_name,
        channel,
        value,
        threshold,
        status,
        message
    from unioned

)

select * from final
order by market, check_name, channel
