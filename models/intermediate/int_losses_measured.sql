{{ config(materialized="table") }}
{%- set limit = mmm_max_quarantined_share() %}
{%- set gated_sources = ['raw_media_spend', 'raw_sales', 'raw_controls'] %}
-- How much of each raw file, market and channel (control) the quarantine removed: rows and money. One row per
-- source_name and scope: 'file' (the whole file), 'market' (rows of one market), 'channel' (spend rows of one market
-- and channel) or 'control' (control rows of one market and control). Quarantined rows are split into
--   lost        a rule that removes data (unparseable, negative, implausible, no FX rate, ...),
--   later       dated after var as_of_date (future_date): outside the modeling window, not lost (a backtest or a
--               build as of an earlier date sets them aside on purpose); listed in the rules, not in the shares,
--   superseded  a restated row whose other version is kept (conflicting_duplicate, duplicate_key),
--   duplicate   an exact copy of a kept row (duplicate_row).
-- Only lost rows count against var max_quarantined_share: is_over_limit when a file, market or channel of
-- raw_media_spend, raw_sales or raw_controls lost a larger share of its rows or of its money (reporting currency;
-- rows whose amount does not parse or convert, or is implausible, count in the rows only); has_nothing_left when raw_media_spend or raw_sales kept
-- no row at all. The tests quarantine_is_reported (warn: every quarantine, in the build log) and
-- quarantine_within_limits (error: stops the build before the model input) read this model; mmm_model_input waits for
-- them. A table (small): several tests and mmm_data_sufficiency read it. Grain: source_name, scope, market, subject.
with spend as (

    select * from {{ ref('int_media_spend_checked') }}

),

sales as (

    select * from {{ ref('int_sales_checked') }}

),

