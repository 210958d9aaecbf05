"""Great Expectations gate over mmm_model_input (thin: the suite lives in mmm.quality).

Materializes one row per expectation (expectation, column, success, observed_value, is_critical,
details) and fails `dbt build` with a readable message when a critical expectation fails. The range checks
against the data's own history use var implausible_value_factor (passed through the model's meta). GX runs in
a child process so that it does not compete with the model fit for this process's interpreter lock.
"""

from mmm.quality import raise_on_critical_failure, validate_model_input_in_child_process


def model(dbt, session):
    dbt.config(materialized="table")
    # the factor of the range checks = dbt var implausible_value_factor (set in _data_quality__models.yml: a Python
    # model cannot call var())
    factor = float(dbt.config.meta_get("implausible_value_factor", 100))
    frame = dbt.ref("mmm_model_input").df()
    results = validate_model_input_in_child_process(frame, factor)
    raise_on_critical_failure(results)
    return results
