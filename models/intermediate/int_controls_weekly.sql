-- Weekly control values per market on the market's calendar, aggregated as control_config says
-- (mean, sum, max or min; unknown controls use the mean). A week without any value of a control that the
-- market has is filled with the market's mean of the weekly values (is_filled = true) and counted in
-- mmm_data_sufficiency (control_weeks_filled): never a silent gap.
with market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

controls as (

    select * from {{ ref('int_controls_checked') }}
    where quarantine_rule is null

),

control_settings as (

    select * from {{ ref('int_control_settings') }}

),

aggregated as (

    select
        controls.market,
        controls.week_start_date,
        controls.control,
        case control_settings.aggregation
            when 'sum' then {{ mmm_exact_sum('controls.control_value') }}
            when 'max' then max(controls.control_value)
            when 'min' then min(controls.control_value)
            else {{ mmm_exact_avg('controls.control_value') }}
        end as control_value,
        count(*) as control_row_count
    from controls
    inner join control_settings
        on controls.control = control_settings.control
    group by controls.market, controls.week_start_date, controls.control, control_settings.aggregation

),

in_calendar as (

    select aggregated.*
    from aggregated
    inner join market_weeks
        on aggregated.market = market_weeks.market
        and aggregated.week_start_date = market_weeks.week_start_date

),

market_means as (

    select
        market,
        control,
        {{ mmm_exact_avg('control_value') }} as mean_control_value
    from in_calendar
    group by market, control

),

grid as (

    select
        market_weeks.market,
        market_weeks.week_start_date,
        market_means.control,
        market_means.mean_control_value
    from market_weeks
    inner join market_means
        on market_weeks.market = market_means.market

),

final as (

    select
        grid.market,
        grid.week_start_date,
        grid.control,
        coalesce(in_calendar.control_value, grid.mean_control_value) as control_value,
        coalesce(in_calendar.control_row_count, 0) as control_row_count,
        in_calendar.market is null as is_filled
    from grid
    left join in_calendar
        on grid.market = in_calendar.market
        and grid.control = in_calendar.control
        and grid.week_start_date = in_calendar.week_start_date

)

select * from final
