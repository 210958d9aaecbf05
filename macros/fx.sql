{#-
    Conversion to the reporting currency (var reporting_currency, default USD) at the as-of rate: the latest
    rate on or before the row's date. rate_to_usd is USD per unit of currency; USD needs no FX row, and a
    currency equal to the reporting currency converts at 1. For another reporting currency R:
        rate(cur -> R) = rate_to_usd(cur) / rate_to_usd(R)
    Adds two columns to every row of rows_relation:
        is_known_currency     the currency is USD, the reporting currency, or has at least one FX row
        fx_rate_to_reporting  null when a rate on or before the date is missing (rule no_fx_rate)
-#}

{% macro mmm_join_fx_rate(rows_relation, date_column, currency_column, fx_relation, key_column) %}
    {{ return(adapter.dispatch('mmm_join_fx_rate', 'mmm')(rows_relation, date_column, currency_column, fx_relation, key_column)) }}
{% endmacro %}


{% macro duckdb__mmm_join_fx_rate(rows_relation, date_column, currency_column, fx_relation, key_column) -%}
    {%- set reporting = mmm_reporting_currency() -%}
    select
        rows_to_convert.*,
        (
            rows_to_convert.{{ currency_column }} in ('USD', '{{ reporting }}')
            or rows_to_convert.{{ currency_column }} in (select known.currency from {{ fx_relation }} as known)
        ) as is_known_currency,
        case
            when rows_to_convert.{{ currency_column }} = '{{ reporting }}' then 1.0
            else
                (case when rows_to_convert.{{ currency_column }} = 'USD' then 1.0 else currency_rate.rate_to_usd end)
                / {% if reporting == 'USD' %}1.0{% else %}reporting_rate.rate_to_usd{% endif %}
        end as fx_rate_to_reporting
    from {{ rows_relation }} as rows_to_convert
    asof left join {{ fx_relation }} as currency_rate
        on rows_to_convert.{{ currency_column }} = currency_rate.currency
        and rows_to_convert.{{ date_column }} >= currency_rate.rate_date
    {%- if reporting != 'USD' %}
    asof left join (
        select rate_date, rate_to_usd from {{ fx_relation }} where currency = '{{ reporting }}'
    ) as reporting_rate
        on rows_to_convert.{{ date_column }} >= reporting_rate.rate_date
    {%- endif %}
{%- endmacro %}


{% macro default__mmm_join_fx_rate(rows_relation, date_column, currency_column, fx_relation, key_column) -%}
    {#- portable version: rank the rates on or before the date, keep the latest (no ASOF JOIN) -#}
    {%- set reporting = mmm_reporting_currency() -%}
    select
        with_rates.*
    from (
        select
            rows_to_convert.*,
            (
                rows_to_convert.{{ currency_column }} in ('USD', '{{ reporting }}')
                or rows_to_convert.{{ currency_column }} in (select known.currency from {{ fx_relation }} as known)
            ) as is_known_currency,
            case
                when rows_to_convert.{{ currency_column }} = '{{ reporting }}' then 1.0
                else
                    (case when rows_to_convert.{{ currency_column }} = 'USD' then 1.0 else (
                        select currency_rate.rate_to_usd from {{ fx_relation }} as currency_rate
                        where currency_rate.currency = rows_to_convert.{{ currency_column }}
                            and currency_rate.rate_date <= rows_to_convert.{{ date_column }}
                        order by currency_rate.rate_date desc
                        limit 1
                    ) end)
                    / {% if reporting == 'USD' %}1.0{% else %}(
                        select reporting_rate.rate_to_usd from {{ fx_relation }} as reporting_rate
                        where reporting_rate.currency = '{{ reporting }}'
                            and reporting_rate.rate_date <= rows_to_convert.{{ date_column }}
                        order by reporting_rate.rate_date desc
                        limit 1
                    ){% endif %}
            end as fx_rate_to_reporting
        from {{ rows_relation }} as rows_to_convert
    ) as with_rates
{%- endmacro %}
