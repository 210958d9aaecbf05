"""Great Expectations suite over the model input (mmm.quality), on good and deliberately bad frames."""

from __future__ import annotations

import pandas as pd
import pytest

from mmm.quality import (
    RESULT_COLUMNS,
    DataQualityError,
    critical_failures,
    raise_on_critical_failure,
    validate_model_input,
)


def good_frame(weeks: int = 6) -> pd.DataFrame:
    rows = []
    for market in ("us", "ca"):
        for i, week in enumerate(pd.date_range("2024-01-01", periods=weeks, freq="W-MON")):
            rows.append((market, week, "revenue", "revenue", 1000.0 + i))
            rows.append((market, week, "spend", "tv", float(i % 2) * 50.0))
            rows.append((market, week, "spend", "search", 20.0))
            rows.append((market, week, "control", "price_index", 1.0 - 0.01 * i))
            rows.append((market, week, "holiday", "holiday_count", float(i == 2)))
    return pd.DataFrame(rows, columns=["market", "week_start_date", "variable_type", "variable_name", "value"])


def failed(results: pd.DataFrame, critical: bool | None = None) -> set[tuple[str, str]]:
    rows = results[~results["success"]]
    if critical is not None:
        rows = rows[rows["is_critical"] == critical]
    return set(zip(rows["expectation"], rows["column"]))


@pytest.fixture(scope="module")
def good_results() -> pd.DataFrame:
    return validate_model_input(good_frame())


def test_good_frame_passes_every_expectation(good_results):
    assert list(good_results.columns) == RESULT_COLUMNS
    assert len(good_results) >= 15
    assert good_results["success"].all(), good_results[~good_results["success"]]
    assert good_results["expectation_id"].is_unique
    raise_on_critical_failure(good_results)  # does not raise


def test_results_record_observed_values(good_results):
    row_count = good_results[good_results["expectation"] == "expect_table_row_count_to_be_between"]
    assert row_count["observed_value"].iloc[0] == str(len(good_frame()))
    not_null = good_results[(good_results["expectation"] == "expect_column_values_to_not_be_null")
                            & (good_results["column"] == "value")]
    assert not_null["observed_value"].iloc[0].startswith("0 unexpected")
    assert good_results["is_critical"].any() and not good_results["is_critical"].all()


def test_negative_spend_and_null_value_are_critical():
    frame = good_frame()
    frame.loc[(frame["variable_name"] == "tv") & (frame["market"] == "us"), "value"] = -5.0
    frame.loc[frame.index[0], "value"] = None
    results = validate_model_input(frame)
    bad = failed(results, critical=True)
    assert ("expect_column_values_to_be_between", "spend_value") in bad
    assert ("expect_column_values_to_not_be_null", "value") in bad
    spend_row = results[(results["column"] == "spend_value") & ~results["success"]]
    assert "-5.0" in spend_row["details"].iloc[0]
    with pytest.raises(DataQualityError, match="spend_value"):
        raise_on_critical_failure(results)


def test_duplicate_grain_unknown_type_and_too_many_holidays_fail():
    frame = good_frame()
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    frame.loc[frame.index[1], "variable_type"] = "media"
    frame.loc[frame["variable_type"] == "holiday", "value"] = 9.0
    bad = failed(validate_model_input(frame), critical=True)
    assert ("expect_compound_columns_to_be_unique", "market, week_start_date, variable_type, variable_name") in bad
    assert ("expect_column_values_to_be_in_set", "variable_type") in bad
    assert ("expect_column_values_to_be_between", "holiday_value") in bad


def test_missing_column_and_empty_frame_fail():
    frame = good_frame().drop(columns=["variable_name"])
    bad = failed(validate_model_input(frame), critical=True)
    assert ("expect_table_columns_to_match_set", "") in bad
    empty = good_frame().iloc[0:0]
    bad = failed(validate_model_input(empty), critical=True)
    assert ("expect_table_row_count_to_be_between", "") in bad


def test_warnings_do_not_raise():
    frame = good_frame(weeks=10)
    frame.loc[frame["variable_type"] == "revenue", "value"] = 0.0  # zero revenue: a warning, not critical
    frame.loc[frame["market"] == "us", "market"] = " US"            # not normalised: a warning
    results = validate_model_input(frame)
    warnings = failed(results, critical=False)
    assert ("expect_column_values_to_be_between", "revenue_value") in warnings
    assert ("expect_column_values_to_match_regex", "market") in warnings
    assert critical_failures(results).empty
    raise_on_critical_failure(results)


