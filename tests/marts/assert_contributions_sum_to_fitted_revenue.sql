-- Per market and week, the components' contributions add up to the fitted revenue (relative tolerance 1e-6).
with contributions as (

    select market, week_start_date, sum(contribution) as total_contribution
    from {{ ref('fct_contributions') }}
    group by market, week_start_date

),

fitted as (

    select * from {{ ref('fct_fitted_revenue') }}

)

select
    fitted.market,
    fitted.week_start_date,
    fitted.fitted_revenue,
    contributions.total_contribution
from fitted
left join contributions
    on fitted.market = contributions.market
    and fitted.week_start_date = contributions.week_start_date
where contributions.total_contribution is null
    or abs(contributions.total_contribution - fitted.fitted_revenue) > 1e-6 * greatest(abs(fitted.fitted_revenue), 1)
