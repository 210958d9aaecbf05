{% macro mmm_contract_columns(relation_alias=none) -%}
{#- The select list of a contracted mart, read from its YAML: `cast(<column> as <data_type>) as <column>`
    for every column declared in the model's YAML, in that order. The YAML is then the only place a
    mart's columns are written. -#}
{%- if not execute -%}{{ return('*') }}{%- endif -%}
{%- set columns = model.columns.values() | list -%}
{%- if columns | length == 0 -%}
    {{ exceptions.raise_compiler_error("mmm_contract_columns: model " ~ model.name ~ " declares no columns in its YAML") }}
{%- endif -%}
{%- for column in columns %}
        cast({{ (relation_alias ~ '.') if relation_alias else '' }}{{ adapter.quote(column.name) }} as {{ column.data_type }}) as {{ adapter.quote(column.name) }}{{ ',' if not loop.last }}
{%- endfor %}
{%- endmacro %}