def test_critical_failure_message_names_expectation_and_observation():
    frame = good_frame()
    frame.loc[frame["variable_type"] == "revenue", "value"] = -1.0
    with pytest.raises(DataQualityError) as excinfo:
        raise_on_critical_failure(validate_model_input(frame))
    message = str(excinfo.value)
    assert "critical expectation" in message
    assert "expect_column_values_to_be_between(revenue_value)" in message
    assert "unexpected" in message


def test_child_process_gives_the_same_rows_as_in_process(good_results):
    from mmm.quality import validate_model_input_in_child_process

    bad = good_frame()
    bad.loc[2, "value"] = -5.0  # a spend row (search)
    pd.testing.assert_frame_equal(validate_model_input_in_child_process(good_frame()), good_results)
    assert ("expect_column_values_to_be_between", "spend_value") in failed(
        validate_model_input_in_child_process(bad), critical=True)


def test_child_process_failure_is_reported(tmp_path):
    from mmm.quality import main

    assert main(["only-one-argument"]) == 2
    with pytest.raises(FileNotFoundError):
        main([str(tmp_path / "missing.pkl"), str(tmp_path / "out.pkl")])


def test_child_process_that_hangs_is_stopped_with_a_clear_error(monkeypatch):
    import mmm.quality as quality

    monkeypatch.setattr(quality, "CHILD_TIMEOUT_SECONDS", 0.01)
    with pytest.raises(DataQualityError, match="did not finish within"):
        quality.validate_model_input_in_child_process(good_frame())


# --- ranges against the data's own history ------------------------------------------------------------------

def test_a_spend_far_above_its_channel_history_is_critical():
    """The issue's case: one spend of 1e15 passed every type check; its ratio to the channel's median week fails."""
    frame = good_frame(weeks=12)
    frame.loc[(frame["variable_name"] == "search") & (frame["market"] == "us")
              & (frame["week_start_date"] == frame["week_start_date"].max()), "value"] = 1e15
    results = validate_model_input(frame)
    bad = failed(results, critical=True)
    assert ("expect_column_values_to_be_between", "spend_to_channel_median") in bad
    row = results[(results["column"] == "spend_to_channel_median") & ~results["success"]]
    assert row["observed_value"].iloc[0].startswith("1 unexpected")
    with pytest.raises(DataQualityError, match="spend_to_channel_median"):
        raise_on_critical_failure(results)


def test_range_checks_follow_the_factor_and_the_other_series():
    frame = good_frame(weeks=12)
    us_revenue = (frame["market"] == "us") & (frame["variable_type"] == "revenue")
    frame.loc[us_revenue & (frame["week_start_date"] == frame["week_start_date"].min()), "value"] = 1000.0 * 500
    frame.loc[(frame["variable_name"] == "price_index") & (frame["market"] == "ca")
              & (frame["week_start_date"] == frame["week_start_date"].max()), "value"] = 50.0
    default = failed(validate_model_input(frame))
    assert ("expect_column_values_to_be_between", "revenue_to_market_median") in default  # 500x its median > 100
    assert ("expect_column_values_to_be_between", "control_robust_z") in default  # a warning
    assert ("expect_column_values_to_be_between", "control_robust_z") not in failed(validate_model_input(frame), True)
    lenient = failed(validate_model_input(frame, implausible_value_factor=1000), critical=True)
    assert ("expect_column_values_to_be_between", "revenue_to_market_median") not in lenient


def test_ratios_are_to_each_series_own_median():
    from mmm.quality import prepare_frame

    frame = good_frame(weeks=4)
    prepared = prepare_frame(frame)
    tv = prepared[(prepared["variable_name"] == "tv") & (prepared["market"] == "us")]
    assert tv["spend_to_channel_median"].tolist() == [0.0, 1.0, 0.0, 1.0]  # median of the non-zero weeks: 50
    assert prepared.loc[prepared["variable_type"] != "spend", "spend_to_channel_median"].isna().all()
    flag = prepare_frame(frame.assign(value=frame["value"].where(frame["variable_name"] != "price_index", 1.0)))
    assert flag.loc[flag["variable_name"] == "price_index", "control_robust_z"].isna().all()  # no spread: no z
