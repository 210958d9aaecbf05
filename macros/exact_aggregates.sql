{#-
    Exact, order-independent aggregates for money and control values.

    A parallel engine adds floating-point numbers in whatever order its threads finish, so sum() of
    doubles can differ in the last bits from one run to the next; the model fit then lands on a
    slightly different optimum and the same input no longer gives the same tables. Summing in
    DECIMAL(38, 9) is exact (each row is rounded once, at 1e-9), so the result is deterministic.
    DECIMAL(38, 9) is also BigQuery's NUMERIC, Snowflake's NUMBER(38, 9) and valid on Databricks.
-#}
{% macro mmm_exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 9))) as double)
{%- endmacro %}

{% macro mmm_exact_avg(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 9))) as double) / nullif(count({{ expression }}), 0)
{%- endmacro %}
