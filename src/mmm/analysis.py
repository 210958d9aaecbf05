"""Analysis of a fitted market: contributions, ROI and marginal ROI, response curves, fitted values, checks.

A ``FittedModel`` binds a ``FitResult`` (mmm.results) to the market's input and the prepared problem
(mmm.fit). It evaluates the media effects once at the MAP and once for all posterior draws (the
``posterior`` property, computed on first use); every function below derives one table from it and
nothing else, so each table can be rebuilt from a stored fit without optimising again.

Point estimates and intervals:

* ``roi`` and ``contribution`` are those of the MAP parameters; their intervals are quantiles over the
  posterior draws (the interval always contains the estimate: quantiles are widened to it if needed);
* response curves, marginal ROI, the saturation point and every budget decision use the posterior-mean
  curve (``expected_response``): a decision should maximise expected revenue, and for a weakly
  identified channel the return is right-skewed, so the MAP curve would understate it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmm import checks as ck
from mmm import diagnostics as dg
from mmm.checks import Thresholds
from mmm.fit import FitConfig, MarketData, Problem, prepare_problem
from mmm.model import ChannelSpec
from mmm.response import ParametricResponse, PosteriorMeanResponse, saturation_point
from mmm.results import FitResult


class cached_without_lock:
    """functools.cached_property without its lock. Before Python 3.12 it holds one lock per class while computing
    (``posterior`` takes seconds); a worker forked meanwhile by another dbt thread (tables._Runner) inherits the lock
    held and waits for it forever. Here a value computed twice by two threads is the same, so no lock is needed."""

    def __init__(self, func) -> None:
        self.func, self.__doc__ = func, func.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)  # the instance's dict wins from then on
        return value


@dataclass(frozen=True)
class PosteriorSample:
    """The media model evaluated at every posterior draw."""

    media_all: np.ndarray  # (D, T, K) every spend column: channels, then the lift tests' switched-off copies
    beta: np.ndarray  # (D, C)
    parameters: list[dict[str, np.ndarray]]  # per channel: full parameter name -> (D,) natural values
    saturation: list[dict[str, np.ndarray]]  # per channel: saturation parameters by short name -> (D,)

    @property
    def media(self) -> np.ndarray:
        """(D, T, C): the channels' weekly effects."""
        return self.media_all[:, :, : self.beta.shape[1]]


