{#-
    National media: a channel bought nationally (raw_media_spend rows with market `all`) is split across the markets
    by int_national_spend_weights (each market's revenue share, or seed national_media_weights) and int_spend_weekly.
    Documented in _macros.yml; the rule in docs/data_layer.md, "National media".

    national_spend_can_be_split   (severity error, on int_national_spend_weights) stops the build before the model
                                  input, naming the channel, when a national channel has no usable split weights or
                                  the seed names a market or channel it cannot use.
    national_spend_is_conserved   (severity error, on int_spend_weekly) the national money in = the money split out.
-#}

{% test national_spend_can_be_split(model, seed, calendar) %}
    {#- model: int_national_spend_weights; seed: ref('national_media_weights'); calendar: ref('int_market_weeks') -#}
    {%- set seed_file = mmm_seed_file(seed) -%}
    {%- set failing_sql -%}
        with weights as (

            select * from {{ model }}

        ),

        seed_rows as (

            select
                {{ mmm_normalise_name('channel') }} as channel,
                {{ mmm_normalise_name('market') }} as market,
                weight,
                {{ mmm_seed_line_number() }} as line_number
            from {{ seed }}

        ),

        calendar_markets as (

            select distinct market from {{ calendar }}

        ),

        national_channels as (

            select distinct channel from weights

        ),

        market_list as (

            select coalesce({{ dbt.listagg('market', "', '", 'order by market') }}, '(none)') as markets
            from calendar_markets

        ),

        channel_list as (

            select coalesce({{ dbt.listagg('channel', "', '", 'order by channel') }}, '(none)') as channels
            from national_channels

        ),

        unusable_channels as (

            select
                0 as sort_key,
                case
                    when max(weight_source) = 'seed' then
                        'channel ''' || channel || ''' is bought nationally (market all in raw_media_spend) but '
                        || {{ mmm_sql_string(seed_file) }} || ' gives none of the markets with modeled sales a weight above 0 ('
                        || {{ dbt.listagg("market || ' ' || cast(weight_basis as " ~ dbt.type_string() ~ ")", "', '", 'order by market') }}
                        || '), so its spend cannot be split: give at least one market a positive weight, or remove the channel from the seed to split it by revenue share.'
                    else
                        'channel ''' || channel || ''' is bought nationally (market all in raw_media_spend) but no market has revenue to split it by (default rule: each market''s share of revenue over its calendar; '
                        || {{ dbt.listagg("market || ' ' || cast(weight_basis as " ~ dbt.type_string() ~ ")", "', '", 'order by market') }}
                        || '), so its spend cannot be split: give its weights in ' || {{ mmm_sql_string(seed_file) }} || '.'
                end as failure_message
            from weights
            group by channel
            having coalesce(sum(weight_basis), 0) <= 0

        ),

        unknown_markets as (

            select
                1 as sort_key,
                {{ mmm_sql_string(seed_file ~ ' line ') }} || cast(seed_rows.line_number as {{ dbt.type_string() }})
                    || ': channel ''' || coalesce(seed_rows.channel, '') || ''' cannot be split to market '''
                    || coalesce(seed_rows.market, '') || ''', which has no modeled sales (markets: ' || market_list.markets || ').' as failure_message
            from seed_rows
            cross join market_list
            left join calendar_markets
                on seed_rows.market = calendar_markets.market
            where calendar_markets.market is null

        ),

        unknown_channels as (

            select
                2 as sort_key,
                {{ mmm_sql_string(seed_file ~ ' line ') }} || cast(seed_rows.line_number as {{ dbt.type_string() }})
                    || ': channel ''' || coalesce(seed_rows.channel, '') || ''' has no national spend (no modeled row with market all in raw_media_spend; channels bought nationally: '
                    || channel_list.channels || '), so its weights split nothing.' as failure_message
            from seed_rows
            cross join channel_list
            left join national_channels
                on seed_rows.channel = national_channels.channel
            where national_channels.channel is null

        )

        select sort_key, failure_message from unusable_channels
        union all
        select sort_key, failure_message from unknown_markets
        union all
        select sort_key, failure_message from unknown_channels
    {%- endset -%}
    {{ mmm_raise_test_failures(model, failing_sql,
        'A channel bought nationally cannot be split across the markets, so the build stops before mmm_model_input'
        ~ ' (rule: docs/data_layer.md, "National media"):') }}
    {{ failing_sql }}
{% endtest %}


{% test national_spend_is_conserved(model, spend, weights, calendar) %}
    {#-
        model: int_spend_weekly; spend: ref('int_media_spend_checked'); weights: ref('int_national_spend_weights');
        calendar: ref('int_market_weeks'). Per national channel, the modeled national rows (market all, no quarantine
        rule) dated in a week that some market with a positive weight has in its calendar = the national shares split
        into the markets (national_spend_observed_reporting), to float tolerance. National spend of other weeks is
        outside every calendar (mmm_data_sufficiency, spend_outside_calendar of market all).
    -#}
    {%- set failing_sql -%}
        with national_rows as (

            select * from {{ spend }}
            where quarantine_rule is null
              and market = 'all'

        ),

        covered_weeks as (

            select distinct
                weights.channel,
                market_weeks.week_start_date
            from {{ weights }} as weights
            inner join {{ calendar }} as market_weeks
                on weights.market = market_weeks.market
            where weights.weight > 0

        ),

        money_in as (

            select
                national_rows.channel,
                {{ mmm_exact_sum('national_rows.spend_reporting') }} as national_spend_reporting
            from national_rows
            inner join covered_weeks
                on national_rows.channel = covered_weeks.channel
                and national_rows.week_start_date = covered_weeks.week_start_date
            group by national_rows.channel

        ),

        money_out as (

            select
                channel,
                sum(national_spend_observed_reporting) as split_spend_reporting
            from {{ model }}
            group by channel
            having sum(national_spend_observed_reporting) <> 0

        ),

        compared as (

            select
                coalesce(money_in.channel, money_out.channel) as channel,
                coalesce(money_in.national_spend_reporting, 0.0) as national_spend_reporting,
                coalesce(money_out.split_spend_reporting, 0.0) as split_spend_reporting
            from money_in
            full outer join money_out
                on money_in.channel = money_out.channel

        )

        select
            0 as sort_key,
            'channel ''' || channel || ''': national spend ' || {{ mmm_format_amount('national_spend_reporting') }}
                || ' {{ mmm_reporting_currency() }} in the markets'' weeks, but the markets received '
                || {{ mmm_format_amount('split_spend_reporting') }} || ' {{ mmm_reporting_currency() }}.' as failure_message
        from compared
        where abs(national_spend_reporting - split_spend_reporting) > 1e-6 * (1 + abs(national_spend_reporting))
    {%- endset -%}
    {{ mmm_raise_test_failures(model, failing_sql,
        'The split of national spend across the markets lost or created money (int_spend_weekly):') }}
    {{ failing_sql }}
{% endtest %}
