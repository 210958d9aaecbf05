"""Adstock (carry-over) and saturation (diminishing returns) forms: one class each, one registry.

A form is a class that carries everything about it in one place:

* ``kind``: the value written in ``seeds/channel_config.csv`` (``adstock_kind`` / ``saturation_kind``);
* ``parameters``: each with its name, its prior (normal on an unconstrained scale ``z``) and the
  ``link`` that maps ``z`` to the natural scale (a share, a positive number, spend units, ...);
* its vectorised formula (``weights`` for an adstock, ``apply`` and ``derivative`` for a saturation).

The fit, the posterior analysis, the response curves, the optimizer and the demo generator all call
these classes, so each formula is written once. A parameter has one name from prior to output table:
its ``full_name`` is prefixed by the component (``adstock_alpha``, ``saturation_shape``), as in
PyMC-Marketing's components. Adding a form is one class decorated with ``@register`` plus its
known-answer test (see docs/engine.md).

Conventions. Spend ``x`` is one series ``(T,)`` or channels side by side ``(T, C)``; parameters are
scalars or ``(C,)`` arrays. Adstock weights are defined for lags 0..max_lag; the model normalises them
to sum to 1, so a spend held at x has steady-state adstock x and saturation parameters stay in spend
units. Saturations map x >= 0 into [0, 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

# --------------------------------------------------------------------------- parameters and links


@dataclass(frozen=True)
class Prior:
    """Normal prior on the unconstrained scale: z ~ N(mean, sd)."""

    mean: float
    sd: float


LINKS = ("logistic", "logistic_max_lag", "log", "log_times_spend", "log_per_spend")
"""How z maps to the natural value v (ref = the channel's mean weekly spend over the training weeks):

* ``logistic``: v = 1 / (1 + e^-z), a share in (0, 1);
* ``logistic_max_lag``: v = max_lag / (1 + e^-z), a lag in (0, max_lag);
* ``log``: v = e^z, positive;
* ``log_times_spend``: v = ref * e^z, in spend units (a half-saturation point);
* ``log_per_spend``: v = e^z / ref, per unit of spend (a logistic rate).
"""


def to_natural(z: np.ndarray, link: np.ndarray | str, reference_spend, max_lag) -> np.ndarray:
    """Map unconstrained ``z`` to natural values (elementwise; arrays broadcast, z may carry draws in front)."""
    z = np.asarray(z, dtype=float)
    link = np.asarray(link)
    sig = 1.0 / (1.0 + np.exp(-z))
    ez = np.exp(z)
    ref = np.asarray(reference_spend, dtype=float)
    lag = np.asarray(max_lag, dtype=float)
    out = np.where(link == "logistic", sig, np.nan)
    out = np.where(link == "logistic_max_lag", lag * sig, out)
    out = np.where(link == "log", ez, out)
    out = np.where(link == "log_times_spend", ref * ez, out)
    return np.where(link == "log_per_spend", ez / ref, out)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a form: short name within the form, link to the natural scale, default prior."""

    name: str
    link: str
    prior: Prior
    description: str

    def __post_init__(self) -> None:
        if self.link not in LINKS:
            raise ValueError(f"parameter {self.name}: unknown link {self.link!r}; expected one of {LINKS}")


# --------------------------------------------------------------------------- base classes


class Adstock:
    """Carry-over: a[t] = sum_{l=0}^{L} w[l] x[t - l], lag weights w from the form's parameters."""

    component: ClassVar[str] = "adstock"
    kind: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]]

    def weights(self, params: Mapping[str, np.ndarray], lags: np.ndarray, max_lag: np.ndarray) -> np.ndarray:
        """Raw (unnormalised) weights, shape (L + 1, C); ``lags`` is (L + 1, 1), params and max_lag (C,)."""
        raise NotImplementedError