@dataclass
class FittedModel:
    """A fit result with the input it was fitted on."""

    result: FitResult
    data: MarketData
    problem: Problem

    @classmethod
    def from_result(cls, result: FitResult, data: MarketData) -> FittedModel:
        """Rebuild the problem of a fit result (no optimisation). Verify the input first with
        ``FitResult.verify_input`` when the result was stored."""
        terms, _ = ck.lift_test_terms(data.lift_tests, data.weeks, result.channels)
        return cls(result, data, prepare_problem(data, result.specs, result.config, terms, weights=result.week_weights))

    # ------------------------------------------------------------------ basics
    @property
    def market(self) -> str:
        return self.result.market

    @property
    def channels(self) -> list[str]:
        return self.result.channels

    @property
    def specs(self) -> list[ChannelSpec]:
        return self.result.specs

    @property
    def config(self) -> FitConfig:
        return self.result.config

    @property
    def level(self) -> float:
        return self.config.interval_level

    @property
    def train(self) -> np.ndarray:
        return self.problem.train

    def quantiles(self, a: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The central ``interval_level`` interval of ``a`` along ``axis``."""
        lo = (1 - self.level) / 2
        return np.quantile(a, lo, axis=axis), np.quantile(a, 1 - lo, axis=axis)

    @cached_without_lock
    def map_media(self) -> tuple[np.ndarray, np.ndarray]:
        """(weekly effect of every spend column (T, K), beta (C,)) at the MAP."""
        return self.problem.media(self.result.z)

    @property
    def media(self) -> np.ndarray:
        """(T, C): each channel's weekly effect at the MAP."""
        return self.map_media[0][:, : len(self.specs)]

    @property
    def beta(self) -> np.ndarray:
        return self.map_media[1]

    @cached_without_lock
    def posterior(self) -> PosteriorSample:
        """The media model at every posterior draw (computed once, on first use)."""
        mm = self.problem.media_model
        media, beta = mm.media_draws(self.result.draws)
        return PosteriorSample(media, beta, mm.channel_parameters(self.result.draws),
                               mm.saturation_parameters(self.result.draws))

    def baseline_coefficients(self, media: np.ndarray | None = None) -> np.ndarray:
        """Baseline coefficients given the channels' weekly effects (default: at the MAP)."""
        media = self.media if media is None else media
        return self.problem.gamma(media.sum(axis=1))

    def spend_matrix(self) -> np.ndarray:
        return self.data.spend[self.channels].to_numpy(dtype=float)


# ---------------------------------------------------------------------- spend and responses


def current_weekly_spend(fm: FittedModel, lookback_weeks: int) -> np.ndarray:
    """Mean weekly spend over the trailing ``lookback_weeks`` (the allocation's starting point)."""
    return fm.spend_matrix()[-lookback_weeks:].mean(axis=0)


def response(fm: FittedModel, ci: int, with_draws: bool = False) -> ParametricResponse:
    """Steady-state response of channel ``ci``: at the MAP, or with one curve per posterior draw."""
    kind = fm.specs[ci].saturation_kind
    drift = ci in fm.problem.layout.drift  # a drifting channel's curve is at its last week's effectiveness
    if not with_draws:
        params = fm.problem.media_model.saturation_parameters(fm.result.z)[ci]
        scale = fm.problem.media_model.effectiveness(fm.result.z)[-1, ci] if drift else 1.0
        return ParametricResponse(float(fm.beta[ci]) * scale if drift else float(fm.beta[ci]), kind, params)
    post = fm.posterior
    if drift:
        last = np.array([fm.problem.media_model.effectiveness(zd)[-1, ci] for zd in fm.result.draws])
        return ParametricResponse(post.beta[:, ci] * last, kind, post.saturation[ci])
    return ParametricResponse(post.beta[:, ci], kind, post.saturation[ci])


def responses(fm: FittedModel, with_draws: bool = True) -> list[ParametricResponse]:
    return [response(fm, ci, with_draws) for ci in range(len(fm.channels))]


def expected_response(fm: FittedModel, ci: int) -> PosteriorMeanResponse:
    """Posterior-mean steady-state response of channel ``ci`` (mean over the draws)."""
    return PosteriorMeanResponse(response(fm, ci, with_draws=True))


# ---------------------------------------------------------------------- tables


def fitted_revenue(fm: FittedModel) -> pd.DataFrame:
    """Actual vs fitted weekly revenue; the band is a prediction interval (parameters and noise).

    The reported model is fitted on every week. On the holdout weeks ``forecast_revenue`` is what a fit
    on the weeks before them forecast (the out-of-sample check); it is null elsewhere.
    """
    media = fm.media
    gamma = fm.baseline_coefficients(media)
    design = fm.problem.baseline.design
    fit = design @ gamma + media.sum(axis=1)
    rng = np.random.default_rng(fm.config.seed + 2)
    media_draws = fm.posterior.media.sum(axis=2)  # (D, T) total media per draw
    n_draws = media_draws.shape[0]
    bt = fm.problem.weighted_design()
    a_inv = np.linalg.inv(bt.T @ bt + fm.problem.ridge_penalty)
    sigma = fm.result.sigma
    chol = np.linalg.cholesky(sigma ** 2 * 0.5 * (a_inv + a_inv.T) + 1e-12 * np.eye(len(gamma)))
    # per draw: baseline coefficients given its media, plus their sampling error, plus weekly noise
    gammas = fm.problem.gamma(media_draws)
    gammas = gammas + rng.normal(size=(n_draws, len(gamma))) @ chol.T
    sims = gammas @ design.T + media_draws + rng.normal(0, sigma, (n_draws, len(fit)))
    lo, hi = fm.quantiles(sims)
    holdout = np.zeros(len(fit), dtype=bool)
    forecast = np.full(len(fit), np.nan)
    if fm.result.holdout_forecast is not None:
        h = len(fm.result.holdout_forecast)
        holdout[-h:] = True
        forecast[-h:] = fm.result.holdout_forecast
    return pd.DataFrame({"week_start_date": fm.data.weeks, "actual_revenue": fm.problem.y, "fitted_revenue": fit,
                         "fitted_lower": np.minimum(lo, fit), "fitted_upper": np.maximum(hi, fit),
                         "is_holdout": holdout, "forecast_revenue": forecast})


def contributions(fm: FittedModel) -> pd.DataFrame:
    """Weekly contribution of each component; per week they sum to the fitted revenue."""
    media = fm.media
    gamma = fm.baseline_coefficients(media)
    design = fm.problem.baseline.design
    frames = []
    for group, cols in fm.problem.baseline.groups.items():
        frames.append(pd.DataFrame({"week_start_date": fm.data.weeks, "component": group,
                                    "component_type": "baseline", "contribution": design[:, cols] @ gamma[cols]}))
    for ci, name in enumerate(fm.channels):
        frames.append(pd.DataFrame({"week_start_date": fm.data.weeks, "component": name,
                                    "component_type": "channel", "contribution": media[:, ci]}))
    return pd.concat(frames, ignore_index=True)


def contribution_interval(fm: FittedModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each channel's contribution over the whole modeled period: estimate, lower, upper."""
    contrib = fm.media.sum(axis=0)
    lo, hi = fm.quantiles(fm.posterior.media.sum(axis=1))
    return contrib, np.minimum(lo, contrib), np.maximum(hi, contrib)


def roi_interval(fm: FittedModel) -> pd.DataFrame:
    """ROI (contribution / spend) over the whole modeled period with its interval, indexed by channel."""
    spend = fm.spend_matrix().sum(axis=0)
    safe = np.where(spend > 0, spend, np.nan)
    est, lo, hi = contribution_interval(fm)
    return pd.DataFrame({"estimate": est / safe, "lower": lo / safe, "upper": hi / safe}, index=fm.channels)


def subject_channels(subject: str) -> list[str]:
    """Channels a check row is about: 'tv' -> [tv]; 'tv & radio' -> [tv, radio]; 'tv (experiment x)' -> [tv]."""
    return [part.split(" (experiment ")[0].strip() for part in str(subject).split(" & ") if part]


def channel_summary(fm: FittedModel, lookback_weeks: int) -> pd.DataFrame:
    """Spend, contribution, ROI and marginal ROI per channel over the whole modeled period."""
    x = fm.spend_matrix()
    spend = x.sum(axis=0)
    contrib, c_lo, c_hi = contribution_interval(fm)
    current = current_weekly_spend(fm, lookback_weeks)
    rows = []
    for ci, name in enumerate(fm.channels):
        resp = expected_response(fm, ci)
        mroi = float(resp.marginal(current[ci]))
        m_lo, m_hi = fm.quantiles(resp.draws.marginal(current[ci]))
        grid_hi = max(3.0 * current[ci], 1.5 * x[:, ci].max(), 1.0)
        # the posterior-mean curve is smooth: a coarse grid brackets the crossing, Brent's method refines it
        sat = saturation_point(resp, 0.0, grid_hi, 1.0, n_grid=257)
        safe = spend[ci] if spend[ci] > 0 else np.nan
        rows.append(dict(
            channel=name, spend=spend[ci], contribution=contrib[ci],
            contribution_lower=c_lo[ci], contribution_upper=c_hi[ci],
            roi=contrib[ci] / safe, roi_lower=c_lo[ci] / safe, roi_upper=c_hi[ci] / safe,
            mroi=mroi, mroi_lower=min(float(m_lo), mroi), mroi_upper=max(float(m_hi), mroi),
            current_weekly_spend=current[ci], saturation_weekly_spend=np.nan if sat is None else float(sat)))
    out = pd.DataFrame(rows)
    out["spend_share"] = out["spend"] / out["spend"].sum()
    total_c = out["contribution"].sum()
    out["contribution_share"] = out["contribution"] / total_c if total_c > 0 else 0.0
    notes = fm.result.checks[fm.result.checks["status"] != "ok"]
    about = notes["channel"].map(subject_channels)
    out["warnings"] = ["; ".join(m.rstrip(".") for m in notes.loc[about.apply(lambda cs, n=name: n in cs), "message"])
                       for name in out["channel"]]
    return out


def response_curves(fm: FittedModel, lookback_weeks: int, n_points: int = 41) -> pd.DataFrame:
    """Steady-state expected (posterior-mean) weekly revenue per channel on a grid from 0 to 3x current spend."""
    x = fm.spend_matrix()
    current = current_weekly_spend(fm, lookback_weeks)
    frames = []
    for ci, name in enumerate(fm.channels):
        top = 3.0 * current[ci] if current[ci] > 0 else 3.0 * max(x[:, ci].mean(), 1.0)
        grid = np.unique(np.concatenate([np.linspace(0.0, top, n_points), [current[ci]]]))
        resp = expected_response(fm, ci)
        rev = resp.revenue(grid)
        lo, hi = fm.quantiles(resp.draws.revenue(grid), axis=1)
        frames.append(pd.DataFrame({
            "channel": name, "weekly_spend": grid, "expected_weekly_revenue": rev,
            "lower": np.minimum(lo, rev), "upper": np.maximum(hi, rev), "mroi": resp.marginal(grid),
            "is_current_spend": np.isclose(grid, current[ci])}))
    return pd.concat(frames, ignore_index=True)


def transformed_design(fm: FittedModel) -> pd.DataFrame:
    """The saturated, adstocked media features f_c (the regression's media columns)."""
    beta = fm.beta
    return pd.DataFrame(fm.media / np.where(beta > 0, beta, 1.0), columns=fm.channels)


def hac_table(fm: FittedModel) -> pd.DataFrame:
    """OLS of revenue on baseline + transformed media with Newey-West (HAC) standard errors."""
    baseline = fm.problem.baseline
    design = pd.concat([pd.DataFrame(baseline.design[:, 1:], columns=baseline.columns[1:]), transformed_design(fm)],
                       axis=1)
    return dg.hac_regression(fm.problem.y[fm.train], design[fm.train].reset_index(drop=True), level=fm.level)


PARAMETER_COLUMNS = ["channel", "parameter", "estimate", "lower", "upper", "std_error", "p_value"]


def parameters(fm: FittedModel) -> pd.DataFrame:
    """Every estimated parameter with its interval (natural scale), baseline coefficients, the fit settings,
    and the OLS of revenue on the baseline and transformed media with Newey-West (HAC) standard errors
    (channel 'regression_hac': a check on the fit, unconstrained and without priors)."""
    mm = fm.problem.media_model
    point = mm.channel_parameters(fm.result.z)
    post = fm.posterior
    rows = []
    for ci, spec in enumerate(fm.specs):
        for name, value in point[ci].items():
            lo, hi = fm.quantiles(post.parameters[ci][name])
            v = float(value)
            rows.append(dict(channel=spec.name, parameter=name, estimate=v, lower=min(float(lo), v), upper=max(float(hi), v)))
        lo, hi = fm.quantiles(post.beta[:, ci])
        b = float(fm.beta[ci])
        rows.append(dict(channel=spec.name, parameter="beta", estimate=b, lower=min(float(lo), b), upper=max(float(hi), b)))
    for name, g in zip(fm.problem.baseline.columns, fm.baseline_coefficients()):
        rows.append(dict(channel="baseline", parameter=name, estimate=float(g), lower=np.nan, upper=np.nan))
    settings = {"sigma": fm.result.sigma, "n_weeks": len(fm.data.weeks), "n_train_weeks": int(fm.train.sum()),
                "holdout_weeks": fm.config.holdout_weeks, "interval_level": fm.level,
                "seasonality_order": fm.config.seasonality_order, "n_draws": len(fm.result.draws),
                "random_seed": fm.config.seed, "fit_seconds": fm.result.fit_seconds}
    for k, v in settings.items():
        rows.append(dict(channel="settings", parameter=k, estimate=float(v), lower=np.nan, upper=np.nan))
    for r in hac_table(fm).itertuples():
        rows.append(dict(channel="regression_hac", parameter=r.term, estimate=r.estimate, lower=r.lower, upper=r.upper,
                         std_error=r.std_error, p_value=r.p_value))
    return pd.DataFrame(rows, columns=PARAMETER_COLUMNS)


LIFT_COLUMNS = ["experiment_id", "channel", "measured_lift", "measured_lift_se", "predicted_lift",
                "predicted_lift_lower", "predicted_lift_upper", "z_score"]


def lift_test_calibration(fm: FittedModel) -> pd.DataFrame:
    """Measured vs predicted lift of every lift test used in the fit.

    z = (predicted - measured) / sqrt(se^2 + (predicted interval width / 3.29)^2): positive when the model
    predicts more lift than the experiment measured, |z| > 2 when they disagree.
    """
    rows = []
    media_all = fm.map_media[0]
    draws = fm.posterior.media_all
    for lt in fm.problem.lifts:
        pred = media_all[:, lt.channel].sum() - media_all[:, lt.column].sum()
        d = draws[:, :, lt.channel].sum(axis=1) - draws[:, :, lt.column].sum(axis=1)
        lo, hi = fm.quantiles(d)
        rows.append(dict(experiment_id=lt.experiment_id, channel=fm.channels[lt.channel], measured_lift=lt.measured,
                         measured_lift_se=lt.se, predicted_lift=pred, predicted_lift_lower=min(lo, pred),
                         predicted_lift_upper=max(hi, pred),
                         z_score=(pred - lt.measured) / math.sqrt(lt.se ** 2 + ((hi - lo) / 3.29) ** 2)))
    return pd.DataFrame(rows, columns=LIFT_COLUMNS)


def model_checks(fm: FittedModel, lookback_weeks: int, thresholds: Thresholds = ck.DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Every check of the market in one schema: input and identification (run at fit time), fit quality in
    and out of sample, the media design, lift-test agreement, and the noise level and fit time."""
    fitted = fitted_revenue(fm)
    n_params = fm.problem.baseline.design.shape[1] - 1 + fm.problem.layout.size
    summary = channel_summary(fm, lookback_weeks)
    rows = ck.fit_quality_checks(fitted["actual_revenue"], fitted["fitted_revenue"], n_params,
                                 fitted["forecast_revenue"], fm.result.cv, thresholds)
    rows += ck.design_checks(transformed_design(fm), summary["contribution_share"], summary["spend_share"], thresholds)
    rows += ck.lift_test_agreement_checks(lift_test_calibration(fm), thresholds)
    rows += [ck.info("sigma", fm.result.sigma, "residual standard deviation of weekly revenue"),
             ck.info("fit_seconds", fm.result.fit_seconds, "time to fit this market with uncertainty")]
    stored = fm.result.checks.astype({"value": float, "threshold": float})
    out = pd.concat([stored, ck.checks_frame(rows)], ignore_index=True)
    dup = out.duplicated(["check_name", "channel"], keep=False)
    if dup.any():
        raise ValueError(f"checks reported twice: {out.loc[dup, ['check_name', 'channel']].values.tolist()}")
    return out
