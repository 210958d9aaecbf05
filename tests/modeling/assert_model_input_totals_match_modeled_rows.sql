-- Weekly aggregation loses nothing: per market, revenue and spend in mmm_model_input equal the amounts of
-- the modeled raw rows (int_*_checked, no quarantine rule) dated inside the market's calendar, plus what the
-- documented imputation of partial weeks added (int_sales_weekly, int_spend_weekly: value - observed sum). National
-- spend (market all) is in a market's total as its observed share (int_spend_weekly.national_spend_observed_reporting);
-- that the shares add up to the national rows is the test national_spend_is_conserved.
with model_input as (

    select * from {{ ref('mmm_model_input') }}

),

market_weeks as (

    select * from {{ ref('int_market_weeks') }}

),

sales as (

    select * from {{ ref('int_sales_checked') }}
    where quarantine_rule is null

),

spend as (

    select * from {{ ref('int_media_spend_checked') }}
    where quarantine_rule is null

),

sales_weekly as (

    select * from {{ ref('int_sales_weekly') }}

),

spend_weekly as (

    select * from {{ ref('int_spend_weekly') }}

),

modeled_parts as (

    select sales.market, 'revenue' as variable_type, sum(sales.revenue_reporting) as modeled_rows_total
    from sales
    inner join market_weeks
        on sales.market = market_weeks.market and sales.week_start_date = market_weeks.week_start_date
    group by sales.market

    union all

    select spend.market, 'spend' as variable_type, sum(spend.spend_reporting) as modeled_rows_total
    from spend
    inner join market_weeks
        on spend.market = market_weeks.market and spend.week_start_date = market_weeks.week_start_date
    group by spend.market

    union all

    select market, 'spend' as variable_type, sum(national_spend_observed_reporting) as modeled_rows_total
    from spend_weekly
    group by market

),

modeled_rows as (

    select market, variable_type, sum(modeled_rows_total) as modeled_rows_total
    from modeled_parts
    group by market, variable_type

),

imputed as (

    select market, 'revenue' as variable_type, sum(revenue_reporting - revenue_observed_reporting) as imputed_total
    from sales_weekly
    group by market

    union all

    select market, 'spend' as variable_type, sum(spend_reporting - spend_observed_reporting) as imputed_total
    from spend_weekly
    group by market

),

modelled as (

    select market, variable_type, sum(value) as model_input_total
    from model_input
    where variable_type in ('revenue', 'spend')
    group by market, variable_type

),

final as (

    select
        modeled_rows.market,
        modeled_rows.variable_type,
        modeled_rows.modeled_rows_total,
        coalesce(imputed.imputed_total, 0) as imputed_total,
        modelled.model_input_total
    from modeled_rows
    left join imputed
        on modeled_rows.market = imputed.market and modeled_rows.variable_type = imputed.variable_type
    left join modelled
        on modeled_rows.market = modelled.market and modeled_rows.variable_type = modelled.variable_type
    where modelled.model_input_total is null
       or abs(modeled_rows.modeled_rows_total + coalesce(imputed.imputed_total, 0) - modelled.model_input_total)
            > 1e-6 * (1 + abs(modeled_rows.modeled_rows_total))

)

select * from final
