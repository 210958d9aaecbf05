"""Model specification: channel settings, priors, the nonlinear parameter layout and the baseline design.

The model of weekly revenue y[t] in one market::

    y[t] = B[t] @ gamma + sum_c m_c[t] + e[t],        e[t] ~ N(0, sigma^2)
    m_c[t] = beta_c * sat_c(adstock_c(x_c)[t])
    beta_c = roi_c * sum_t x_c[t] / sum_t sat_c(adstock_c(x_c)[t])     (sums over the training weeks)

so each channel's effect is parameterised by its ROI over the training period (what practitioners
can put a prior on, as Google Meridian does) and by its adstock and saturation parameters. B holds
the baseline: intercept, linear trend, Fourier yearly seasonality, holiday count and controls; gamma
is profiled out by ridge least squares (signed effects allowed), and sigma by its MLE.

Every nonlinear parameter lives on an unconstrained scale z (logit of a share, log of a positive
number); priors are normal on that scale, so the MAP search and the Laplace approximation both work
in z. Adstock weights are normalised (sum to 1), so sustained spend x has steady-state adstock x and
the saturation's half-saturation is in spend units: it is parameterised relative to the channel's
mean weekly spend (``reference spend``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmm.adstock import ADSTOCK_PARAMS, adstock_weights, convolve_lags
from mmm.saturation import SATURATION_PARAMS


@dataclass(frozen=True)
class Prior:
    """Normal prior on the unconstrained scale: z ~ N(mean, sd)."""

    mean: float
    sd: float


# Weakly informative defaults, stated on the natural scale in the comments.
DEFAULT_PRIORS: dict[str, Prior] = {
    # geometric / delayed decay alpha = logistic(z): median 0.38, 90% range 0.06-0.85
    "alpha": Prior(-0.5, 1.2),
    # delayed peak theta = max_lag * logistic(z): median max_lag / 4
    "theta": Prior(-1.1, 1.0),
    # Weibull shape = exp(z): median 1, 90% range 0.3-3.7
    "shape": Prior(0.0, 0.8),
    # Weibull scale = logistic(z) (share of the window): median 0.27
    "scale": Prior(-1.0, 1.0),
    # half-saturation K = reference spend * exp(z): median = mean weekly spend, 90% range 0.3x-3.2x
    "half_saturation": Prior(0.0, 0.7),
    # Hill shape s = exp(z): median 1.2, 90% range 0.55-2.7
    "hill_shape": Prior(0.2, 0.5),
    # logistic lambda = exp(z) / reference spend: median 1 / mean weekly spend
    "lam": Prior(0.0, 0.8),
}
_LOGIT = {"alpha", "scale", "theta"}


@dataclass(frozen=True)
class ChannelSpec:
    """Per-channel model settings (from the ``channel_config`` seed)."""

    name: str
    adstock_kind: str = "geometric"
    max_lag: int = 4
    saturation_kind: str = "hill"
    roi_prior_median: float = 1.0
    roi_prior_sigma: float = 1.0

    def parameter_names(self) -> list[str]:
        sat = ["hill_shape" if p == "shape" else p for p in SATURATION_PARAMS[self.saturation_kind]]
        return list(ADSTOCK_PARAMS[self.adstock_kind]) + sat + ["roi"]


@dataclass
class Layout:
    """Where each channel's parameters sit in the flat unconstrained vector z."""

    channels: list[ChannelSpec]
    names: list[tuple[str, str]]  # (channel, parameter) per entry of z
    slots: np.ndarray  # (n_slots, C) index into z or -1; slot j = j-th parameter of each channel
    prior_mean: np.ndarray
    prior_sd: np.ndarray

    @property
    def size(self) -> int:
        return len(self.names)

    def index(self, channel: str, parameter: str) -> int:
        return self.names.index((channel, parameter))

    def roi_index(self) -> np.ndarray:
        return np.array([self.index(c.name, "roi") for c in self.channels])


def build_layout(channels: list[ChannelSpec], priors: dict[str, Prior] | None = None) -> Layout:
    priors = {**DEFAULT_PRIORS, **(priors or {})}
    names, means, sds = [], [], []
    n_slots = max(len(c.parameter_names()) for c in channels)
    slots = -np.ones((n_slots, len(channels)), dtype=int)
    for ci, ch in enumerate(channels):
        for j, p in enumerate(ch.parameter_names()):
            slots[j, ci] = len(names)
            names.append((ch.name, p))
            if p == "roi":
                means.append(np.log(ch.roi_prior_median))
                sds.append(ch.roi_prior_sigma)
            else:
                means.append(priors[p].mean)
                sds.append(priors[p].sd)
    return Layout(channels, names, slots, np.array(means), np.array(sds))


