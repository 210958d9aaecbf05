"""Closing the loop (mmm.experiment_validation): each lift test is compared with what the model predicted before
it was used for calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmm import analysis as an
from mmm.analysis import FittedModel
from mmm.demo import CHANNELS, simulate_market, true_lift
from mmm.engine import fit_market
from mmm.experiment_validation import VALIDATION_COLUMNS, experiment_validation, validate_market, verdict
from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec

SPECS = [ChannelSpec(c.name, max_lag=c.max_lag) for c in CHANNELS]
TRUTH = simulate_market(31)
FIRST = (pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-24"))  # four weeks
SECOND = (pd.Timestamp("2025-07-07"), pd.Timestamp("2025-07-28"))


def fitted(tests: list[tuple[str, str, tuple, float, float]]) -> FittedModel:
    """The simulated market with lift tests (id, channel, (start, end week), measured lift, se)."""
    frame = pd.DataFrame([dict(experiment_id=e, channel=c, start_week=w[0], end_week=w[1], lift=m, lift_se=se)
                          for e, c, w, m, se in tests])
    data = MarketData(TRUTH.weeks, TRUTH.revenue, TRUTH.spend.reset_index(drop=True),
                      TRUTH.controls.reset_index(drop=True), TRUTH.holiday_count, frame)
    result = fit_market(data, SPECS, FitConfig(cv_folds=0, holdout_weeks=0, seed=4), "aa")
    return FittedModel.from_result(result, data)


def truth_of(channel: str, window: tuple) -> float:
    return true_lift(TRUTH, channel, *window)


@pytest.fixture(scope="module")
def honest():
    social = truth_of("social", FIRST)
    tv = truth_of("tv", SECOND)
    fm = fitted([("t1", "social", FIRST, social, 0.12 * social), ("t2", "tv", SECOND, tv, 0.12 * tv)])
    return fm, validate_market(fm)


def test_columns_and_the_chronological_refits(honest):
    fm, out = honest
    framed = experiment_validation({"aa": fm}, None)
    assert list(framed.columns) == VALIDATION_COLUMNS
    rows = out.set_index("experiment_id")
    assert rows.loc["t1", "earlier_experiments_used"] == 0  # nothing had finished before the first test
    assert rows.loc["t2", "earlier_experiments_used"] == 1  # the second was predicted by a model that knew the first
    after = an.lift_test_calibration(fm).set_index("experiment_id")
    np.testing.assert_allclose(rows["predicted_lift_after"], after.loc[rows.index, "predicted_lift"])
    np.testing.assert_allclose(rows["z_score_after"], after.loc[rows.index, "z_score"])
    assert (rows["is_model_right"] == (rows["z_score_before"].abs() <= 2)).all()


def test_tests_measured_at_the_truth_are_predicted(honest):
    _, out = honest
    assert out["is_model_right"].all(), out[["experiment_id", "z_score_before", "message"]]
    assert (out["verdict"] == "consistent").all()


def test_the_prediction_before_does_not_see_the_test_and_the_one_after_does(honest):
    """Moving the measured lift of the first test moves the calibrated prediction, not the one made before it."""
    fm, out = honest
    social = truth_of("social", FIRST)
    tv = truth_of("tv", SECOND)
    wrong = fitted([("t1", "social", FIRST, 4.0 * social, 0.05 * social), ("t2", "tv", SECOND, tv, 0.12 * tv)])
    moved = validate_market(wrong).set_index("experiment_id")
    before = out.set_index("experiment_id")
    assert moved.loc["t1", "predicted_lift_before"] == pytest.approx(before.loc["t1", "predicted_lift_before"], rel=1e-9)
    assert moved.loc["t1", "predicted_lift_after"] > 1.5 * before.loc["t1", "predicted_lift_after"]
    # a test measuring 4x the truth is one the model, before seeing it, could not have predicted
    assert not moved.loc["t1", "is_model_right"]
    assert moved.loc["t1", "verdict"] == "model too low" and moved.loc["t1", "z_score_before"] < -2
    assert abs(moved.loc["t1", "z_score_after"]) < abs(moved.loc["t1", "z_score_before"])
    # the second test was predicted by a model that had the first: its 'before' changes with the first's result
    assert moved.loc["t2", "predicted_lift_before"] != pytest.approx(before.loc["t2", "predicted_lift_before"], rel=1e-3)


def test_no_lift_tests_no_rows():
    data = MarketData(TRUTH.weeks, TRUTH.revenue, TRUTH.spend.reset_index(drop=True),
                      TRUTH.controls.reset_index(drop=True), TRUTH.holiday_count)
    fm = FittedModel.from_result(fit_market(data, SPECS, FitConfig(cv_folds=0, holdout_weeks=0, seed=4), "aa"), data)
    out = experiment_validation({"aa": fm}, None)
    assert list(out.columns) == VALIDATION_COLUMNS and len(out) == 0


def test_verdict_reads_the_sign_of_z():
    assert verdict(0.5) == "consistent"
    assert verdict(2.5) == "model too high"
    assert verdict(-3.0) == "model too low"
    assert verdict(float("nan")) == "not evaluated"