controls as (

    select * from {{ ref('int_controls_checked') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_checked') }}

),

lift_tests as (

    select * from {{ ref('int_lift_tests_checked') }}

),

holidays as (

    select * from {{ ref('int_holidays_checked') }}

),

raw_files as (

    {% for source_name in ['raw_media_spend', 'raw_sales', 'raw_controls', 'raw_fx_rates', 'raw_lift_tests', 'raw_holidays'] -%}
    select '{{ source_name }}' as source_name, {{ mmm_sql_string(mmm_raw_file_label(source_name)) }} as raw_file
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

all_rows as (

    {#- an implausible amount is no money anyone spent: such a row counts in the rows only -#}
    select 'raw_media_spend' as source_name, raw_row_id, market, channel as subject, quarantine_rule, quarantine_reason,
        case when quarantine_rule = 'implausible_value' then null else spend_reporting end as amount_reporting
    from spend
    union all
    select 'raw_sales' as source_name, raw_row_id, market, '' as subject, quarantine_rule, quarantine_reason,
        case when quarantine_rule = 'implausible_value' then null else revenue_reporting end as amount_reporting
    from sales
    union all
    select 'raw_controls' as source_name, raw_row_id, market, control as subject, quarantine_rule, quarantine_reason,
        cast(null as double) as amount_reporting
    from controls
    union all
    select 'raw_fx_rates' as source_name, raw_row_id, cast(null as varchar) as market, currency as subject, quarantine_rule,
        quarantine_reason, cast(null as double) as amount_reporting
    from fx_rates
    union all
    select 'raw_lift_tests' as source_name, raw_row_id, market, channel as subject, quarantine_rule, quarantine_reason,
        incremental_revenue_original * fx_rate_to_reporting as amount_reporting
    from lift_tests
    union all
    select 'raw_holidays' as source_name, raw_row_id, market, holiday_name as subject, quarantine_rule, quarantine_reason,
        cast(null as double) as amount_reporting
    from holidays

),

classified as (

    select
        all_rows.*,
        case
            when quarantine_rule is null then 'kept'
            when quarantine_rule = 'duplicate_row' then 'duplicate'
            when quarantine_rule in ('conflicting_duplicate', 'duplicate_key') then 'superseded'
            when quarantine_rule = 'future_date' then 'later'
            else 'lost'
        end as row_class
    from all_rows

),

scoped as (

    -- each row counts in its file, its market and its channel (control)
    select source_name, 'file' as scope, '' as market, '' as subject, classified.raw_row_id, row_class, quarantine_rule,
        quarantine_reason, amount_reporting
    from classified
    union all
    select source_name, 'market' as scope, market, '' as subject, raw_row_id, row_class, quarantine_rule,
        quarantine_reason, amount_reporting
    from classified
    where market is not null and source_name in ('raw_media_spend', 'raw_sales', 'raw_controls')
    union all
    select source_name, case when source_name = 'raw_controls' then 'control' else 'channel' end as scope, market, subject,
        raw_row_id, row_class, quarantine_rule, quarantine_reason, amount_reporting
    from classified
    where market is not null and subject is not null and source_name in ('raw_media_spend', 'raw_controls')

),

totals as (

    select
        source_name,
        scope,
        market,
        subject,
        count(*) as raw_rows,
        sum(case when row_class = 'kept' then 1 else 0 end) as kept_rows,
        sum(case when row_class = 'lost' then 1 else 0 end) as lost_rows,
        sum(case when row_class = 'superseded' then 1 else 0 end) as superseded_rows,
        sum(case when row_class = 'duplicate' then 1 else 0 end) as duplicate_rows,
        sum(case when row_class = 'lost' and amount_reporting is null then 1 else 0 end) as lost_rows_without_amount,
        {{ mmm_exact_sum("case when row_class = 'kept' then amount_reporting end") }} as kept_amount_reporting,
        {{ mmm_exact_sum("case when row_class = 'lost' then amount_reporting end") }} as lost_amount_reporting
    from scoped
    group by source_name, scope, market, subject

),

rule_counts as (

    select
        source_name,
        scope,
        market,
        subject,
        quarantine_rule,
        count(*) as rule_rows,
        min(raw_row_id) as first_raw_row_id
    from scoped
    where row_class <> 'kept'
    group by source_name, scope, market, subject, quarantine_rule

),

rules_listed as (

    select
        source_name,
        scope,
        market,
        subject,
        {{ dbt.listagg("quarantine_rule || ' ' || cast(rule_rows as " ~ dbt.type_string() ~ ")", "', '", "order by rule_rows desc, quarantine_rule") }} as rules
    from rule_counts
    group by source_name, scope, market, subject

),

top_lost_rule as (

    -- the rule that removed most rows of the scope, and its first row: the example a message quotes
    select *
    from (
        select
            rule_counts.*,
            row_number() over (
                partition by source_name, scope, market, subject order by rule_rows desc, quarantine_rule
            ) as rule_rank
        from rule_counts
        where quarantine_rule not in ('duplicate_row', 'conflicting_duplicate', 'duplicate_key', 'future_date')
    ) as ranked
    where rule_rank = 1

),

examples as (

    select
        top_lost_rule.source_name,
        top_lost_rule.scope,
        top_lost_rule.market,
        top_lost_rule.subject,
        top_lost_rule.quarantine_rule as top_lost_rule,
        top_lost_rule.rule_rows as top_lost_rule_rows,
        top_lost_rule.first_raw_row_id as example_raw_row_id,
        scoped.quarantine_reason as example_reason
    from top_lost_rule
    inner join scoped
        on top_lost_rule.source_name = scoped.source_name
        and top_lost_rule.scope = scoped.scope
        and top_lost_rule.market = scoped.market
        and top_lost_rule.subject = scoped.subject
        and top_lost_rule.first_raw_row_id = scoped.raw_row_id

),

final as (

    select
        totals.source_name,
        raw_files.raw_file,
        totals.scope,
        totals.market,
        totals.subject,
        totals.raw_rows,
        totals.kept_rows,
        totals.lost_rows,
        totals.superseded_rows,
        totals.duplicate_rows,
        totals.lost_rows_without_amount,
        coalesce(totals.kept_amount_reporting, 0.0) as kept_amount_reporting,
        coalesce(totals.lost_amount_reporting, 0.0) as lost_amount_reporting,
        cast(totals.lost_rows as double) / nullif(totals.kept_rows + totals.lost_rows, 0) as lost_row_share,
        coalesce(totals.lost_amount_reporting, 0.0)
            / nullif(coalesce(totals.kept_amount_reporting, 0.0) + coalesce(totals.lost_amount_reporting, 0.0), 0) as lost_amount_share,
        coalesce(rules_listed.rules, '') as rules,
        examples.top_lost_rule,
        examples.top_lost_rule_rows,
        examples.example_raw_row_id,
        examples.example_reason,
        {{ limit }} as max_quarantined_share,
        (
            totals.source_name in ('{{ gated_sources | join("', '") }}')
            and (
                coalesce(cast(totals.lost_rows as double) / nullif(totals.kept_rows + totals.lost_rows, 0) > {{ limit }}, false)
                or coalesce(coalesce(totals.lost_amount_reporting, 0.0)
                    / nullif(coalesce(totals.kept_amount_reporting, 0.0) + coalesce(totals.lost_amount_reporting, 0.0), 0) > {{ limit }}, false)
            )
        ) as is_over_limit,
        (
            totals.scope = 'file' and totals.source_name in ('raw_media_spend', 'raw_sales')
            and totals.raw_rows > 0 and totals.kept_rows = 0
        ) as has_nothing_left
    from totals
    inner join raw_files
        on totals.source_name = raw_files.source_name
    left join rules_listed
        on totals.source_name = rules_listed.source_name
        and totals.scope = rules_listed.scope
        and totals.market = rules_listed.market
        and totals.subject = rules_listed.subject
    left join examples
        on totals.source_name = examples.source_name
        and totals.scope = examples.scope
        and totals.market = examples.market
        and totals.subject = examples.subject

)

select * from final
