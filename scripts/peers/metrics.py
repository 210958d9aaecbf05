"""Scores of one fit against the truth (pure numpy/pandas; tested in src/tests/test_peer_metrics.py).

Per channel c with true ROI r_c, estimate e_c, interval [l_c, u_c], spend s_c:

* ROI error: |e_c - r_c| / |r_c|; ``roi_error`` is the mean over channels (every channel counts the same),
  ``roi_error_weighted`` weights channels by spend share s_c / sum s. Both are taken over channels whose
  true ROI is at least ``MIN_TRUE_ROI`` (0.1): for a channel with almost no effect (true ROI 0.01) a
  relative error is meaningless (an estimate of 0.5 would count as 49). Near-zero channels are scored
  apart by their absolute ROI error ``near_zero_abs_error`` (and they count in coverage).
* contribution-share error: half the L1 distance between the estimated and the true split of the total
  media contribution, 1/2 sum_c |share_est_c - share_true_c| (0 = the same split; 1 = disjoint): the
  share of media contribution attributed to the wrong channels.
* media total ratio: estimated total media contribution / true total (> 1: baseline credited to media).
* coverage: share of channels with l_c <= r_c <= u_c.
* relative width: mean of (u_c - l_c) / r_c over channels with true ROI >= MIN_TRUE_ROI.
* capture: (true revenue at the proposed allocation - at current) / (true optimum - current), all under
  the true response curves (computed in ``ours.capture`` because it needs an optimizer).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_TRUE_ROI = 0.1


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def relative_errors(estimate, truth, floor: float = MIN_TRUE_ROI) -> np.ndarray:
    """|estimate - truth| / max(|truth|, floor) per channel."""
    e, t = _arr(estimate), _arr(truth)
    return np.abs(e - t) / np.maximum(np.abs(t), floor)


def roi_error(estimate, truth, floor: float = MIN_TRUE_ROI) -> float:
    """Mean absolute relative ROI error, every channel counting the same."""
    return float(np.mean(relative_errors(estimate, truth, floor)))


def roi_error_weighted(estimate, truth, spend, floor: float = MIN_TRUE_ROI) -> float:
    """Mean absolute relative ROI error weighted by spend share."""
    w = _arr(spend)
    return float(np.sum(relative_errors(estimate, truth, floor) * w / w.sum()))


def contribution_share_error(est_contribution, true_contribution) -> float:
    """1/2 sum_c |share_est - share_true| of the media contribution split (in [0, 1])."""
    e, t = np.clip(_arr(est_contribution), 0, None), _arr(true_contribution)
    if e.sum() <= 0:
        return float("nan")
    return float(0.5 * np.abs(e / e.sum() - t / t.sum()).sum())


def covered(lower, upper, truth) -> np.ndarray:
    lo, up, t = _arr(lower), _arr(upper), _arr(truth)
    return (lo <= t) & (t <= up)


def coverage(lower, upper, truth) -> float:
    """Share of channels whose interval contains the truth (NaN intervals count as not covering)."""
    return float(np.mean(covered(lower, upper, truth)))


def relative_width(lower, upper, truth, floor: float = MIN_TRUE_ROI) -> float:
    """Mean of (upper - lower) / max(true ROI, floor) over channels."""
    lo, up, t = _arr(lower), _arr(upper), _arr(truth)
    return float(np.mean((up - lo) / np.maximum(np.abs(t), floor)))


def capture_share(true_revenue_current: float, true_revenue_proposed: float, true_revenue_optimal: float) -> float:
    """Share of the achievable uplift captured (1.0 when nothing can be gained)."""
    achievable = true_revenue_optimal - true_revenue_current
    if achievable <= 1e-9 * max(abs(true_revenue_current), 1.0):
        return 1.0
    return float((true_revenue_proposed - true_revenue_current) / achievable)


def score(est: pd.DataFrame, truth: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Dataset-level scores and per-channel rows for one fit.

    ``est``: channel, roi, roi_lower, roi_upper, contribution (+ optional hdi94_lower/upper);
    ``truth``: channel, spend, true_roi, true_contribution (+ condition columns, kept per channel).
    """
    m = truth.merge(est, on="channel", how="left", validate="one_to_one")
    rel = relative_errors(m["roi"], m["true_roi"])
    big = (m["true_roi"].abs() >= MIN_TRUE_ROI).to_numpy()
    b = m[big]
    per = m.copy()
    per["roi_rel_error"] = rel
    per["roi_abs_error"] = np.abs(m["roi"] - m["true_roi"])
    per["roi_rel_bias"] = (m["roi"] - m["true_roi"]) / np.maximum(m["true_roi"].abs(), MIN_TRUE_ROI)
    per["covered"] = covered(m["roi_lower"], m["roi_upper"], m["true_roi"])
    per["rel_width"] = (m["roi_upper"] - m["roi_lower"]) / np.maximum(m["true_roi"].abs(), MIN_TRUE_ROI)
    per["near_zero"] = ~big
    nan = float("nan")
    out = {"n_channels": len(m), "n_near_zero": int((~big).sum()),
           "roi_error": roi_error(b["roi"], b["true_roi"]) if big.any() else nan,
           "roi_error_weighted": roi_error_weighted(b["roi"], b["true_roi"], b["spend"]) if big.any() else nan,
           "near_zero_abs_error": float(per.loc[~big, "roi_abs_error"].mean()) if (~big).any() else nan,
           "contribution_share_error": contribution_share_error(m["contribution"], m["true_contribution"]),
           "media_total_ratio": float(m["contribution"].sum() / m["true_contribution"].sum()),
           "coverage": coverage(m["roi_lower"], m["roi_upper"], m["true_roi"]),
           "rel_width": relative_width(b["roi_lower"], b["roi_upper"], b["true_roi"]) if big.any() else nan}
    if "hdi94_lower" in m and m["hdi94_lower"].notna().all():
        per["covered_hdi94"] = covered(m["hdi94_lower"], m["hdi94_upper"], m["true_roi"])
        per["rel_width_hdi94"] = (m["hdi94_upper"] - m["hdi94_lower"]) / np.maximum(m["true_roi"].abs(), MIN_TRUE_ROI)
        out["coverage_hdi94"] = coverage(m["hdi94_lower"], m["hdi94_upper"], m["true_roi"])
        out["rel_width_hdi94"] = relative_width(b["hdi94_lower"], b["hdi94_upper"], b["true_roi"]) if big.any() else nan
    return out, per
