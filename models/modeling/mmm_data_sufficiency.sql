{%- set min_weeks_warning = var('min_weeks_warning') %}
{%- set min_weeks_required = var('min_weeks_required') %}
{%- set min_active_weeks = var('min_active_weeks_per_channel') %}
-- Data sufficiency checks per market (and per channel or control), in the project's check row schema:
-- market, check_name, channel, value, threshold, status (ok / warn / fail), message.
-- `fail` (fewer than var min_weeks_required weeks of history) keeps a market out of the fit; when no market is left
-- the test a_market_can_be_modeled stops the build here, naming each market's failing checks.
-- The `channel` column holds the channel, or the control for control checks, or the lift test, or the raw file
-- (source_extra_columns); '' when about the market. Rows about a lift test's unknown market carry that market;
-- rows about a whole raw file have market ''. Grain: market, check_name, channel.
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
      and market <> 'all'

),

national_spend as (

    -- market all: bought nationally, split across the markets (int_national_spend_weights, int_spend_weekly)
    select * from {{ ref('int_media_spend_checked') }}
    where quarantine_rule is null
      and market = 'all'

),

national_weights as (

    select * from {{ ref('int_national_spend_weights') }}

),

quarantine as (

    select * from {{ ref('int_rows_quarantined') }}

),

losses as (

    select * from {{ ref('int_losses_measured') }}

),

lift_tests as (

    select * from {{ ref('int_lift_tests_converted') }}

),

