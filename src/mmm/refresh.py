"""Stable refresh: the previous run's posterior, tempered, as the prior of this run's fit.

A refresh that adds a few weeks should move the estimates only as far as those weeks justify. The
default build refits every week with the configured priors, which is the exact Bayesian update (the
posterior of weeks 1..N+4 is prior x likelihood of weeks 1..N+4). With var ``refresh_from_previous_run``
the fit starts instead from what the previous run learnt.

The double-counting caveat. Using the previous posterior as the prior *and* refitting on the whole
history counts weeks 1..N twice: once inside the prior, once in the likelihood. The intervals then shrink
as if the data were longer than they are, and the estimates are pulled toward the previous run by more
than the data justify; chained over many refreshes, the old weeks would count again and again.

How the project avoids it: a power prior (Ibrahim and Chen, 2000) on the previous run's data only. Per
parameter, on the unconstrained scale, with the previous run's marginal posterior N(m, s^2), the prior it
was fitted with N(m_p, s_p^2) and this run's configured prior N(m_0, s_0^2)::

    information the previous data added   l = max(1/s^2 - 1/s_p^2, 0)
    refresh prior precision                P = 1/s_0^2 + a * l
    refresh prior mean                     (m_0/s_0^2 + a * l * m) / P

The configured prior is counted once, the previous data 1 + a times (a = var ``refresh_prior_weight``,
0..1; a = 0 is the plain refit). Subtracting the previous run's own prior (s_p, which may itself have
been a refresh prior) keeps the chain from compounding: each refresh carries a share a of the latest
run's data information only, never of older refresh priors. With a = 0.25 a parameter the data pin down
gets an interval about 1/sqrt(1.25) = 0.89 times as wide as the plain refit's at most; one the data say
little about (l near 0) keeps its configured prior. Marginal variances (the diagonal of the Laplace
covariance) understate the information of correlated parameters, so the prior errs on the weak side.
Parameters are matched by channel and full name, and only when the channel's adstock and saturation
forms and maximum lag are unchanged; a new channel, or one whose forms changed, keeps its configured prior.

What a refresh prior does to validation: the holdout and cross-validation refits start from the same
prior, which has seen the previous run's weeks, so in refresh mode their errors are slightly optimistic;
the backtest (mmm.backtest) refits its past origins with the configured priors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from mmm.engine import with_default_roi_priors
from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec, build_layout

PREVIOUS_POSTERIOR_COLUMNS = ["market", "run_id", "channel", "posterior_json"]

MarketSpecs = Callable[[str, MarketData, list[ChannelSpec]], list[ChannelSpec]]


def channel_record(spec: ChannelSpec, parameters: Mapping[str, list[float]]) -> dict:
    """What the history stores about a channel's posterior (``posterior_json``)."""
    return {"adstock_kind": spec.adstock_kind, "saturation_kind": spec.saturation_kind, "max_lag": int(spec.max_lag),
            "parameters": {k: [float(x) for x in v] for k, v in parameters.items()}}


def tempered_prior(prior_mean: float, prior_sd: float, previous_mean: float, previous_sd: float,
                   previous_prior_sd: float, weight: float) -> tuple[float, float]:
    """The refresh prior (mean, sd) of one parameter (formula in the module docstring)."""
    information = max(1.0 / previous_sd ** 2 - 1.0 / previous_prior_sd ** 2, 0.0) if previous_sd > 0 else 0.0
    precision = 1.0 / prior_sd ** 2 + weight * information
    mean = (prior_mean / prior_sd ** 2 + weight * information * previous_mean) / precision
    return float(mean), float(1.0 / np.sqrt(precision))


def refresh_priors(previous: pd.DataFrame, specs: list[ChannelSpec], config: FitConfig,
                   weight: float) -> dict[str, dict[str, tuple[float, float]]]:
    """Per channel: the refresh prior of each parameter the previous run estimated with the same forms.

    ``previous``: the previous run's rows of one market (channel, posterior_json). ``specs``: this run's
    channels with their configured priors resolved (ROI median filled).
    """
    if weight <= 0 or previous is None or len(previous) == 0:
        return {}
    records = {str(r.channel): json.loads(r.posterior_json) for r in previous.itertuples() if r.posterior_json}
    layout = build_layout(specs, config.priors)
    by_channel = {s.name: s for s in specs}
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for i, (channel, name) in enumerate(layout.names):
        record = records.get(channel)
        spec = by_channel[channel]
        if not record or (record.get("adstock_kind"), record.get("saturation_kind"), record.get("max_lag")) != (
                spec.adstock_kind, spec.saturation_kind, int(spec.max_lag)):
            continue
        values = record.get("parameters", {}).get(name)
        if values is None or not np.all(np.isfinite(values)):
            continue
        m, s, _, s_p = values
        out.setdefault(channel, {})[name] = tempered_prior(float(layout.prior_mean[i]), float(layout.prior_sd[i]),
                                                           m, s, s_p, weight)
    return out


def refresh_specs(previous_posterior: pd.DataFrame | None, config: FitConfig, weight: float) -> MarketSpecs:
    """The hook ``mmm.tables.fit_markets`` calls per market: its channels with the refresh priors added."""

    def specs_for(market: str, data: MarketData, specs: list[ChannelSpec]) -> list[ChannelSpec]:
        if previous_posterior is None or len(previous_posterior) == 0:
            return specs
        previous = previous_posterior[previous_posterior["market"] == market]
        present = [s for s in specs if s.name in data.spend.columns]
        if not len(previous) or not present:
            return specs
        priors = refresh_priors(previous, with_default_roi_priors(data, present), config, weight)
        return [replace(s, priors={**s.priors, **priors.get(s.name, {})}) for s in specs]

    return specs_for


def previous_posterior(previous_runs: pd.DataFrame) -> pd.DataFrame:
    """The previous runs' posterior records (PREVIOUS_POSTERIOR_COLUMNS) from their history rows."""
    if previous_runs is None or len(previous_runs) == 0:
        return pd.DataFrame(columns=PREVIOUS_POSTERIOR_COLUMNS)
    return previous_runs[PREVIOUS_POSTERIOR_COLUMNS].reset_index(drop=True)