def natural_parameters(z: np.ndarray, layout: Layout, reference_spend: np.ndarray) -> list[dict[str, float]]:
    """Map unconstrained z to each channel's natural parameters (decay share, K in spend units, ...)."""
    out = []
    for ci, ch in enumerate(layout.channels):
        vals = {}
        for j, p in enumerate(ch.parameter_names()):
            v = z[layout.slots[j, ci]]
            if p in _LOGIT:
                v = 1.0 / (1.0 + np.exp(-v))
                if p == "theta":
                    v = v * ch.max_lag
            elif p == "half_saturation":
                v = reference_spend[ci] * np.exp(v)
            elif p == "lam":
                v = np.exp(v) / reference_spend[ci]
            else:  # shape, hill_shape, roi
                v = np.exp(v)
            vals[p] = v
        if "hill_shape" in vals:
            vals["shape_saturation"] = vals.pop("hill_shape")
        out.append(vals)
    return out


def _saturation_params(ch: ChannelSpec, vals: dict) -> dict:
    if ch.saturation_kind == "hill":
        return {"half_saturation": vals["half_saturation"], "shape": vals["shape_saturation"]}
    if ch.saturation_kind == "logistic":
        return {"lam": vals["lam"]}
    return {"half_saturation": vals["half_saturation"]}




@dataclass
class MediaInputs:
    """Spend columns the media function transforms: the channels, then one switched-off copy per lift test."""

    spend: np.ndarray  # (T, K) columns
    column_channel: np.ndarray  # (K,) channel index of each column
    train: np.ndarray  # (T,) bool, weeks used for fitting
    reference_spend: np.ndarray  # (C,) mean weekly spend per channel over the training weeks
    train_spend_total: np.ndarray  # (C,)
    max_lag: int


def media_inputs(spend: np.ndarray, train: np.ndarray, extra_columns: np.ndarray | None = None,
                 extra_channel: np.ndarray | None = None, max_lag: int = 13) -> MediaInputs:
    c = spend.shape[1]
    cols = spend if extra_columns is None else np.column_stack([spend, extra_columns])
    chan = np.arange(c) if extra_channel is None else np.concatenate([np.arange(c), extra_channel])
    total = spend[train].sum(axis=0)
    ref = np.where(total > 0, total / max(train.sum(), 1), 1.0)
    return MediaInputs(cols, chan.astype(int), train, ref, total, max_lag)


class MediaFunction:
    """Vectorised f[t, k] = sat(adstock(x_k))[t] for all spend columns, precomputed per layout.

    Channels are grouped by adstock and saturation kind so one numpy expression transforms a whole
    group; this is the hot path of the fit (hundreds of calls per start).
    """

    def __init__(self, layout: Layout, inputs: MediaInputs):
        self.layout, self.inputs = layout, inputs
        chans = layout.channels
        self.lmax = max(ch.max_lag for ch in chans)
        self.lags = np.arange(self.lmax + 1, dtype=float)[:, None]
        self.lag_mask = np.array([[1.0 if lag <= ch.max_lag else 0.0 for ch in chans] for lag in range(self.lmax + 1)])
        self.max_lags = np.array([ch.max_lag for ch in chans], dtype=float)
        self.col = inputs.column_channel
        self.roi_idx = layout.roi_index()

        def groups(kind_of):
            out = {}
            for kind in dict.fromkeys(kind_of(ch) for ch in chans):
                idx = np.array([i for i, ch in enumerate(chans) if kind_of(ch) == kind])
                names = chans[idx[0]].parameter_names()
                pidx = {p: np.array([layout.index(chans[i].name, p) for i in idx]) for p in names}
                cols = np.flatnonzero(np.isin(self.col, idx))
                pos = np.searchsorted(idx, self.col[cols])  # column -> position within the group
                out[kind] = (idx, pidx, cols, pos)
            return out

        self.adstock_groups = groups(lambda ch: ch.adstock_kind)
        self.saturation_groups = groups(lambda ch: ch.saturation_kind)

    def weights(self, z: np.ndarray) -> np.ndarray:
        w_all = np.zeros((self.lmax + 1, len(self.layout.channels)))
        for kind, (idx, pidx, _, _) in self.adstock_groups.items():
            if kind == "geometric":
                alpha = 1.0 / (1.0 + np.exp(-z[pidx["alpha"]]))
                w = alpha[None, :] ** self.lags
            elif kind == "delayed":
                alpha = 1.0 / (1.0 + np.exp(-z[pidx["alpha"]]))
                theta = self.max_lags[idx] / (1.0 + np.exp(-z[pidx["theta"]]))
                w = alpha[None, :] ** ((self.lags - theta[None, :]) ** 2)
            else:  # Weibull kinds: per channel (rare, slower)
                w = np.zeros((self.lmax + 1, len(idx)))
                for g, ci in enumerate(idx):
                    params = {"shape": np.exp(z[pidx["shape"][g]]), "scale": 1.0 / (1.0 + np.exp(-z[pidx["scale"][g]]))}
                    lag = self.layout.channels[ci].max_lag
                    w[: lag + 1, g] = adstock_weights(kind, params, lag, normalize=False)
            w = w * self.lag_mask[:, idx]
            w_all[:, idx] = w / np.maximum(w.sum(axis=0, keepdims=True), 1e-300)
        return w_all

    def features(self, z: np.ndarray) -> np.ndarray:
        adstocked = convolve_lags(self.inputs.spend, self.weights(z)[:, self.col])
        f = np.empty_like(adstocked)
        ref = self.inputs.reference_spend
        for kind, (idx, pidx, cols, pos) in self.saturation_groups.items():
            x = adstocked[:, cols]
            if kind == "hill":
                k = (ref[idx] * np.exp(z[pidx["half_saturation"]]))[pos]
                s = np.exp(z[pidx["hill_shape"]])[pos]
                with np.errstate(divide="ignore", over="ignore"):
                    f[:, cols] = 1.0 / (1.0 + np.exp(s * (np.log(k) - np.log(np.maximum(x, 1e-300)))))
            elif kind == "logistic":
                lam = (np.exp(z[pidx["lam"]]) / ref[idx])[pos]
                f[:, cols] = np.tanh(lam * x / 2.0)
            else:
                k = (ref[idx] * np.exp(z[pidx["half_saturation"]]))[pos]
                f[:, cols] = x / (k + x)
        return f


