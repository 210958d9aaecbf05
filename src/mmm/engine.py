"""Fit one market end to end and derive everything the output tables need.

``fit_market`` checks the input (bad channels and lift tests become warning rows, not crashes), runs
the MAP fit (``mmm.fit``), draws parameters from the Laplace approximation and summarises:

* per-week contribution of every component (baseline parts and channels; they sum to the fit),
* per-channel spend, contribution, ROI and marginal ROI with intervals,
* steady-state response curves with bands, the saturation point,
* lift-test agreement, fit diagnostics and identification warnings.

Why Laplace rather than a bootstrap: the MAP's ROI is pulled toward its prior where the data say
little, and a residual bootstrap reproduces the fit's pull without its uncertainty, so its intervals
are too narrow exactly for the weakly identified channels; the Laplace posterior includes the prior
and widens where the likelihood is flat. Measured coverage is in the benchmark script.

The fitted state (``MarketFit.state()``) is a small JSON-able dict: with the same model input it
rebuilds the same fit without optimising again (``restore_market``), so dbt models can share one fit.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mmm import diagnostics as diag
from mmm.fit import FitConfig, MarketData, Problem, fit_map, laplace_covariance, prepare_problem
from mmm.model import ChannelSpec, media_effects, natural_parameters, saturation_parameters
from mmm.response import ParametricResponse, PosteriorMeanResponse, saturation_point
from mmm.validation import rolling_origin_cv

WARNING_COLUMNS = ["check_name", "channel", "value", "threshold", "status", "message"]


class InsufficientDataError(ValueError):
    """The market cannot be fitted (too few weeks, no usable channel, no revenue)."""


@dataclass
class MarketFit:
    """A fitted market: inputs, MAP, Laplace covariance, posterior draws and derived tables."""

    market: str
    data: MarketData
    specs: list[ChannelSpec]
    config: FitConfig
    problem: Problem
    z: np.ndarray
    cov: np.ndarray
    sigma: float
    draws: np.ndarray  # (D, P) unconstrained parameter draws
    warnings: pd.DataFrame
    lookback_weeks: int = 13
    fit_seconds: float = 0.0
    map_info: dict = field(default_factory=dict)
    cv: pd.DataFrame | None = None  # rolling-origin cross-validation (mmm.validation)

    # ---------------------------------------------------------------- basics
    @property
    def channels(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def level(self) -> float:
        return self.config.interval_level

    def _q(self, a: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
        lo = (1 - self.level) / 2
        return np.quantile(a, lo, axis=axis), np.quantile(a, 1 - lo, axis=axis)

    def media(self, z: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(weekly media effect per channel (T, C), beta per channel) at z (default: the MAP)."""
        m, beta = media_effects(self.z if z is None else z, self.problem.layout, self.problem.inputs)
        return m[:, : len(self.specs)], beta

    def natural(self, z: np.ndarray | None = None) -> list[dict]:
        return natural_parameters(self.z if z is None else z, self.problem.layout, self.problem.inputs.reference_spend)

    def baseline_coefficients(self, media: np.ndarray) -> np.ndarray:
        u = self.problem.y[self.problem.train] - media[self.problem.train].sum(axis=1)
        return self.problem.hat @ u

    def _draw_cache(self) -> dict:
        if not hasattr(self, "_cache"):
            media, betas = [], []
            for zd in self.draws:
                m, b = media_effects(zd, self.problem.layout, self.problem.inputs)
                media.append(m)
                betas.append(b)
            media = np.array(media)  # (D, T, K): channels, then switched-off copies for lift tests
            # natural parameters of all draws at once: one dict per channel of (D,) arrays
            self._cache = {"media": media[:, :, : len(self.specs)], "media_all": media, "beta": np.array(betas),
                           "natural": self.natural(self.draws.T)}
        return self._cache

    # ---------------------------------------------------------------- spend
    def spend_matrix(self) -> np.ndarray:
        return self.data.spend[self.channels].to_numpy(dtype=float)

    def current_weekly_spend(self) -> np.ndarray:
        """Mean weekly spend over the trailing ``lookback_weeks`` (the allocation's starting point)."""
        x = self.spend_matrix()
        return x[-self.lookback_weeks:].mean(axis=0)

    # ---------------------------------------------------------------- responses
    def response(self, ci: int, with_draws: bool = False) -> ParametricResponse:
        spec = self.specs[ci]
        if not with_draws:
            _, beta = self.media()
            return ParametricResponse(float(beta[ci]), spec.saturation_kind,
                                      saturation_parameters(self.natural()[ci], spec))
        cache = self._draw_cache()
        return ParametricResponse(cache["beta"][:, ci], spec.saturation_kind,
                                  saturation_parameters(cache["natural"][ci], spec))

    def expected_response(self, ci: int) -> PosteriorMeanResponse:
        """Posterior-mean steady-state response of channel ``ci`` (mean over the draws).

        Response curves, marginal ROI, the saturation point, scenarios and the budget allocation use
        it: a budget decision should maximise expected revenue, and for a weakly identified channel
        the posterior of its return is right-skewed, so the curve of the MAP parameters understates it.
        """
        return PosteriorMeanResponse(self.response(ci, with_draws=True))

    # ---------------------------------------------------------------- tables
    def fitted(self) -> pd.DataFrame:
        """Actual vs fitted weekly revenue; the band is a prediction interval (parameters and noise)."""
        media, _ = self.media()
        gamma = self.baseline_coefficients(media)
        design = self.problem.baseline.design
        fit = design @ gamma + media.sum(axis=1)
        rng = np.random.default_rng(self.config.seed + 2)
        media_draws = self._draw_cache()["media"].sum(axis=2)  # (D, T) total media per draw
        n_draws = media_draws.shape[0]
        bt = design[self.problem.train]
        a_inv = np.linalg.inv(bt.T @ bt + self.problem.ridge_penalty)
        chol = np.linalg.cholesky(self.sigma ** 2 * 0.5 * (a_inv + a_inv.T) + 1e-12 * np.eye(len(gamma)))
        # per draw: baseline coefficients given its media, plus their sampling error, plus weekly noise
        gammas = (self.problem.y[self.problem.train][None, :] - media_draws[:, self.problem.train]) @ self.problem.hat.T
        gammas = gammas + rng.normal(size=(n_draws, len(gamma))) @ chol.T
        sims = gammas @ design.T + media_draws + rng.normal(0, self.sigma, (n_draws, len(fit)))
        lo, hi = self._q(sims)
        return pd.DataFrame({"week_start_date": self.data.weeks, "actual_revenue": self.problem.y,
                             "fitted_revenue": fit, "fitted_lower": np.minimum(lo, fit),
                             "fitted_upper": np.maximum(hi, fit), "is_holdout": ~self.problem.train})

    def contributions(self) -> pd.DataFrame:
        """Weekly contribution of each component; per week they sum to the fitted revenue."""
        media, _ = self.media()
        gamma = self.baseline_coefficients(media)
        design = self.problem.baseline.design
        frames = []
        for group, cols in self.problem.baseline.groups.items():
            frames.append(pd.DataFrame({"week_start_date": self.data.weeks, "component": group,
                                        "component_type": "baseline", "contribution": design[:, cols] @ gamma[cols]}))
        for ci, name in enumerate(self.channels):
            frames.append(pd.DataFrame({"week_start_date": self.data.weeks, "component": name,
                                        "component_type": "channel", "contribution": media[:, ci]}))
        return pd.concat(frames, ignore_index=True)

    def contribution_interval(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each channel's contribution over the whole modeled period: estimate, lower, upper (draws)."""
        media, _ = self.media()
        contrib = media.sum(axis=0)
        lo, hi = self._q(self._draw_cache()["media"].sum(axis=1))
        return contrib, np.minimum(lo, contrib), np.maximum(hi, contrib)

    def roi_interval(self) -> pd.DataFrame:
        """ROI (contribution / spend) over the whole modeled period with its interval, indexed by channel."""
        spend = self.spend_matrix().sum(axis=0)
        safe = np.where(spend > 0, spend, np.nan)
        est, lo, hi = self.contribution_interval()
        return pd.DataFrame({"estimate": est / safe, "lower": lo / safe, "upper": hi / safe}, index=self.channels)

    def channel_summary(self) -> pd.DataFrame:
        """Spend, contribution, ROI and marginal ROI per channel over the whole modeled period."""
        x = self.spend_matrix()
        spend = x.sum(axis=0)
        contrib, c_lo, c_hi = self.contribution_interval()
        current = self.current_weekly_spend()
        rows = []
        for ci, name in enumerate(self.channels):
            resp = self.expected_response(ci)
            mroi = float(resp.marginal(current[ci]))
            mroi_draws = resp.draws.marginal(current[ci])
            m_lo, m_hi = self._q(mroi_draws)
            grid_hi = max(3.0 * current[ci], 1.5 * x[:, ci].max(), 1.0)
            # the posterior-mean curve is smooth: a coarse grid brackets the crossing, Brent's method refines it
            sat = saturation_point(resp, 0.0, grid_hi, 1.0, n_grid=257)
            safe = spend[ci] if spend[ci] > 0 else np.nan
            rows.append(dict(
                channel=name, spend=spend[ci], contribution=contrib[ci],
                contribution_lower=c_lo[ci], contribution_upper=c_hi[ci],
                roi=contrib[ci] / safe, roi_lower=c_lo[ci] / safe, roi_upper=c_hi[ci] / safe,
                mroi=mroi, mroi_lower=min(float(m_lo), mroi), mroi_upper=max(float(m_hi), mroi),
                current_weekly_spend=current[ci],
                saturation_weekly_spend=np.nan if sat is None else float(sat)))
        out = pd.DataFrame(rows)
        out["spend_share"] = out["spend"] / out["spend"].sum()
        total_c = out["contribution"].sum()
        out["contribution_share"] = out["contribution"] / total_c if total_c > 0 else 0.0
        notes = self.warnings[self.warnings["status"] != "ok"]
        out["warnings"] = [
            "; ".join(m.rstrip(".") for m in notes.loc[
                notes["channel"].astype(str).str.split(" & ").apply(lambda cs, n=name: n in cs), "message"])
            for name in out["channel"]]
        return out

    def response_curves(self, n_points: int = 41) -> pd.DataFrame:
        """Steady-state expected (posterior-mean) weekly revenue per channel on a grid from 0 to 3x current spend."""
        x = self.spend_matrix()
        current = self.current_weekly_spend()
        frames = []
        for ci, name in enumerate(self.channels):
            top = 3.0 * current[ci] if current[ci] > 0 else 3.0 * max(x[:, ci].mean(), 1.0)
            grid = np.unique(np.concatenate([np.linspace(0.0, top, n_points), [current[ci]]]))
            resp = self.expected_response(ci)
            draws = resp.draws
            rev = resp.revenue(grid)
            lo, hi = self._q(draws.revenue(grid), axis=1)
            frames.append(pd.DataFrame({
                "channel": name, "weekly_spend": grid, "expected_weekly_revenue": rev,
                "lower": np.minimum(lo, rev), "upper": np.maximum(hi, rev), "mroi": resp.marginal(grid),
                "is_current_spend": np.isclose(grid, current[ci])}))
        return pd.concat(frames, ignore_index=True)

    def parameters(self) -> pd.DataFrame:
        """Every estimated parameter with its interval (natural scale), baseline coefficients, settings, and the
        OLS of revenue on the baseline and transformed media columns with Newey-West (HAC) standard errors
        (channel 'regression_hac': a check on the MAP fit, unconstrained and without priors)."""
        nat, nat_draws = self.natural(), self._draw_cache()["natural"]
        _, beta = self.media()
        beta_draws = self._draw_cache()["beta"]
        rows = []
        for ci, spec in enumerate(self.specs):
            for p, v in nat[ci].items():
                d = np.asarray(nat_draws[ci][p])
                lo, hi = self._q(d)
                name = "hill_shape" if p == "shape_saturation" else p
                rows.append(dict(channel=spec.name, parameter=name, estimate=float(v), lower=min(float(lo), v),
                                 upper=max(float(hi), v)))
            lo, hi = self._q(beta_draws[:, ci])
            rows.append(dict(channel=spec.name, parameter="beta", estimate=float(beta[ci]),
                             lower=min(float(lo), beta[ci]), upper=max(float(hi), beta[ci])))
        media, _ = self.media()
        gamma = self.baseline_coefficients(media)
        for name, g in zip(self.problem.baseline.columns, gamma):
            rows.append(dict(channel="baseline", parameter=name, estimate=float(g), lower=np.nan, upper=np.nan))
        settings = {"sigma": self.sigma, "n_weeks": len(self.data.weeks), "n_train_weeks": int(self.problem.train.sum()),
                    "holdout_weeks": self.config.holdout_weeks, "interval_level": self.level,
                    "seasonality_order": self.config.seasonality_order, "n_draws": len(self.draws),
                    "random_seed": self.config.seed, "fit_seconds": self.fit_seconds}
        for k, v in settings.items():
            rows.append(dict(channel="settings", parameter=k, estimate=float(v), lower=np.nan, upper=np.nan))
        hac = self.hac_table()
        for r in hac.itertuples():
            rows.append(dict(channel="regression_hac", parameter=r.term, estimate=r.estimate, lower=r.lower, upper=r.upper,
                             std_error=r.std_error, p_value=r.p_value))
        return pd.DataFrame(rows, columns=["channel", "parameter", "estimate", "lower", "upper", "std_error", "p_value"])

    def lift_test_calibration(self) -> pd.DataFrame:
        """Measured vs predicted lift of every lift test used in the fit, with a z-score."""
        rows = []
        media_all, _ = media_effects(self.z, self.problem.layout, self.problem.inputs)
        draws = self._draw_cache()["media_all"]
        for lt in self.problem.lifts:
            pred = media_all[:, lt.channel].sum() - media_all[:, lt.column].sum()
            d = np.array([m[:, lt.channel].sum() - m[:, lt.column].sum() for m in draws])
            lo, hi = self._q(d)
            rows.append(dict(experiment_id=lt.experiment_id, channel=self.channels[lt.channel], measured_lift=lt.measured,
                             measured_lift_se=lt.se, predicted_lift=pred, predicted_lift_lower=min(lo, pred),
                             predicted_lift_upper=max(hi, pred),
                             z_score=(pred - lt.measured) / math.sqrt(lt.se ** 2 + ((hi - lo) / 3.29) ** 2)))
        return pd.DataFrame(rows, columns=["experiment_id", "channel", "measured_lift", "measured_lift_se",
                                           "predicted_lift", "predicted_lift_lower", "predicted_lift_upper",
                                           "z_score"])

    def diagnostics(self, cv: pd.DataFrame | None = None) -> pd.DataFrame:
        """Fit quality (in and out of sample), residual checks, design checks and identification warnings."""
        cv = self.cv if cv is None else cv
        fitted = self.fitted()
        train = self.problem.train
        n_params = self.problem.baseline.design.shape[1] - 1 + self.problem.layout.size
        rows = []
        ins = diag.fit_metrics(fitted["actual_revenue"][train], fitted["fitted_revenue"][train], n_params)
        for k, thr, bad in (("r2", 0.8, lambda v: v < 0.8), ("adjusted_r2", 0.75, lambda v: v < 0.75),
                            ("mape", 0.1, lambda v: v > 0.1), ("nrmse", 0.1, lambda v: v > 0.1)):
            v = ins[k]
            rows.append(dict(metric=f"in_sample_{k}", value=v, threshold=thr, status="warn" if bad(v) else "ok",
                             note=f"{k} on the {int(train.sum())} training weeks"))
        if (~train).any():
            out = diag.fit_metrics(fitted["actual_revenue"][~train], fitted["fitted_revenue"][~train], 0)
            for k, thr, bad in (("mape", 0.15, lambda v: v > 0.15), ("r2", 0.0, lambda v: v < 0.0)):
                v = out[k]
                rows.append(dict(metric=f"holdout_{k}", value=v, threshold=thr, status="warn" if bad(v) else "ok",
                                 note=f"{k} on the last {int((~train).sum())} weeks, not used to fit"))
        if cv is not None and len(cv):
            for k in ("mape", "r2"):
                v = float(cv[k].mean())
                bad = v > 0.15 if k == "mape" else v < 0.0
                rows.append(dict(metric=f"cv_{k}", value=v, threshold=0.15 if k == "mape" else 0.0,
                                 status="warn" if bad else "ok",
                                 note=f"mean {k} over {len(cv)} rolling-origin folds"))
        resid = (fitted["actual_revenue"] - fitted["fitted_revenue"])[train].to_numpy()
        res = diag.residual_diagnostics(resid)
        dw = res["durbin_watson"]
        rows.append(dict(metric="durbin_watson", value=dw, threshold=1.5, status="warn" if dw < 1.5 or dw > 2.5 else "ok",
                         note="about 2 when residuals are not autocorrelated"))
        lb = res["ljung_box_pvalue"]
        rows.append(dict(metric="ljung_box_pvalue", value=lb, threshold=0.05, status="warn" if lb < 0.05 else "ok",
                         note="small p: residuals are autocorrelated, some weekly pattern is not modeled"))
        design = self.transformed_design()
        cond = diag.condition_number(design)
        rows.append(dict(metric="condition_number", value=cond, threshold=30.0, status="warn" if cond > 30 else "ok",
                         note="of the standardised media design; large means channels move together"))
        vifs = diag.vif(design[self.problem.train])
        for ch, v in vifs.items():
            rows.append(dict(metric=f"vif:{ch}", value=float(v), threshold=10.0, status="warn" if v > 10 else "ok",
                             note=f"how much of {ch}'s transformed spend the other channels explain (variance "
                                  "inflation factor); above 10 the model cannot split their effects reliably"))
        summary = self.channel_summary()
        rssd = diag.decomp_rssd(summary["contribution_share"], summary["spend_share"])
        rows.append(dict(metric="decomp_rssd", value=rssd, threshold=0.3, status="warn" if rssd > 0.3 else "ok",
                         note="distance between effect shares and spend shares (Robyn's DECOMP.RSSD)"))
        rows.append(dict(metric="sigma", value=self.sigma, threshold=np.nan, status="ok",
                         note="residual standard deviation of weekly revenue"))
        rows.append(dict(metric="fit_seconds", value=self.fit_seconds, threshold=np.nan, status="ok",
                         note="time to fit this market with uncertainty"))
        for lt in self.lift_test_calibration().itertuples():
            z = lt.z_score
            rows.append(dict(metric=f"lift_test_z:{lt.experiment_id}", value=z, threshold=2.0,
                             status="warn" if abs(z) > 2 else "ok",
                             note=f"{lt.channel}: predicted lift {lt.predicted_lift:,.0f} vs measured {lt.measured_lift:,.0f}"))
        for w in self.warnings.itertuples():
            rows.append(dict(metric=f"{w.check_name}" + (f":{w.channel}" if w.channel else ""), value=w.value,
                             threshold=w.threshold, status=w.status, note=w.message))
        out = pd.DataFrame(rows)
        return out.drop_duplicates(subset="metric", keep="first").reset_index(drop=True)

    def transformed_design(self) -> pd.DataFrame:
        """The saturated, adstocked media features f_c (the regression's media columns)."""
        media, beta = self.media()
        safe = np.where(beta > 0, beta, 1.0)
        return pd.DataFrame(media / safe, columns=self.channels)

    def hac_table(self) -> pd.DataFrame:
        """OLS of revenue on baseline + transformed media with Newey-West (HAC) standard errors."""
        design = pd.concat([pd.DataFrame(self.problem.baseline.design[:, 1:], columns=self.problem.baseline.columns[1:]),
                            self.transformed_design()], axis=1)
        train = self.problem.train
        return diag.hac_regression(self.problem.y[train], design[train].reset_index(drop=True), level=self.level)

    # ---------------------------------------------------------------- state
    def state(self) -> dict:
        """JSON-able state that rebuilds this fit from the same input without optimising."""
        return {"market": self.market, "specs": [asdict(s) for s in self.specs],
                "config": {k: v for k, v in asdict(self.config).items() if k != "priors"},
                "priors": {k: [p.mean, p.sd] for k, p in self.config.priors.items()},
                "z": self.z.tolist(), "cov": self.cov.tolist(), "sigma": self.sigma,
                "lookback_weeks": self.lookback_weeks, "fit_seconds": self.fit_seconds,
                "warnings": self.warnings.to_dict(orient="list"), "map_info": self.map_info,
                "cv": None if self.cv is None else self.cv.assign(test_start=self.cv["test_start"].astype(str))
                .to_dict(orient="list")}


# -------------------------------------------------------------------- input checks

def _warn(rows: list, check: str, channel: str, value, threshold, status: str, message: str) -> None:
    rows.append(dict(check_name=check, channel=channel, value=float(value), threshold=float(threshold),
                     status=status, message=message))


def usable_channels(data: MarketData, specs: list[ChannelSpec], rows: list) -> list[ChannelSpec]:
    """Channels the fit can use; the others get a warning row (missing values, constant or zero spend)."""
    keep = []
    for spec in specs:
        if spec.name not in data.spend.columns:
            # normal for a channel a market never used (channel_config lists every market's channels): a note, not a warning
            _warn(rows, "channel_not_in_market", spec.name, np.nan, np.nan, "ok",
                  f"{spec.name} is in channel_config but has no spend in this market, so it is not modeled here.")
            continue
        x = data.spend[spec.name].to_numpy(dtype=float)
        if np.isnan(x).any():
            _warn(rows, "channel_spend_missing", spec.name, np.isnan(x).mean(), 0, "fail",
                  f"{spec.name} has {int(np.isnan(x).sum())} weeks with missing spend; it is left out of the fit.")
        elif np.nanstd(x) <= 1e-9 * max(1.0, abs(np.nanmean(x))):
            what = "no spend" if np.allclose(x, 0) else "the same spend every week"
            _warn(rows, "channel_spend_constant", spec.name, float(np.nanmean(x)), 0, "fail",
                  f"{spec.name} has {what}; its effect cannot be estimated, so it is left out of the fit.")
        elif (x < 0).any():
            _warn(rows, "channel_spend_negative", spec.name, float(x.min()), 0, "fail",
                  f"{spec.name} has negative weekly spend; it is left out of the fit.")
        else:
            keep.append(spec)
    return keep


def lift_terms(data: MarketData, channels: list[str], rows: list) -> list[dict]:
    """Validated lift tests as objective terms; unusable ones become warning rows."""
    terms = []
    if data.lift_tests is None or len(data.lift_tests) == 0:
        return terms
    first, last = data.weeks[0], data.weeks[-1]
    for lt in data.lift_tests.itertuples():
        eid, ch = str(lt.experiment_id), str(lt.channel)
        start, end = pd.Timestamp(lt.start_week), pd.Timestamp(lt.end_week)
        mask = np.asarray((data.weeks >= start) & (data.weeks <= end))
        problem = None
        if ch not in channels:
            problem = f"lift test {eid} names channel '{ch}', which is not modeled in this market; it is not used."
        elif start < first or end > last or not mask.any():
            problem = (f"lift test {eid} runs {start:%Y-%m-%d} to {end:%Y-%m-%d}, outside the modeled weeks "
                       f"({first:%Y-%m-%d} to {last:%Y-%m-%d}); it is not used.")
        elif not (np.isfinite(lt.lift) and np.isfinite(lt.lift_se) and lt.lift_se > 0):
            problem = f"lift test {eid} has no usable result or standard error; it is not used."
        if problem:
            _warn(rows, "lift_test_unused", ch, np.nan, np.nan, "warn", problem)
            continue
        terms.append(dict(experiment_id=eid, channel=ch, weeks=mask, measured=float(lt.lift), se=float(lt.lift_se)))
    return terms


def _draw(z: np.ndarray, cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(len(z)))
    return z + rng.normal(size=(n, len(z))) @ chol.T


def _check_revenue(data: MarketData, rows: list) -> None:
    y = np.asarray(data.revenue, dtype=float)
    if np.isnan(y).any():
        raise InsufficientDataError(f"revenue is missing in {int(np.isnan(y).sum())} weeks")
    if y.mean() <= 0:
        raise InsufficientDataError("revenue is not positive on average; there is nothing to model")
    if (y <= 0).any():
        _warn(rows, "revenue_non_positive", "", float((y <= 0).sum()), 0, "warn",
              f"{int((y <= 0).sum())} weeks have zero or negative revenue; check the sales data (MAPE skips them).")


IMPLIED_MEDIA_SHARE = 0.2


def with_default_roi_priors(data: MarketData, specs: list[ChannelSpec]) -> list[ChannelSpec]:
    """Fill a missing ROI prior median (None/NaN) with the ROI implied by media driving 20% of revenue.

    roi_0 = 0.2 * sum(revenue) / sum(all channels' spend), the same for every such channel. Useful
    when spend is not in money units (impressions, indexes), where a median of 1 would be meaningless.
    """
    total = float(np.nansum(data.spend[[s.name for s in specs if s.name in data.spend]].to_numpy()))
    implied = IMPLIED_MEDIA_SHARE * float(np.sum(data.revenue)) / total if total > 0 else 1.0
    out = []
    for s in specs:
        if s.roi_prior_median is None or not np.isfinite(s.roi_prior_median) or s.roi_prior_median <= 0:
            s = ChannelSpec(s.name, s.adstock_kind, s.max_lag, s.saturation_kind, implied, s.roi_prior_sigma)
        out.append(s)
    return out


def fit_market(data: MarketData, specs: list[ChannelSpec], config: FitConfig = FitConfig(), market: str = "market",
               lookback_weeks: int = 13) -> MarketFit:
    """Fit one market with uncertainty. Raises InsufficientDataError when no fit is possible.

    BLAS runs single-threaded during the fit: its matrices are tiny, and thread hand-offs made the fit
    several times slower on a 2-core machine.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_market(data, specs, config, market, lookback_weeks)


def _fit_market(data: MarketData, specs: list[ChannelSpec], config: FitConfig, market: str,
                lookback_weeks: int) -> MarketFit:
    t0 = time.perf_counter()
    rows: list[dict] = []
    _check_revenue(data, rows)
    specs = with_default_roi_priors(data, usable_channels(data, specs, rows))
    if not specs:
        raise InsufficientDataError("no channel has usable spend")
    terms = lift_terms(data, [s.name for s in specs], rows)
    problem = prepare_problem(data, specs, config, terms)
    n_train = int(problem.train.sum())
    n_params = problem.baseline.design.shape[1] + problem.layout.size
    if n_train < n_params + 10:
        raise InsufficientDataError(f"{n_train} training weeks for {n_params} parameters; at least "
                                    f"{n_params + 10} weeks are needed")
    result = fit_map(problem, config)
    cov, sigma = laplace_covariance(problem, result.z)
    draws = _draw(result.z, cov, config.n_draws, config.seed)
    fit = MarketFit(market, data, specs, config, problem, result.z, cov, sigma, draws,
                    pd.DataFrame(rows, columns=WARNING_COLUMNS), lookback_weeks,
                    map_info={"objective": result.value, "start_objectives": result.start_values,
                              "converged": result.converged, "n_evaluations": result.n_evaluations})
    fit.warnings = pd.concat([fit.warnings, _identification(fit)], ignore_index=True)
    fit.fit_seconds = time.perf_counter() - t0
    if config.cv_folds > 0:
        t1 = time.perf_counter()
        fit.cv = rolling_origin_cv(data, specs, config, config.cv_folds, config.cv_horizon, initial=result.z)
        fit.map_info["cv_seconds"] = time.perf_counter() - t1
    return fit


def _identification(fit: MarketFit) -> pd.DataFrame:
    media, _ = fit.media()
    gamma = fit.baseline_coefficients(media)
    design = fit.problem.baseline.design
    baseline = design @ gamma
    seas_cols = fit.problem.baseline.groups.get("seasonality", [])
    demand = design[:, seas_cols] @ gamma[seas_cols] if seas_cols else None
    roi = fit.roi_interval()
    vifs = diag.vif(fit.transformed_design()[fit.problem.train])
    return diag.identification_warnings(fit.data.spend[fit.channels], vifs=vifs, demand=demand, roi=roi,
                                        baseline=baseline, n_weeks=len(fit.data.weeks),
                                        interval_level=fit.level)


def restore_market(state: dict, data: MarketData) -> MarketFit:
    """Rebuild a fitted market from ``MarketFit.state()`` and the same input, without optimising."""
    from mmm.model import Prior

    specs = [ChannelSpec(**s) for s in state["specs"]]
    priors = {k: Prior(*v) for k, v in state.get("priors", {}).items()}
    config = FitConfig(**state["config"], priors=priors)
    rows: list[dict] = []
    terms = lift_terms(data, [s.name for s in specs], rows)
    problem = prepare_problem(data, specs, config, terms)
    z, cov = np.array(state["z"]), np.array(state["cov"])
    fit = MarketFit(state["market"], data, specs, config, problem, z, cov, float(state["sigma"]),
                    _draw(z, cov, config.n_draws, config.seed), pd.DataFrame(state["warnings"], columns=WARNING_COLUMNS),
                    int(state["lookback_weeks"]), float(state["fit_seconds"]), state.get("map_info", {}))
    if state.get("cv"):
        fit.cv = pd.DataFrame(state["cv"])
    return fit

