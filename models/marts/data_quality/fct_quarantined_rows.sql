-- depends_on: {{ ref('int_losses_measured') }}
-- Public: every raw row that is not modeled, with the rule it failed, a readable reason and the raw record.
-- Grain: source_name, raw_row_id (primary key, enforced by the contract). It waits for the quarantine tests (the
-- depends_on above), like mmm_model_input: a build that stops on too much quarantine leaves the public tables of
-- the last good run untouched, all from one run (the failure and its reasons are in fct_build_runs and the log).
with quarantined as (

    select * from {{ ref('int_rows_quarantined') }}

),

final as (

    select
        cast(source_name as varchar) as source_name,
        cast(raw_row_id as bigint) as raw_row_id,
        cast(rule as varchar) as rule,
        cast(reason as varchar) as reason,
        cast(raw_date as varchar) as raw_date,
        cast(raw_market as varchar) as raw_market,
        cast(market as varchar) as market,
        cast(raw_key as varchar) as raw_key,
        cast(raw_amount as varchar) as raw_amount,
        cast(raw_currency as varchar) as raw_currency,
        cast(raw_record as varchar) as raw_record
    from quarantined

)

select * from final
order by source_name, raw_row_id