def media_function(layout: Layout, inputs: MediaInputs) -> MediaFunction:
    """The (cached) vectorised media function of a layout and its inputs."""
    cached = getattr(inputs, "_media_function", None)
    if cached is None or cached.layout is not layout:
        cached = MediaFunction(layout, inputs)
        inputs._media_function = cached
    return cached




def media_effects(z: np.ndarray, layout: Layout, inputs: MediaInputs) -> tuple[np.ndarray, np.ndarray]:
    """Weekly media effect m[t, k] of every spend column, and beta per channel.

    beta_c = roi_c * (training spend of c) / (sum over training weeks of f_c).
    """
    fn = media_function(layout, inputs)
    f = fn.features(z)
    c = len(layout.channels)
    fsum = f[inputs.train, :c].sum(axis=0)
    roi = np.exp(z[fn.roi_idx])
    beta = np.where(fsum > 0, roi * inputs.train_spend_total / np.where(fsum > 0, fsum, 1.0), 0.0)
    return f * beta[inputs.column_channel], beta






def saturation_parameters(vals: dict, ch: ChannelSpec) -> dict:
    return _saturation_params(ch, vals)


@dataclass
class Baseline:
    """Baseline design B (columns standardised except the intercept) and its component groups."""

    design: np.ndarray  # (T, P)
    columns: list[str]
    groups: dict[str, list[int]] = field(default_factory=dict)  # component -> column indexes


def fourier_terms(weeks: pd.DatetimeIndex, order: int) -> pd.DataFrame:
    """sin/cos(2 pi k day_of_year / 365.25), k = 1..order."""
    day = np.asarray(weeks.day_of_year, dtype=float)
    cols = {}
    for k in range(1, order + 1):
        cols[f"sin_{k}"] = np.sin(2 * np.pi * k * day / 365.25)
        cols[f"cos_{k}"] = np.cos(2 * np.pi * k * day / 365.25)
    return pd.DataFrame(cols, index=weeks)


def build_baseline(weeks: pd.DatetimeIndex, controls: pd.DataFrame | None, holiday_count: np.ndarray | None,
                   seasonality_order: int, train: np.ndarray, trend: bool = True) -> Baseline:
    """Intercept, trend (weeks since start / 52), Fourier seasonality, holidays, controls.

    Columns other than the intercept are centred and scaled on the training weeks; columns constant
    over the training weeks are dropped (they cannot be estimated).
    """
    n = len(weeks)
    parts: list[tuple[str, str, np.ndarray]] = [("intercept", "intercept", np.ones(n))]
    if trend:
        parts.append(("trend", "trend", np.arange(n) / 52.0))
    for name, col in fourier_terms(weeks, seasonality_order).items():
        parts.append(("seasonality", name, col.to_numpy()))
    if holiday_count is not None:
        parts.append(("holidays", "holiday_count", np.asarray(holiday_count, float)))
    if controls is not None:
        for name in controls.columns:
            parts.append((str(name), str(name), controls[name].to_numpy(dtype=float)))
    cols, names, groups = [], [], {}
    for group, name, x in parts:
        if group != "intercept":
            sd = x[train].std()
            if not np.isfinite(sd) or sd < 1e-12:
                continue
            x = (x - x[train].mean()) / sd
        groups.setdefault(group, []).append(len(cols))
        cols.append(x)
        names.append(name)
    return Baseline(np.column_stack(cols), names, groups)
