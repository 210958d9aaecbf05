"""Effects that change over time: a channel's effectiveness may drift slowly (optional, off by default).

For a channel declared in ``seeds/channel_time_varying.csv`` (``FitConfig.time_varying``)::

    m_c[t] = beta_c * w_c[t] * f_c[t]            f_c = saturation(adstock(spend_c))
    w_c[t] = exp(delta_c(t)),  delta_c piecewise linear through K knots spread evenly over the training weeks
    delta_c(knot 1) = 0,  delta_c(knot k) - delta_c(knot k-1) = u_k ~ N(0, step_sd)     (a random walk: smooth)
    beta_c = roi_c * spend_c / sum_t w_c[t] f_c[t]

so roi_c stays the channel's average ROI over the training weeks and w only moves its effect between weeks.
After the last training week w stays at its last value (a forecast carries the latest effectiveness). The
parameters ``effect_drift_k`` = exp(u_k) (the effectiveness ratio between neighbouring knots) are fitted with
the others (MAP, Laplace), so every interval accounts for them. A prior sd of 0.1-0.2 per step lets the
effectiveness move by tens of percent over a year when the data say so and keeps it flat when they do not.

Reported (``effect_summary``, ``weekly_effectiveness``): the channel's **current ROI**, the ROI the whole period
would have had at the last week's effectiveness, roi_current = roi * w[T] / w_bar with w_bar = sum w f / sum f
(the effect-weighted mean), next to the average ROI, and the effectiveness w[t] / w_bar week by week, all with
intervals over the posterior draws. Budget decisions (curves, marginal ROI, allocation, scenarios) use the current
effectiveness: beta_c w_c[T] saturation(x).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def knot_basis(n_weeks: int, n_train: int, knots: int) -> np.ndarray:
    """(n_weeks, knots) piecewise-linear interpolation weights: delta(t) = basis[t] @ delta_knots.

    Knots at weeks 0, (n_train - 1) / (K - 1), ..., n_train - 1; weeks after the last knot take its value.
    """
    positions = np.linspace(0.0, max(n_train - 1, 1), knots)
    t = np.minimum(np.arange(n_weeks, dtype=float), positions[-1])
    basis = np.zeros((n_weeks, knots))
    for k in range(knots):
        basis[:, k] = np.interp(t, positions, np.eye(knots)[k])
    return basis


def effectiveness_draws(fm) -> tuple[np.ndarray, np.ndarray]:
    """(w at the MAP (T, C), w per posterior draw (D, T, C))."""
    mm = fm.problem.media_model
    return mm.effectiveness(fm.result.z), np.array([mm.effectiveness(zd) for zd in fm.result.draws])


def _relative(w: np.ndarray, f: np.ndarray, train: np.ndarray) -> np.ndarray:
    """w / w_bar with w_bar = sum_train w f / sum_train f, per channel (last axis); draws in front allowed."""
    num = (w * f)[..., train, :].sum(axis=-2)
    den = f[..., train, :].sum(axis=-2)
    w_bar = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
    return w / w_bar[..., None, :]


def current_multiplier(fm, with_draws: bool = False) -> np.ndarray:
    """w_c[T] / w_bar_c per channel (C,), or per draw (D, C): the last week's effectiveness over the average."""
    mm = fm.problem.media_model
    c = len(fm.channels)
    train = fm.problem.train
    if not with_draws:
        f = mm.features(fm.result.z)[:, :c]
        return _relative(mm.effectiveness(fm.result.z), f, train)[-1]
    out = []
    for zd in fm.result.draws:
        f = mm.features(zd)[:, :c]
        out.append(_relative(mm.effectiveness(zd), f, train)[-1])
    return np.array(out)


def weekly_effectiveness(fm) -> pd.DataFrame:
    """Per drifting channel and week: effectiveness relative to its average (1 = average), with interval."""
    layout = fm.problem.layout
    if not layout.drift:
        return pd.DataFrame(columns=["channel", "week_start_date", "effectiveness", "effectiveness_lower",
                                     "effectiveness_upper"])
    mm = fm.problem.media_model
    c = len(fm.channels)
    train = fm.problem.train
    point = _relative(mm.effectiveness(fm.result.z), mm.features(fm.result.z)[:, :c], train)
    draws = np.array([_relative(mm.effectiveness(zd), mm.features(zd)[:, :c], train) for zd in fm.result.draws])
    lo, hi = fm.quantiles(draws)
    frames = []
    for ci in layout.drift:
        frames.append(pd.DataFrame({"channel": fm.channels[ci], "week_start_date": fm.data.weeks,
                                    "effectiveness": point[:, ci], "effectiveness_lower": np.minimum(lo[:, ci], point[:, ci]),
                                    "effectiveness_upper": np.maximum(hi[:, ci], point[:, ci])}))
    return pd.concat(frames, ignore_index=True)


def effect_summary(fm) -> pd.DataFrame:
    """Per drifting channel: average ROI and current ROI (roi * w[T] / w_bar), MAP with intervals over the draws."""
    layout = fm.problem.layout
    rows = []
    if not layout.drift:
        return pd.DataFrame(rows)
    from mmm.analysis import roi_interval

    roi = roi_interval(fm)
    now = current_multiplier(fm)
    now_draws = current_multiplier(fm, with_draws=True)
    spend = fm.spend_matrix().sum(axis=0)
    roi_draws = fm.posterior.media.sum(axis=1) / np.where(spend > 0, spend, np.nan)  # (D, C)
    for ci in layout.drift:
        ch = fm.channels[ci]
        est = float(roi.loc[ch, "estimate"]) * float(now[ci])
        lo, hi = fm.quantiles(roi_draws[:, ci] * now_draws[:, ci])
        rows.append(dict(term=ch, term_type="time_varying", channel_a=ch, channel_b=None,
                         contribution=float(fm.media[:, ci].sum()), contribution_lower=np.nan, contribution_upper=np.nan,
                         roi=float(roi.loc[ch, "estimate"]), roi_lower=float(roi.loc[ch, "lower"]),
                         roi_upper=float(roi.loc[ch, "upper"]), roi_current=est, roi_current_lower=min(float(lo), est),
                         roi_current_upper=max(float(hi), est), knots=int(layout.drift_knots[ci]),
                         prior_sd=float(layout.prior_sd[layout.drift[ci][0]])))
    return pd.DataFrame(rows)
