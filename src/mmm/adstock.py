"""Adstock (carry-over) transforms.

Every adstock here is a causal convolution of weekly spend with lag weights::

    a[t] = sum_{l=0}^{L} w[l] * x[t - l]        (x[t - l] = 0 before the first week)

The functions differ only in how the weights ``w`` are built. ``x`` is either one series of shape
``(T,)`` or several channels side by side, shape ``(T, C)``; the parameters are then scalars or
arrays of shape ``(C,)`` (one per channel), so all channels are transformed in one vectorised call.

Conventions
-----------
* ``max_lag`` is the largest lag L: weights are defined for l = 0..L (L + 1 of them).
* ``normalize=True`` (the model's convention) rescales the weights to sum to 1, so a spend held
  at x every week has steady-state adstock x: saturation parameters stay in spend units and the
  adstock only moves spend in time, never inflates it. ``normalize=False`` keeps the raw weights
  (geometric: w[0] = 1, steady state x * sum(w) ~ x / (1 - alpha)), as Robyn and Meridian's
  unnormalised geometric adstock do.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

ADSTOCK_KINDS = ("geometric", "weibull_cdf", "weibull_pdf", "delayed")


def convolve_lags(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Causal convolution a[t] = sum_l w[l] x[t - l].

    ``x``: (T,) or (T, C). ``weights``: (L + 1,) or (L + 1, C), lag 0 first.
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    out = w[0] * x
    for lag in range(1, min(w.shape[0], x.shape[0])):
        out[lag:] += w[lag] * x[:-lag]
    return out


def _lags(max_lag: int, n_params: np.ndarray) -> np.ndarray:
    lags = np.arange(max_lag + 1, dtype=float)
    return lags.reshape((-1,) + (1,) * np.ndim(n_params))


def _finish(w: np.ndarray, normalize: bool) -> np.ndarray:
    if normalize:
        w = w / np.sum(w, axis=0, keepdims=True)
    return w


def geometric_weights(alpha, max_lag: int, normalize: bool = True) -> np.ndarray:
    """Geometric decay weights w[l] = alpha^l, l = 0..max_lag (divided by their sum if normalize)."""
    alpha = np.asarray(alpha, dtype=float)
    return _finish(alpha ** _lags(max_lag, alpha), normalize)


def geometric_adstock(x, alpha, max_lag: int = 8, normalize: bool = True) -> np.ndarray:
    """Geometric adstock: a[t] = sum_{l=0}^{L} alpha^l x[t-l] (/ sum_l alpha^l when normalize).

    ``alpha`` in [0, 1) is the share of the effect carried from one week to the next.
    """
    return convolve_lags(x, geometric_weights(alpha, max_lag, normalize))


def weibull_weights(shape, scale, max_lag: int, kind: str = "cdf", normalize: bool = True,
                    round_scale: bool = False) -> np.ndarray:
    """Weibull lag weights as Robyn defines them (window length W = max_lag + 1).

    Robyn rescales ``scale`` (in [0, 1]) to the window: s = quantile(1..W, scale) = 1 + scale (W - 1)
    (rounded to an integer in Robyn; ``round_scale=True`` reproduces that, the model keeps it smooth).

    * ``kind="cdf"``: w[0] = 1, w[l] = prod_{j=1}^{l} (1 - F(j; shape, s)), F the Weibull CDF: a
      decay whose rate changes over time (shape < 1 fast then slow, shape > 1 slow then fast).
    * ``kind="pdf"``: w[l] = f(l + 1; shape, s) min-max normalised to [0, 1] over the window, f the
      Weibull density: allows a delayed peak (shape > 1).

    Then divided by their sum when ``normalize``.
    """
    shape = np.asarray(shape, dtype=float)
    scale = np.asarray(scale, dtype=float)
    window = max_lag + 1
    s = 1.0 + scale * (window - 1)
    if round_scale:
        s = np.round(s)
    x_bin = _lags(max_lag, shape) + 1.0  # 1..W
    if kind == "cdf":
        survival = 1.0 - stats.weibull_min.cdf(x_bin[:-1], shape, scale=s)
        w = np.concatenate([np.ones((1,) + shape.shape), np.cumprod(survival, axis=0)], axis=0)
    elif kind == "pdf":
        dens = stats.weibull_min.pdf(x_bin, shape, scale=s)
        lo, hi = dens.min(axis=0, keepdims=True), dens.max(axis=0, keepdims=True)
        w = (dens - lo) / np.where(hi > lo, hi - lo, 1.0)
        w = np.where(np.sum(w, axis=0, keepdims=True) > 0, w, np.eye(window, 1).reshape(w.shape[:1] + (1,) * shape.ndim))
    else:
        raise ValueError(f"weibull kind must be 'cdf' or 'pdf', got {kind!r}")
    return _finish(w, normalize)


def weibull_cdf_adstock(x, shape, scale, max_lag: int = 12, normalize: bool = True,
                        round_scale: bool = False) -> np.ndarray:
    """Weibull-CDF adstock (Robyn): lag weights w[0] = 1, w[l] = prod_{j<=l} (1 - F(j)); see weibull_weights."""
    return convolve_lags(x, weibull_weights(shape, scale, max_lag, "cdf", normalize, round_scale))


def weibull_pdf_adstock(x, shape, scale, max_lag: int = 12, normalize: bool = True,
                        round_scale: bool = False) -> np.ndarray:
    """Weibull-PDF adstock (Robyn): lag weights w[l] = minmax(f(l + 1)); see weibull_weights."""
    return convolve_lags(x, weibull_weights(shape, scale, max_lag, "pdf", normalize, round_scale))


def delayed_weights(alpha, theta, max_lag: int, normalize: bool = True) -> np.ndarray:
    """Delayed (peaked) weights w[l] = alpha^((l - theta)^2): the effect peaks ``theta`` weeks after spend."""
    alpha = np.asarray(alpha, dtype=float)
    theta = np.asarray(theta, dtype=float)
    lags = _lags(max_lag, alpha)
    return _finish(alpha ** ((lags - theta) ** 2), normalize)


def delayed_adstock(x, alpha, theta, max_lag: int = 8, normalize: bool = True) -> np.ndarray:
    """Delayed adstock: a[t] = sum_l alpha^((l - theta)^2) x[t-l] / sum_l alpha^((l - theta)^2)."""
    return convolve_lags(x, delayed_weights(alpha, theta, max_lag, normalize))


def adstock_weights(kind: str, params: dict, max_lag: int, normalize: bool = True) -> np.ndarray:
    """Lag weights for an adstock ``kind`` with parameters by name (see ADSTOCK_PARAMS)."""
    if kind == "geometric":
        return geometric_weights(params["alpha"], max_lag, normalize)
    if kind == "weibull_cdf":
        return weibull_weights(params["shape"], params["scale"], max_lag, "cdf", normalize)
    if kind == "weibull_pdf":
        return weibull_weights(params["shape"], params["scale"], max_lag, "pdf", normalize)
    if kind == "delayed":
        return delayed_weights(params["alpha"], params["theta"], max_lag, normalize)
    raise ValueError(f"unknown adstock kind {kind!r}; expected one of {ADSTOCK_KINDS}")


def apply_adstock(x, kind: str, params: dict, max_lag: int, normalize: bool = True) -> np.ndarray:
    """Apply the adstock ``kind`` to ``x`` (T,) or (T, C)."""
    return convolve_lags(x, adstock_weights(kind, params, max_lag, normalize))


ADSTOCK_PARAMS = {
    "geometric": ("alpha",),
    "weibull_cdf": ("shape", "scale"),
    "weibull_pdf": ("shape", "scale"),
    "delayed": ("alpha", "theta"),
}
