"""Partial pooling across markets: each channel's parameters in each market drawn around a shared centre.

The hierarchical model (as Google Meridian's geo model; Sun et al. 2017)::

    z[m, c, p] ~ N(centre[c, p], spread[c, p]^2)      every market m where channel c ran

for each of the channel's parameters p on the unconstrained scale (log ROI first, and the carry-over and
saturation parameters). It is fitted in three stages; the first and last are independent per market
(parallel, and the per-market function runs unchanged under Spark's applyInPandas):

1. every market is fitted on its own with a wide ROI prior (sd ``WIDE_ROI_SD`` on the log scale around
   the configured median), no cross-validation, one start (``stage_one_config``): its estimate is then close to
   what its data alone say;
2. ``fit_pool``: per channel and parameter, the centre is the equal-weight mean of the markets'
   estimates, with the configured prior counted as one more market, and the spread its method-of-moments
   estimate, var(estimates) - mean(Laplace variance), floored at ``ROI_SPREAD`` (0.3 on log ROI, about +-35%
   between markets) or ``SHAPE_SPREAD`` (0.5) so that a handful of similar markets cannot collapse it;
3. every market is refitted with the prior N(centre, spread^2 + var(centre)) on those parameters
   (``ChannelSpec.priors``, the full fit with cross-validation): a market with little signal borrows from
   the others through the centre, a market with strong, different data keeps its own answer, and a lift
   test in one market informs that market directly and the others through the centre.

Why equal weights: precision weighting is biased here. A market whose ROI came out high by chance also
looks more precise on the log scale (the Laplace curvature grows with the fitted effect; the correlation
between estimate and precision was 0.5-0.8 on test data), so inverse-variance means overshot the true
centre by 20-60%. A channel that never ran in a market has no entry there: it gets no effect, not a
borrowed one. A channel in fewer than two markets is not pooled.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmm.fit import FitConfig
from mmm.model import ChannelSpec, build_layout
from mmm.results import FitResult

WIDE_ROI_SD = 3.0
ROI_SPREAD = 0.3
SHAPE_SPREAD = 0.5


@dataclass(frozen=True)
class Pool:
    """The shared centre and spread of every pooled (channel, parameter), as priors for each market."""

    priors: dict[str, dict[str, tuple[float, float]]]  # channel -> parameter -> (mean, sd) on the unconstrained scale
    table: pd.DataFrame = field(compare=False)  # channel, parameter, centre, spread, centre_sd, n_markets

    def market_specs(self, specs: list[ChannelSpec]) -> list[ChannelSpec]:
        """A market's channel settings with the pooled priors (a channel the pool does not know keeps its own)."""
        out = []
        for s in specs:
            pooled = {p: v for p, v in self.priors.get(s.name, {}).items() if p in s.parameter_names()}
            out.append(dataclasses.replace(s, priors={**s.priors, **pooled}) if pooled else s)
        return out

    def to_json(self) -> str:
        return json.dumps({"priors": {c: {p: list(v) for p, v in ps.items()} for c, ps in self.priors.items()},
                           "table": self.table.to_dict(orient="list")})

    @classmethod
    def from_json(cls, text: str) -> Pool:
        doc = json.loads(text)
        return cls({c: {p: (float(v[0]), float(v[1])) for p, v in ps.items()} for c, ps in doc["priors"].items()},
                   pd.DataFrame(doc["table"]))


def stage_one_config(config: FitConfig) -> FitConfig:
    """Fit settings of the first-stage fits: the pool reads only their MAP and its covariance, so no validation, few
    draws and one start (a second start changed no benchmark figure and cost a fifth of the fit)."""
    return dataclasses.replace(config, cv_folds=0, holdout_weeks=0, n_draws=20, n_starts=1)


def stage_one_specs(specs: list[ChannelSpec]) -> list[ChannelSpec]:
    """Channel settings of the independent first-stage fits: the configured ROI median with a wide sd."""
    return [dataclasses.replace(s, roi_prior_sigma=max(float(s.roi_prior_sigma), WIDE_ROI_SD)) for s in specs]


def fit_pool(results: list[FitResult], specs: list[ChannelSpec]) -> Pool:
    """Stage 2: the centre and spread of each channel's parameters across the markets' first-stage fits.

    centre = (sum_m z[m] + prior mean) / (M + 1); spread^2 = max(var_m z[m] - mean_m s[m]^2, floor^2);
    var(centre) = (spread^2 + mean_m s[m]^2) / (M + 1). The market's prior is N(centre, spread^2 + var(centre)).
    """
    configured = {s.name: s for s in specs}
    rows = []
    for r in results:
        layout = build_layout(r.specs, r.config.priors)
        sd = np.sqrt(np.clip(np.diag(r.cov), 0.0, None))
        for i, (channel, parameter) in enumerate(layout.names):
            if not channel:
                continue
            if parameter == "roi":
                spec = configured.get(channel)
                median = spec.roi_prior_median if spec is not None and spec.roi_prior_median else 1.0
                prior_mean = float(np.log(median))
            else:
                prior_mean = float(layout.prior_mean[i])
            rows.append(dict(channel=channel, parameter=parameter, z=float(r.z[i]), s2=float(sd[i] ** 2),
                             prior_mean=prior_mean))
    table, priors = [], {}
    for (channel, parameter), g in pd.DataFrame(rows).groupby(["channel", "parameter"], sort=True):
        n = len(g)
        if n < 2:
            continue
        floor = ROI_SPREAD if parameter == "roi" else SHAPE_SPREAD
        centre = (g["z"].sum() + g["prior_mean"].iloc[0]) / (n + 1)
        spread2 = max(float(g["z"].var(ddof=1)) - float(g["s2"].mean()), floor ** 2)
        centre_var = (spread2 + float(g["s2"].mean())) / (n + 1)
        priors.setdefault(channel, {})[parameter] = (float(centre), float(np.sqrt(spread2 + centre_var)))
        table.append(dict(channel=channel, parameter=parameter, centre=float(centre), spread=float(np.sqrt(spread2)),
                          centre_sd=float(np.sqrt(centre_var)), n_markets=n))
    return Pool(priors, pd.DataFrame(table, columns=["channel", "parameter", "centre", "spread", "centre_sd", "n_markets"]))
