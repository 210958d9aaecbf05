{% macro mmm_settings_rows(names) -%}
    {#- The dbt vars `names` as rows (setting_name, setting_value as JSON text) for the Python models, which cannot call
        var(): the one body of mmm_run_settings, mmm_planning_settings and mmm_operations_settings. -#}
    {% for name in names -%}
    select
        '{{ name }}' as setting_name,
        '{{ tojson(var(name)) | replace("'", "''") }}' as setting_value
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
