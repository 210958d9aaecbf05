-- The experiment plan recommends exactly one design per market and channel; a testable design reaches the target
-- power; an untestable one that was sized stays below it at the longest test; every channel of the channel summary
-- is in the plan; the validation's verdict agrees with its z-score.
with plan as (

    select * from {{ ref('fct_experiment_plan') }}

),

channels as (

    select * from {{ ref('fct_channel_summary') }}
    where market <> 'national'  -- the national rows add the markets up; tests are planned per market

),

validation as (

    select * from {{ ref('fct_experiment_validation') }}

),

recommendations as (

    select market, channel, 'recommended designs: ' || cast(sum(case when is_recommended then 1 else 0 end) as varchar) as problem
    from plan
    group by market, channel
    having sum(case when is_recommended then 1 else 0 end) <> 1

),

power_problems as (

    select market, channel || ' ' || test_design as channel, 'power disagrees with is_testable' as problem
    from plan
    where (is_testable and not power >= target_power)
        or (not is_testable and power is not null and power >= target_power)
        or (is_testable and not (expected_lift_lower <= expected_lift and expected_lift <= expected_lift_upper))

),

missing as (

    select channels.market, channels.channel, 'channel missing from the experiment plan' as problem
    from channels
    left join plan
        on channels.market = plan.market
        and channels.channel = plan.channel
    where plan.market is null

),

verdicts as (

    select market, experiment_id as channel, 'is_model_right disagrees with z_score_before' as problem
    from validation
    where is_model_right <> (abs(z_score_before) <= 2)

)

select * from recommendations
union all
select * from power_problems
union all
select * from missing
union all
select * from verdicts
