-- The expected revenue of the optimal allocation is at least that of the current allocation
-- (checked where the current allocation is itself feasible: it spends the budget within the bounds).
with allocation as (

    select * from {{ ref('fct_optimal_allocation') }}

),

scopes as (

    select
        case when is_joint_over_markets then 'all markets' else market end as budget_scope,
        max(weekly_budget) as weekly_budget,
        sum(current_weekly_spend) as current_total,
        sum(expected_revenue_current) as revenue_current,
        sum(expected_revenue_optimal) as revenue_optimal,
        bool_and(current_weekly_spend between min_weekly_spend and max_weekly_spend) as current_within_bounds
    from allocation
    group by 1

)

select *
from scopes
where current_within_bounds
    and abs(current_total - weekly_budget) <= 1e-6 * greatest(weekly_budget, 1)
    and revenue_optimal < revenue_current - 1e-6 * greatest(abs(revenue_current), 1)