class Saturation:
    """Diminishing returns: s(x) in [0, 1), increasing in x >= 0, s(0) = 0."""

    component: ClassVar[str] = "saturation"
    kind: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]]

    def apply(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError


ADSTOCKS: dict[str, Adstock] = {}
SATURATIONS: dict[str, Saturation] = {}


def register(cls: type) -> type:
    """Class decorator: add a form to its registry under its ``kind``."""
    registry = ADSTOCKS if issubclass(cls, Adstock) else SATURATIONS if issubclass(cls, Saturation) else None
    if registry is None:
        raise TypeError(f"{cls.__name__} is neither an Adstock nor a Saturation")
    if cls.kind in registry:
        raise ValueError(f"{cls.component} kind {cls.kind!r} is registered twice")
    registry[cls.kind] = cls()
    return cls


def full_name(component: str, parameter: str) -> str:
    """The one name of a parameter from prior to output table: ``<component>_<parameter>``."""
    return f"{component}_{parameter}"


def get_adstock(kind: str) -> Adstock:
    """The adstock form ``kind``; a clear error naming the allowed kinds otherwise."""
    try:
        return ADSTOCKS[kind]
    except KeyError:
        raise ValueError(f"unknown adstock_kind {kind!r}; allowed: {', '.join(ADSTOCKS)}") from None


def get_saturation(kind: str) -> Saturation:
    """The saturation form ``kind``; a clear error naming the allowed kinds otherwise."""
    try:
        return SATURATIONS[kind]
    except KeyError:
        raise ValueError(f"unknown saturation_kind {kind!r}; allowed: {', '.join(SATURATIONS)}") from None


def _arr(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


# --------------------------------------------------------------------------- adstock forms


@register
class GeometricAdstock(Adstock):
    """Geometric decay: w[l] = alpha^l. ``alpha`` in [0, 1) is the share carried from one week to the next."""

    kind = "geometric"
    parameters = (
        # alpha = logistic(z): median 0.38, 90% range 0.06-0.85
        Parameter("alpha", "logistic", Prior(-0.5, 1.2), "share of the effect carried to the next week"),
    )

    def weights(self, params, lags, max_lag):
        return _arr(params["alpha"]) ** lags


@register
class DelayedAdstock(Adstock):
    """Delayed (peaked) decay: w[l] = alpha^((l - theta)^2); the effect peaks ``theta`` weeks after spend."""

    kind = "delayed"
    parameters = (
        Parameter("alpha", "logistic", Prior(-0.5, 1.2), "how fast the effect fades around its peak"),
        # theta = max_lag * logistic(z): median max_lag / 4
        Parameter("theta", "logistic_max_lag", Prior(-1.1, 1.0), "weeks from spend to peak effect"),
    )

    def weights(self, params, lags, max_lag):
        return _arr(params["alpha"]) ** ((lags - _arr(params["theta"])) ** 2)


def _weibull_scale(scale, max_lag) -> np.ndarray:
    # Robyn rescales scale in [0, 1] to the window W = max_lag + 1: s = 1 + scale (W - 1) (not rounded here)
    return 1.0 + _arr(scale) * _arr(max_lag)


@register
class WeibullCdfAdstock(Adstock):
    """Weibull-CDF decay (Robyn): w[0] = 1, w[l] = prod_{j=1}^{l} (1 - F(j)), F the Weibull CDF with
    shape k and scale s = 1 + scale * max_lag; i.e. w[l] = exp(-sum_{j<=l} (j / s)^k). Shape < 1 decays
    fast then slow, shape > 1 slow then fast."""

    kind = "weibull_cdf"
    parameters = (
        # shape = exp(z): median 1, 90% range 0.3-3.7
        Parameter("shape", "log", Prior(0.0, 0.8), "Weibull shape of the decay"),
        # scale = logistic(z): median 0.27 of the window
        Parameter("scale", "logistic", Prior(-1.0, 1.0), "Weibull scale as a share of the lag window"),
    )

    def weights(self, params, lags, max_lag):
        k, s = _arr(params["shape"]), _weibull_scale(params["scale"], max_lag)
        terms = (lags[1:] / s) ** k  # j = 1..L
        cum = np.cumsum(terms, axis=0)
        return np.concatenate([np.ones((1,) + cum.shape[1:]), np.exp(-cum)], axis=0)


@register
class WeibullPdfAdstock(Adstock):
    """Weibull-PDF lag weights (Robyn): w[l] = f(l + 1) min-max normalised to [0, 1] over the window
    l = 0..max_lag, f the Weibull density with shape k and scale s = 1 + scale * max_lag. Allows a delayed
    peak (shape > 1). A flat density (all weights 0) puts the whole effect at lag 0."""

    kind = "weibull_pdf"
    parameters = WeibullCdfAdstock.parameters

    def weights(self, params, lags, max_lag):
        k, s = _arr(params["shape"]), _weibull_scale(params["scale"], max_lag)
        u = (lags + 1.0) / s
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = (k / s) * u ** (k - 1.0) * np.exp(-(u ** k))
        inside = lags <= _arr(max_lag)
        lo = np.min(np.where(inside, dens, np.inf), axis=0, keepdims=True)
        hi = np.max(np.where(inside, dens, -np.inf), axis=0, keepdims=True)
        w = np.where(inside, (dens - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)
        lag0 = (lags == 0).astype(float) * np.ones_like(w)
        return np.where(np.sum(w, axis=0, keepdims=True) > 0, w, lag0)


# --------------------------------------------------------------------------- saturation forms


@register
class HillSaturation(Saturation):
    """Hill curve: x^s / (x^s + K^s) = 1 / (1 + (K / x)^s), K = ``half_saturation`` (the x giving half the
    maximum), s = ``shape`` (s <= 1 concave, s > 1 S-shaped). Derivative s K^s x^(s-1) / (x^s + K^s)^2."""

    kind = "hill"
    parameters = (
        # K = reference spend * exp(z): median = mean weekly spend, 90% range 0.3x-3.2x
        Parameter("half_saturation", "log_times_spend", Prior(0.0, 0.7), "weekly spend giving half the maximum effect"),
        # s = exp(z): median 1.2, 90% range 0.55-2.7
        Parameter("shape", "log", Prior(0.2, 0.5), "steepness of the curve (above 1: S-shaped)"),
    )

    def apply(self, x, params):
        # computed as 1 / (1 + exp(s (log K - log x))): stable for large and small ratios
        x, k, s = _arr(x), _arr(params["half_saturation"]), _arr(params["shape"])
        with np.errstate(divide="ignore", over="ignore"):
            value = 1.0 / (1.0 + np.exp(s * (np.log(k) - np.log(np.where(x > 0, x, 1.0)))))
        return np.where(x > 0, value, 0.0)

    def derivative(self, x, params):
        x, k, s = _arr(x), _arr(params["half_saturation"]), _arr(params["shape"])
        h = self.apply(x, params)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(x > 0, s * h * (1.0 - h) / np.where(x > 0, x, 1.0), 0.0)
        # at x = 0 the slope is 1/K for s = 1 and 0 for s > 1 (infinite for s < 1: capped)
        at_zero = np.where(s == 1.0, 1.0 / k, np.where(s > 1.0, 0.0, 1e12))
        return np.where(x > 0, d, at_zero)


@register
class LogisticSaturation(Saturation):
    """Logistic saturation (PyMC-Marketing): (1 - e^(-lam x)) / (1 + e^(-lam x)) = tanh(lam x / 2).
    Derivative (lam / 2) (1 - tanh^2(lam x / 2))."""

    kind = "logistic"
    parameters = (
        # lam = exp(z) / reference spend: median 1 / mean weekly spend
        Parameter("lam", "log_per_spend", Prior(0.0, 0.8), "rate at which returns flatten, per unit of weekly spend"),
    )

    def apply(self, x, params):
        return np.tanh(_arr(params["lam"]) * _arr(x) / 2.0)

    def derivative(self, x, params):
        lam = _arr(params["lam"])
        return lam / 2.0 * (1.0 - np.tanh(lam * _arr(x) / 2.0) ** 2)


@register
class MichaelisMentenSaturation(Saturation):
    """Michaelis-Menten: x / (K + x), K = ``half_saturation``. Derivative K / (K + x)^2."""

    kind = "michaelis_menten"
    parameters = (HillSaturation.parameters[0],)

    def apply(self, x, params):
        x = _arr(x)
        return x / (_arr(params["half_saturation"]) + x)

    def derivative(self, x, params):
        k = _arr(params["half_saturation"])
        return k / (k + _arr(x)) ** 2


ADSTOCK_KINDS = tuple(ADSTOCKS)
SATURATION_KINDS = tuple(SATURATIONS)

# --------------------------------------------------------------------------- functions over the forms


def convolve_lags(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Causal convolution a[t] = sum_l w[l] x[t - l] (x[t - l] = 0 before the first week).

    ``x``: (T,) or (T, C). ``weights``: (L + 1,) or (L + 1, C), lag 0 first.
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    out = w[0] * x
    for lag in range(1, min(w.shape[0], x.shape[0])):
        out[lag:] += w[lag] * x[:-lag]
    return out


def adstock_weights(kind: str, params: Mapping[str, object], max_lag: int, normalize: bool = True) -> np.ndarray:
    """Lag weights of adstock ``kind`` for lags 0..max_lag, shape (L + 1,) or (L + 1, C) for (C,) params.

    ``normalize`` divides them by their sum (the model's convention: steady-state adstock = spend);
    ``normalize=False`` keeps the raw weights (geometric: w[0] = 1, as Robyn and Meridian).
    """
    form = get_adstock(kind)
    ndim = max((np.ndim(v) for v in params.values()), default=0)
    lags = np.arange(max_lag + 1, dtype=float).reshape((-1,) + (1,) * ndim)
    w = form.weights({k: _arr(v) for k, v in params.items()}, lags, np.asarray(max_lag, dtype=float))
    return w / np.sum(w, axis=0, keepdims=True) if normalize else w


def apply_adstock(x, kind: str, params: Mapping[str, object], max_lag: int, normalize: bool = True) -> np.ndarray:
    """Adstock ``kind`` applied to ``x`` (T,) or (T, C)."""
    return convolve_lags(x, adstock_weights(kind, params, max_lag, normalize))


def apply_saturation(x, kind: str, params: Mapping[str, object]) -> np.ndarray:
    """Saturation ``kind`` at ``x`` (parameters by short name, e.g. ``half_saturation``, ``shape``)."""
    return get_saturation(kind).apply(x, params)


def saturation_derivative(x, kind: str, params: Mapping[str, object]) -> np.ndarray:
    """d saturation / dx for ``kind``."""
    return get_saturation(kind).derivative(x, params)


# Convenience names for the common forms (documentation, tests, the demo generator).


def geometric_adstock(x, alpha, max_lag: int = 8, normalize: bool = True) -> np.ndarray:
    """a[t] = sum_{l=0}^{L} alpha^l x[t-l] (/ sum_l alpha^l when normalize)."""
    return apply_adstock(x, "geometric", {"alpha": alpha}, max_lag, normalize)


def delayed_adstock(x, alpha, theta, max_lag: int = 8, normalize: bool = True) -> np.ndarray:
    """a[t] = sum_l alpha^((l - theta)^2) x[t-l] (/ the weights' sum when normalize)."""
    return apply_adstock(x, "delayed", {"alpha": alpha, "theta": theta}, max_lag, normalize)


def weibull_cdf_adstock(x, shape, scale, max_lag: int = 12, normalize: bool = True) -> np.ndarray:
    """Weibull-CDF adstock (Robyn); see ``WeibullCdfAdstock``."""
    return apply_adstock(x, "weibull_cdf", {"shape": shape, "scale": scale}, max_lag, normalize)


def weibull_pdf_adstock(x, shape, scale, max_lag: int = 12, normalize: bool = True) -> np.ndarray:
    """Weibull-PDF adstock (Robyn); see ``WeibullPdfAdstock``."""
    return apply_adstock(x, "weibull_pdf", {"shape": shape, "scale": scale}, max_lag, normalize)


def hill(x, half_saturation, shape) -> np.ndarray:
    """Hill curve 1 / (1 + (K / x)^s); see ``HillSaturation``."""
    return apply_saturation(x, "hill", {"half_saturation": half_saturation, "shape": shape})


def hill_derivative(x, half_saturation, shape) -> np.ndarray:
    return saturation_derivative(x, "hill", {"half_saturation": half_saturation, "shape": shape})


def logistic(x, lam) -> np.ndarray:
    """tanh(lam x / 2); see ``LogisticSaturation``."""
    return apply_saturation(x, "logistic", {"lam": lam})


def logistic_derivative(x, lam) -> np.ndarray:
    return saturation_derivative(x, "logistic", {"lam": lam})


def michaelis_menten(x, half_saturation) -> np.ndarray:
    """x / (K + x); see ``MichaelisMentenSaturation``."""
    return apply_saturation(x, "michaelis_menten", {"half_saturation": half_saturation})


def michaelis_menten_derivative(x, half_saturation) -> np.ndarray:
    return saturation_derivative(x, "michaelis_menten", {"half_saturation": half_saturation})
