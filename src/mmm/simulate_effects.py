"""Generator data with a known synergy between two channels or a known change in a channel's effect.

Built on the demo generator (``mmm.demo.simulate_market``, one market, true parameters drawn per seed),
it adds one of the two things a plain MMM assumes away:

* **synergy** between channels a and b (e.g. TV lifting branded search)::

      revenue[t] += gamma_ab * h_a[t] * h_b[t]

  where h_c = hill(geometric_adstock(spend_c)) is channel c's true saturation in [0, 1). gamma_ab is set
  so the term adds ``synergy_share`` times the pair's own contribution. Its true *synergy ROI* is the
  term's total over the pair's total spend.
* **drift** of channel c's effectiveness: its weekly effect beta_c * h_c[t] becomes
  beta_c * w(t) * h_c[t] with w moving smoothly (a logistic step centred mid-period) from
  ``drift[0]`` to ``drift[1]``. The truth records the average ROI and the *current* ROI (the ROI the
  channel would have over the whole period at the last week's effectiveness, as ``mmm.time_varying``
  defines it).

The noise draw is the demo's: revenue = demo revenue + the added term. Used by the challenger benchmark
(scripts/benchmark_challenger.py) and the recovery tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmm.demo import MarketTruth, simulate_market
from mmm.transforms import geometric_adstock, hill


@dataclass
class EffectsTruth:
    """A market with its added term and what the engine should recover."""

    market: MarketTruth
    synergy: dict = field(default_factory=dict)  # channel_a, channel_b, gamma, contribution, roi
    drift: dict = field(default_factory=dict)  # channel, multiplier (T,), roi_average, roi_current


def channel_saturation(truth: MarketTruth, channel: str) -> np.ndarray:
    """h_c[t] = hill(geometric_adstock(spend_c)[t]; K_c, s_c) with the market's true parameters."""
    p = truth.parameters.set_index("channel").loc[channel]
    x = truth.spend[channel].to_numpy(dtype=float)
    return hill(geometric_adstock(x, float(p["alpha"]), int(p["max_lag"])), float(p["half_saturation"]), float(p["shape"]))


def drift_profile(n_weeks: int, start: float, end: float, width_weeks: float = 20.0) -> np.ndarray:
    """w(t) = start + (end - start) / (1 + exp(-(t - T/2) / width)): a smooth change centred mid-period."""
    t = np.arange(n_weeks, dtype=float)
    return start + (end - start) / (1.0 + np.exp(-(t - n_weeks / 2.0) / width_weeks))


def simulate_with_effects(seed: int, synergy: tuple[str, str] | None = None, synergy_share: float = 0.5,
                          drift_channel: str | None = None, drift: tuple[float, float] = (0.5, 1.5),
                          n_weeks: int = 156) -> EffectsTruth:
    """One market of the demo generator, plus a true synergy and/or a true drift. Deterministic in ``seed``."""
    base = simulate_market(seed, n_weeks=n_weeks)
    revenue = np.asarray(base.revenue, dtype=float).copy()
    components = base.components.copy()
    out = EffectsTruth(base)
    if synergy is not None:
        a, b = synergy
        ha, hb = channel_saturation(base, a), channel_saturation(base, b)
        own = float(components[a].sum() + components[b].sum())
        gamma = synergy_share * own / float(np.sum(ha * hb))
        term = gamma * ha * hb
        revenue += term
        components[f"{a} x {b}"] = term
        spend = float(base.spend[a].sum() + base.spend[b].sum())
        out.synergy = dict(channel_a=a, channel_b=b, gamma=gamma, contribution=float(term.sum()),
                           roi=float(term.sum()) / spend)
    if drift_channel is not None:
        c = drift_channel
        h = channel_saturation(base, c)
        beta = float(base.parameters.set_index("channel").loc[c, "beta"])
        w = drift_profile(n_weeks, *drift)
        new = beta * w * h
        revenue += new - components[c].to_numpy()
        components[c] = new
        spend = float(base.spend[c].sum())
        roi_average = float(new.sum()) / spend
        w_bar = float(np.sum(w * h) / np.sum(h))
        out.drift = dict(channel=c, multiplier=w, roi_average=roi_average, roi_current=roi_average * w[-1] / w_bar)
    params = base.parameters.copy()
    params["contribution"] = [float(components[c].sum()) for c in params["channel"]]
    params["roi"] = params["contribution"] / params["spend"]
    out.market = MarketTruth(base.market, base.weeks, base.spend, np.round(revenue, 2), base.controls,
                             base.holiday_count, params, components, base.noise, base.lift_tests)
    return out


def market_data(truth: MarketTruth):
    """The engine's MarketData of a simulated market (no lift tests)."""
    from mmm.fit import MarketData

    return MarketData(truth.weeks, np.asarray(truth.revenue, dtype=float), truth.spend.reset_index(drop=True),
                      truth.controls.reset_index(drop=True), np.asarray(truth.holiday_count, dtype=float))


def frame_of(truth: EffectsTruth) -> pd.DataFrame:
    """One row describing the added truth (for benchmark printouts)."""
    row = {"synergy": "", "synergy_roi": np.nan, "drift_channel": "", "roi_current": np.nan}
    if truth.synergy:
        row.update(synergy=f"{truth.synergy['channel_a']} x {truth.synergy['channel_b']}", synergy_roi=truth.synergy["roi"])
    if truth.drift:
        row.update(drift_channel=truth.drift["channel"], roi_current=truth.drift["roi_current"])
    return pd.DataFrame([row])
