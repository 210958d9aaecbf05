"""Every output table of every market in one pass (long: column `output` names the table), plus the national
rows and the joint allocation. Each public fct_* mart selects its rows and contracted columns."""


def model(dbt, session):
    dbt.config(materialized="table")
    from mmm.dbt_io import frame, market_outputs, run_settings  # market_outputs: on Spark when dbt.ref gives Spark DataFrames

    return market_outputs(
        dbt.ref("mmm_fit"),
        dbt.ref("mmm_model_input"),
        frame(dbt.ref("int_channel_settings")),
        frame(dbt.ref("int_lift_tests_converted")),
        frame(dbt.ref("budget_scenarios")),
        run_settings(dbt.ref("mmm_run_settings")),
        stream=True,  # DuckDB: an Arrow stream of each market's rows, written as DuckDB reads it, not assembled in memory
    )
