"""Saturation (diminishing returns) transforms, all mapping spend-like x >= 0 into [0, 1).

Vectorised: ``x`` is (T,) or (T, C) and parameters are scalars or (C,) arrays.
"""

from __future__ import annotations

import numpy as np

SATURATION_KINDS = ("hill", "logistic", "michaelis_menten")
SATURATION_PARAMS = {"hill": ("half_saturation", "shape"), "logistic": ("lam",),
                     "michaelis_menten": ("half_saturation",)}


def hill(x, half_saturation, shape) -> np.ndarray:
    """Hill curve: x^s / (x^s + K^s), with K = ``half_saturation`` (the x giving half the maximum) and
    s = ``shape`` (s <= 1 concave, s > 1 S-shaped). Computed as 1 / (1 + (K / x)^s) for stability."""
    x = np.asarray(x, dtype=float)
    k = np.asarray(half_saturation, dtype=float)
    s = np.asarray(shape, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        ratio = np.where(x > 0, (k / np.where(x > 0, x, 1.0)) ** s, np.inf)
        return np.where(x > 0, 1.0 / (1.0 + ratio), 0.0)


def hill_derivative(x, half_saturation, shape) -> np.ndarray:
    """d/dx of the Hill curve: s K^s x^(s-1) / (x^s + K^s)^2."""
    x = np.asarray(x, dtype=float)
    k = np.asarray(half_saturation, dtype=float)
    s = np.asarray(shape, dtype=float)
    h = hill(x, k, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(x > 0, s * h * (1.0 - h) / np.where(x > 0, x, 1.0), 0.0)
    # at x = 0 the slope is 1/K for s = 1 and 0 for s > 1 (infinite for s < 1: capped)
    at_zero = np.where(s == 1.0, 1.0 / k, np.where(s > 1.0, 0.0, 1e12))
    return np.where(x > 0, d, at_zero)


def logistic(x, lam) -> np.ndarray:
    """Logistic saturation (PyMC-Marketing): (1 - e^(-lam x)) / (1 + e^(-lam x)) = tanh(lam x / 2)."""
    return np.tanh(np.asarray(lam, dtype=float) * np.asarray(x, dtype=float) / 2.0)


def logistic_derivative(x, lam) -> np.ndarray:
    """d/dx of the logistic saturation: (lam / 2) (1 - tanh^2(lam x / 2))."""
    lam = np.asarray(lam, dtype=float)
    return lam / 2.0 * (1.0 - np.tanh(lam * np.asarray(x, dtype=float) / 2.0) ** 2)


def michaelis_menten(x, half_saturation) -> np.ndarray:
    """Michaelis-Menten: x / (K + x), K = ``half_saturation``."""
    x = np.asarray(x, dtype=float)
    return x / (np.asarray(half_saturation, dtype=float) + x)


def michaelis_menten_derivative(x, half_saturation) -> np.ndarray:
    """d/dx of Michaelis-Menten: K / (K + x)^2."""
    k = np.asarray(half_saturation, dtype=float)
    return k / (k + np.asarray(x, dtype=float)) ** 2


def apply_saturation(x, kind: str, params: dict) -> np.ndarray:
    """Apply the saturation ``kind`` with parameters by name (see SATURATION_PARAMS)."""
    if kind == "hill":
        return hill(x, params["half_saturation"], params["shape"])
    if kind == "logistic":
        return logistic(x, params["lam"])
    if kind == "michaelis_menten":
        return michaelis_menten(x, params["half_saturation"])
    raise ValueError(f"unknown saturation kind {kind!r}; expected one of {SATURATION_KINDS}")


def saturation_derivative(x, kind: str, params: dict) -> np.ndarray:
    """d saturation / dx for ``kind``."""
    if kind == "hill":
        return hill_derivative(x, params["half_saturation"], params["shape"])
    if kind == "logistic":
        return logistic_derivative(x, params["lam"])
    if kind == "michaelis_menten":
        return michaelis_menten_derivative(x, params["half_saturation"])
    raise ValueError(f"unknown saturation kind {kind!r}; expected one of {SATURATION_KINDS}")
