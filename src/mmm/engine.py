"""Fit one market end to end: check the input, find the MAP, approximate the posterior, record the checks.

``fit_market`` returns a ``FitResult`` (mmm.results); ``mmm.analysis`` derives every table from it.

1. Input checks (mmm.checks): revenue must be positive on average; channels with missing, constant or
   negative spend are left out with a ``fail`` row; unusable lift tests get a ``warn`` row.
2. MAP fit (mmm.fit) with the usable lift tests as likelihood terms; weeks far off the fit are then
   down-weighted (Huber weights, refit until the weights settle), so one bad week cannot drag the model.
3. Laplace approximation at the MAP and ``n_draws`` seeded draws from it.
4. Identification checks on the fitted model (collinearity, spend following demand, wide ROI
   intervals, a negative baseline, ...).
5. Validation (mmm.validation): rolling-origin cross-validation and the holdout forecast, refits
   without the weeks they forecast. The reported model itself is fitted on every week.

Why Laplace rather than a bootstrap: the MAP's ROI is pulled toward its prior where the data say
little, and a residual bootstrap reproduces the fit's pull without its uncertainty, so its intervals
are too narrow exactly for the weakly identified channels; the Laplace posterior includes the prior
and widens where the likelihood is flat.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from mmm import analysis as an
from mmm import checks as ck
from mmm import diagnostics as dg
from mmm.checks import InsufficientDataError
from mmm.fit import (
    FitConfig,
    MarketData,
    fit_map,
    huber_weights,
    laplace_covariance,
    prepare_problem,
)
from mmm.model import ChannelSpec
from mmm.results import FitResult, input_fingerprint, posterior_draws
from mmm.threads import single_thread_blas
from mmm.validation import holdout_forecast, rolling_origin_cv

__all__ = ["InsufficientDataError", "fit_market", "posterior_draws", "with_default_roi_priors"]

IMPLIED_MEDIA_SHARE = 0.2


def with_default_roi_priors(data: MarketData, specs: list[ChannelSpec]) -> list[ChannelSpec]:
    """Fill a missing ROI prior median (None/NaN/<= 0) with the ROI implied by media driving 20% of revenue.

    roi_0 = 0.2 * sum(revenue) / sum(all channels' spend), the same for every such channel. Useful
    when spend is not in money units (impressions, indexes), where a median of 1 would be meaningless.
    """
    total = float(np.nansum(data.spend[[s.name for s in specs if s.name in data.spend]].to_numpy()))
    implied = IMPLIED_MEDIA_SHARE * float(np.sum(data.revenue)) / total if total > 0 else 1.0
    out = []
    for s in specs:
        median = s.roi_prior_median
        if median is None or not np.isfinite(median) or median <= 0:
            s = dataclasses.replace(s, roi_prior_median=implied)
        out.append(s)
    return out


def fit_market(data: MarketData, specs: list[ChannelSpec], config: FitConfig = FitConfig(),
               market: str = "market", min_train_weeks: int | None = None) -> FitResult:
    """Fit one market with uncertainty. Raises InsufficientDataError when no fit is possible.

    ``min_train_weeks``: weeks needed beyond the baseline's terms; by default 10 plus one per media
    parameter (a market fitted through a pool of markets, whose priors carry the media parameters, may
    need fewer). BLAS runs single-threaded during the fit: its matrices are tiny, and thread hand-offs
    made the fit several times slower on a 2-core machine.
    """
    with single_thread_blas():
        return _fit_market(data, specs, config, market, min_train_weeks)


def _fit_market(data: MarketData, requested: list[ChannelSpec], config: FitConfig, market: str,
                min_train_weeks: int | None = None) -> FitResult:
    t0 = time.perf_counter()
    fingerprint = input_fingerprint(data, requested, config)
    rows = ck.revenue_checks(data.revenue)
    usable, spend_rows = ck.spend_checks(data.spend, [s.name for s in requested])
    rows += spend_rows + ck.recency_checks(data.spend[usable], data.weeks, max(int(config.holdout_weeks), 4))
    specs = with_default_roi_priors(data, [s for s in requested if s.name in usable])
    if not specs:
        raise InsufficientDataError("no channel has usable spend")
    terms, lift_rows = ck.lift_test_terms(data.lift_tests, data.weeks, usable)
    rows += lift_rows
    problem = prepare_problem(data, specs, config, terms)  # every week: the reported model
    n_train = int(problem.train.sum())
    n_params = problem.baseline.design.shape[1] + problem.layout.size
    needed = n_params + 10 if min_train_weeks is None else problem.baseline.design.shape[1] + min_train_weeks
    if n_train < needed:
        raise InsufficientDataError(f"{n_train} training weeks for {n_params} parameters; at least "
                                    f"{needed} weeks are needed")
    best = fit_map(problem, config)
    weights = None
    if config.huber_c is not None:  # robust to outlier weeks: Huber weights by iterative reweighting
        for _ in range(config.robust_iterations):
            media, _ = problem.media(best.z)
            total = media[:, : problem.n_channels].sum(axis=1)
            fitted = problem.baseline.design @ problem.gamma(total) + total
            res = (problem.y - fitted)[problem.train]
            new = huber_weights(res, config.huber_c)
            converged = weights is not None and np.max(np.abs(new - weights)) < 1e-3
            weights = new
            if converged:
                break
            problem = prepare_problem(data, specs, config, terms, weights=weights)
            best = fit_map(problem, config, initial=best.z)
    cov, sigma = laplace_covariance(problem, best.z)
    draws = posterior_draws(best.z, cov, config.n_draws, config.seed, market)
    stats = {"objective": best.value, "start_objectives": best.start_values, "converged": best.converged,
             "n_evaluations": best.n_evaluations}
    result = FitResult(market, specs, config, best.z, cov, draws, sigma, ck.checks_frame(rows), fingerprint,
                       stats=stats, week_weights=weights)
    fm = an.FittedModel(result, data, problem)
    result.checks = ck.checks_frame([*rows, *_identification(fm)])
    stats["fit_seconds"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    forecasts: list[np.ndarray] = []
    if config.cv_folds > 0:
        result.cv, forecasts = rolling_origin_cv(data, specs, config, config.cv_folds, config.cv_horizon, initial=best.z)
    holdout = holdout_forecast(data, specs, config, result.cv, forecasts, initial=best.z)
    result.holdout_forecast = None if holdout is None else np.asarray(holdout, dtype=float)
    stats["validation_seconds"] = time.perf_counter() - t1
    return result


def _identification(fm: an.FittedModel) -> list[ck.Check]:
    gamma = fm.baseline_coefficients()
    design = fm.problem.baseline.design
    seas_cols = fm.problem.baseline.groups.get("seasonality", [])
    demand = design[:, seas_cols] @ gamma[seas_cols] if seas_cols else None
    vifs = dg.vif(an.transformed_design(fm)[fm.train])
    return ck.identification_checks(fm.data.spend[fm.channels], vifs=vifs, demand=demand, roi=an.roi_interval(fm),
                                    baseline=design @ gamma, n_weeks=len(fm.data.weeks), interval_level=fm.level)