extra_columns_by_file as (

    {% for source_name, checked in [('raw_media_spend', 'int_media_spend_checked'), ('raw_sales', 'int_sales_checked'),
        ('raw_controls', 'int_controls_checked'), ('raw_fx_rates', 'int_fx_rates_checked'),
        ('raw_lift_tests', 'int_lift_tests_checked'), ('raw_holidays', 'int_holidays_checked')] -%}
    select '{{ source_name }}' as source_name, min(raw_extra_columns) as example_extra_columns
    from {{ ref(checked) }}
    where raw_extra_columns is not null
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

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

national_covered_weeks as (

    -- the weeks a national channel can be split into: weeks of the calendar of a market with a positive weight
    select distinct
        national_weights.channel,
        market_weeks.week_start_date
    from national_weights
    inner join market_weeks
        on national_weights.market = market_weeks.market
    where national_weights.weight > 0

),

national_outside as (

    select
        'all' as market,
        '' as channel,
        'spend_outside_calendar' as check_name,
        {{ mmm_exact_sum('case when national_covered_weeks.channel is null then national_spend.spend_reporting else 0.0 end') }} as value,
        0.0 as threshold,
        case when max(case when national_covered_weeks.channel is null then 1 else 0 end) = 1 then 'warn' else 'ok' end as status,
        'national spend (market all, reporting currency) dated in weeks that no market it is split to has in its calendar,'
            || ' not in mmm_model_input' as message
    from national_spend
    left join national_covered_weeks
        on national_spend.channel = national_covered_weeks.channel
        and national_spend.week_start_date = national_covered_weeks.week_start_date
    having count(*) > 0

),

national_split as (

    select
        market,
        channel,
        'national_spend_split' as check_name,
        weight as value,
        0.0 as threshold,
        'ok' as status,
        channel || ' is bought nationally (market all): this market gets ' || {{ mmm_percent('weight') }}
            || ' of its national spend each week, by '
            || case when weight_source = 'seed' then 'seeds/national_media_weights.csv' else 'its share of revenue over the calendar' end
            || ' (added to the market''s own spend of the channel, if any)' as message
    from national_weights
    where weight is not null

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

sales_partial_weeks as (

    select
        market,
        '' as channel,
        'sales_partial_weeks' as check_name,
        cast(count(*) as double) as value,
        0.0 as threshold,
        'warn' as status,
        cast(count(*) as varchar) || ' weeks have sales on fewer days than the market''s usual '
            || cast(max(usual_days_with_sales) as varchar) || ' ('
            || string_agg(cast(week_start_date as varchar) || ': ' || cast(days_with_sales as varchar) || ' days', ', ' order by week_start_date)
            || '): their revenue was completed by imputation (revenue x usual days / days present; is_filled in mmm_model_input),'
            || ' not modeled as a dip. A day without a sales row counts as missing: a closed day needs a row with 0.' as message
    from sales_weekly
    where is_partial_week
    group by market

),

spend_partial_weeks as (

    select
        market,
        channel,
        'spend_partial_weeks' as check_name,
        cast(sum(case when is_imputed or days_missing > 0 then 1 else 0 end) as double) as value,
        0.0 as threshold,
        'warn' as status,
        trim(
            case when sum(case when is_imputed then 1 else 0 end) > 0 then
                cast(sum(case when is_imputed then 1 else 0 end) as varchar) || ' weeks lost '
                || cast(sum(days_lost) as varchar) || ' days of rows to the quarantine and were completed by imputation'
                || ' (spend x days with rows / days modeled; is_filled in mmm_model_input; first: the week starting '
                || cast(min(case when is_imputed then week_start_date end) as varchar) || '). '
            else '' end
            || case when sum(case when days_missing > 0 then 1 else 0 end) > 0 then
                cast(sum(case when days_missing > 0 then 1 else 0 end) as varchar) || ' weeks of this daily channel have '
                || cast(sum(days_missing) as varchar) || ' days without any row (first: the week starting '
                || cast(min(case when days_missing > 0 then week_start_date end) as varchar)
                || '): they count as no spend (ad platforms leave out days without delivery); if the export lost them, fix the export.'
            else '' end
        ) as message
    from spend_weekly
    group by market, channel
    having sum(case when is_imputed or days_missing > 0 then 1 else 0 end) > 0

),

channel_losses as (

    select
        market,
        subject as channel,
        'channel_rows_quarantined' as check_name,
        lost_row_share as value,
        max_quarantined_share as threshold,
        case when is_over_limit then 'fail' else 'warn' end as status,
        cast(lost_rows as varchar) || ' of ' || cast(kept_rows + lost_rows as varchar) || ' rows of ' || subject || ' in '
            || market || ' were lost to the quarantine (' || rules || ')'
            || case when kept_rows = 0
                then ': the channel has no modeled spend in this market, so it is missing from the model (it did not spend nothing)'
                else '' end
            || '; e.g. raw row ' || cast(example_raw_row_id as varchar) || ': ' || example_reason as message
    from losses
    where source_name = 'raw_media_spend'
      and scope = 'channel'
      and lost_rows > 0

),

lift_tests_unknown_market as (

    select
        lift_tests.market,
        lift_tests.channel || ' (experiment ' || lift_tests.experiment_id || ')' as channel,
        'lift_test_unused' as check_name,
        1.0 as value,
        0.0 as threshold,
        'warn' as status,
        'lift test ' || lift_tests.experiment_id || ' names market ''' || lift_tests.market
            || ''', which has no modeled sales; it is not used.' as message
    from lift_tests
    left join calendar_bounds
        on lift_tests.market = calendar_bounds.market
    where calendar_bounds.market is null

),

extra_columns as (

    select
        '' as market,
        source_name as channel,
        'source_extra_columns' as check_name,
        cast(len(json_keys(example_extra_columns)) as double) as value,
        0.0 as threshold,
        'warn' as status,
        source_name || ' has columns outside the contract: ' || array_to_string(json_keys(example_extra_columns), ', ')
            || '. They are not modeled, but rows that differ only in them are different rows for the duplicate checks'
            || ' (two accounts'' identical rows are both kept and summed).' as message
    from extra_columns_by_file
    where example_extra_columns is not null

),

unioned as (

    select * from weeks_of_history
    union all select * from missing_sales_weeks
    union all select * from channel_activity
    union all select * from unconfigured_channels
    union all select * from control_fill
    union all select * from unconfigured_controls
    union all select * from spend_outside
    union all select * from national_outside
    union all select * from national_split
    union all select * from quarantined
    union all select * from sales_partial_weeks
    union all select * from spend_partial_weeks
    union all select * from channel_losses
    union all select * from lift_tests_unknown_market
    union all select * from extra_columns

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
