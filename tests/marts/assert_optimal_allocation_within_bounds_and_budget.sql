-- The optimal allocation stays within each channel's bounds and spends exactly the weekly budget
-- (per market, or over all markets when the budget is shared).
with allocation as (

    select * from {{ ref('fct_optimal_allocation') }}

),

out_of_bounds as (

    select market, channel, 'outside bounds' as problem
    from allocation
    where optimal_weekly_spend < min_weekly_spend - 1e-6 * greatest(min_weekly_spend, 1)
        or optimal_weekly_spend > max_weekly_spend + 1e-6 * greatest(max_weekly_spend, 1)

),

budgets as (

    select
        case when is_joint_over_markets then 'all markets' else market end as budget_scope,
        max(weekly_budget) as weekly_budget,
        sum(optimal_weekly_spend) as allocated
    from allocation
    group by 1

),

off_budget as (

    select budget_scope as market, null as channel, 'does not sum to the budget' as problem
    from budgets
    where abs(allocated - weekly_budget) > 1e-6 * greatest(weekly_budget, 1)

)

select * from out_of_bounds
union all
select * from off_budget
