-- One row per control present in the modeled control rows or in seed control_config. A control missing from
-- the seed aggregates with the mean and is reported (is_configured = false, and a row in mmm_data_sufficiency).
with controls as (

    select * from {{ ref('int_controls_checked') }}
    where quarantine_rule is null

),

control_config as (

    select * from {{ ref('control_config') }}

),

configured as (

    select
        {{ mmm_normalise_name('control') }} as control,
        lower(trim(aggregation)) as aggregation,
        expected_sign,
        description
    from control_config

),

all_controls as (

    select control from configured
    union
    select distinct control from controls

),

final as (

    select
        all_controls.control,
        coalesce(configured.aggregation, '{{ mmm_control_default_aggregation() }}') as aggregation,
        configured.expected_sign,
        configured.description,
        configured.control is not null as is_configured
    from all_controls
    left join configured
        on all_controls.control = configured.control

)

select * from final
