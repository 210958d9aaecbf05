"""The peer benchmark's scores (scripts/peers/metrics.py) on hand-computed examples."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from peers import metrics  # noqa: E402


def test_roi_error_plain_and_spend_weighted():
    est, true, spend = [1.5, 1.0, 3.0], [1.0, 2.0, 3.0], [100.0, 300.0, 600.0]
    # relative errors 0.5, 0.5, 0.0
    assert metrics.roi_error(est, true) == pytest.approx(1 / 3)
    assert metrics.roi_error_weighted(est, true, spend) == pytest.approx(0.5 * 0.1 + 0.5 * 0.3 + 0.0)
    assert metrics.roi_error([1.0], [1.0]) == 0.0


def test_relative_error_floor_for_tiny_truth():
    assert metrics.relative_errors([0.06], [0.01], floor=0.1)[0] == pytest.approx(0.5)
    assert metrics.relative_errors([0.5], [-1.0])[0] == pytest.approx(1.5)


def test_contribution_share_error_is_half_l1_of_shares():
    assert metrics.contribution_share_error([1, 1], [1, 1]) == 0.0
    assert metrics.contribution_share_error([2, 2], [1, 1]) == 0.0  # scale does not matter, the split does
    assert metrics.contribution_share_error([3, 1], [1, 1]) == pytest.approx(0.25)
    assert metrics.contribution_share_error([1, 0], [0, 1]) == pytest.approx(1.0)


def test_coverage_and_width():
    lo, up, true = [0.5, 1.0, 2.0, np.nan], [1.5, 1.8, 2.5, np.nan], [1.0, 2.0, 2.0, 1.0]
    assert metrics.coverage(lo, up, true) == pytest.approx(0.5)  # bounds inclusive; NaN does not cover
    assert metrics.relative_width([0.5, 1.0], [1.5, 2.0], [1.0, 4.0]) == pytest.approx((1.0 + 0.25) / 2)


def test_capture_share():
    assert metrics.capture_share(100.0, 105.0, 110.0) == pytest.approx(0.5)
    assert metrics.capture_share(100.0, 95.0, 110.0) == pytest.approx(-0.5)
    assert metrics.capture_share(100.0, 100.0, 100.0) == 1.0


def test_score_excludes_near_zero_channels_from_relative_scores():
    truth = pd.DataFrame({"channel": ["a", "b", "z"], "spend": [100.0, 100.0, 200.0],
                          "true_roi": [1.0, 2.0, 0.01], "true_contribution": [100.0, 200.0, 2.0]})
    est = pd.DataFrame({"channel": ["z", "a", "b"], "roi": [0.51, 1.2, 2.0], "roi_lower": [0.0, 0.9, 2.5],
                        "roi_upper": [1.0, 1.5, 3.0], "contribution": [102.0, 120.0, 200.0]})
    out, per = metrics.score(est, truth)
    assert out["roi_error"] == pytest.approx(0.1)  # a: 0.2, b: 0.0; z excluded
    assert out["roi_error_weighted"] == pytest.approx(0.1)
    assert out["near_zero_abs_error"] == pytest.approx(0.5)
    assert out["coverage"] == pytest.approx(2 / 3)  # z and a covered, b not
    assert out["rel_width"] == pytest.approx((0.6 / 1.0 + 0.5 / 2.0) / 2)
    assert out["n_near_zero"] == 1
    assert list(per.set_index("channel").loc[["a", "b", "z"], "covered"]) == [True, False, True]
