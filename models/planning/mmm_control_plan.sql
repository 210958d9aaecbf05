-- Planned control values (seed control_plan) per market, week and control, aggregated to the week as seed
-- control_config says (mean, sum, max, min; an unknown control uses the mean). Grain: market, week_start_date, control.
with control_plan as (

    select * from {{ ref('control_plan') }}

),

control_settings as (

    select * from {{ ref('int_control_settings') }}

),

parsed as (

    select
        {{ mmm_week_start('cast(control_plan.date as date)') }} as week_start_date,
        {{ mmm_normalise_name('control_plan.market') }} as market,
        {{ mmm_normalise_name('control_plan.control') }} as control,
        cast(control_plan.value as double) as control_value
    from control_plan

),

final as (

    select
        parsed.market,
        parsed.week_start_date,
        parsed.control,
        case coalesce(control_settings.aggregation, '{{ mmm_control_default_aggregation() }}')
            when 'sum' then sum(parsed.control_value)
            when 'max' then max(parsed.control_value)
            when 'min' then min(parsed.control_value)
            else avg(parsed.control_value)
        end as control_value
    from parsed
    left join control_settings
        on parsed.control = control_settings.control
    group by parsed.market, parsed.week_start_date, parsed.control, control_settings.aggregation

)

select * from final
