-- The optimized and target-growth plans stay within each channel's bounds every week; the optimized plan spends
-- the plan budget (fct_plan_summary.planned_spend of the plan equals its weekly spends' sum, and the optimized plan
-- spends what the spend plan, else the current-spend plan, spends unless var plan_budget or the bounds say otherwise).
with allocation as (

    select * from {{ ref('fct_plan_allocation') }}

),

summary as (

    select * from {{ ref('fct_plan_summary') }}

),

out_of_bounds as (

    select market, plan_name, cast(week_start_date as varchar) || ' ' || channel as subject, 'outside bounds' as problem
    from allocation
    where plan_name in ('optimized', 'target_growth')
        and (planned_spend < min_weekly_spend - 1e-6 * greatest(min_weekly_spend, 1)
            or planned_spend > max_weekly_spend + 1e-6 * greatest(max_weekly_spend, 1))

),

plan_totals as (

    select market, plan_name, sum(planned_spend) as allocated
    from allocation
    group by market, plan_name

),

off_total as (

    select summary.market, summary.plan_name, '' as subject, 'summary spend is not the allocation''s sum' as problem
    from summary
    inner join plan_totals
        on summary.market = plan_totals.market
        and summary.plan_name = plan_totals.plan_name
    where abs(summary.planned_spend - plan_totals.allocated) > 1e-6 * greatest(summary.planned_spend, 1)

),

{%- set default_budget = var('plan_budget') is none %}

off_budget as (

    select optimized.market, 'optimized' as plan_name, '' as subject, 'optimized plan does not spend the reference budget' as problem
    from plan_totals as optimized
    inner join plan_totals as reference
        on optimized.market = reference.market
        and reference.plan_name = 'spend_plan'
    where optimized.plan_name = 'optimized'
        and {{ 'true' if default_budget else 'false' }}
        and abs(optimized.allocated - reference.allocated) > 1e-6 * greatest(reference.allocated, 1)
        and not exists (
            select 1 from summary
            where summary.market = optimized.market and summary.plan_name = 'optimized'
                and summary.message like '%outside what the bounds allow%'
        )

)

select * from out_of_bounds
union all
select * from off_total
union all
select * from off_budget
