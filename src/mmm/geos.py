"""Many markets with known truth: channel parameters that differ around a common centre, sizes tenfold apart.

Benchmark material for pooling across markets (issue 11), built on the demo generator
(``mmm.demo.simulate_market``): each market draws its own true parameters, with each channel's ROI
lognormal around the channel's common median (log-sd 0.35), its own adstock decay, half-saturation and
Hill shape, spend scaled by the market's size (log-uniform over [0.3, 3], so the largest is about ten times
the smallest), and weekly noise whose share of revenue grows as the market shrinks (sd proportional to the
square root of the market's size, as for counts): a small market's own weeks say little about its
channels, which is where borrowing from the other markets should help most.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from mmm.demo import CHANNELS, MarketTruth, simulate_market

SIZE_RANGE = (0.3, 3.0)


def simulate_geos(seed: int, n_markets: int = 20, n_weeks: int = 156) -> dict[str, MarketTruth]:
    """``n_markets`` markets ``g01``, ``g02``, ... Deterministic in ``seed``."""
    rng = np.random.default_rng([seed, 11])
    sizes = np.exp(rng.uniform(np.log(SIZE_RANGE[0]), np.log(SIZE_RANGE[1]), n_markets))
    out = {}
    for m, size in enumerate(sizes, start=1):
        name = f"g{m:02d}"
        truth = simulate_market(seed * 1000 + m, name, n_weeks, spend_scale=float(size))
        noise = truth.noise / np.sqrt(size)  # relative noise grows as the market shrinks
        revenue = np.round(truth.components.to_numpy().sum(axis=1) + noise, 2)
        out[name] = replace(truth, revenue=revenue, noise=noise)
    return out


def sizes(markets: dict[str, MarketTruth]) -> pd.Series:
    """Each market's total media spend (its size)."""
    return pd.Series({m: float(t.spend.to_numpy().sum()) for m, t in markets.items()})


def national_roi(markets: dict[str, MarketTruth]) -> pd.Series:
    """True national ROI per channel: total contribution over total spend, all markets."""
    contrib = sum(t.parameters.set_index("channel")["contribution"] for t in markets.values())
    spend = sum(t.parameters.set_index("channel")["spend"] for t in markets.values())
    return (contrib / spend).reindex([c.name for c in CHANNELS])
