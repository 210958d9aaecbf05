"""Re-optimise a market's weekly budget from the stored response curves (no refit).

Each channel's curve (fct_response_curves: weekly_spend -> expected_weekly_revenue, lower, upper) becomes a
`mmm.response.TabulatedResponse`; `mmm.optimize.optimize_allocation` then splits the budget within the
channel bounds of fct_optimal_allocation. The interval of the revenue change evaluates the lower (upper)
edge of every channel's band at both allocations: "if every curve sat at the low (high) edge of its band".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

try:  # written by the engine; the Budget section shows a note when it is not installed
    from mmm.optimize import optimize_allocation
    from mmm.response import TabulatedResponse

    IMPORT_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - depends on the installed package
    optimize_allocation = TabulatedResponse = None  # type: ignore[assignment]
    IMPORT_ERROR = str(exc)


class ReoptimizeError(Exception):
    """The budget cannot be re-optimised from these tables; the message is meant for the reader."""


@dataclass(frozen=True)
class Reallocation:
    channels: list[str]
    current: np.ndarray
    optimal: np.ndarray
    lower_bound: np.ndarray
    upper_bound: np.ndarray
    binding: list[str]
    revenue_current: float
    revenue_optimal: float
    change_lower: float
    change_upper: float
    marginal_roi: float
    message: str

    @property
    def revenue_change(self) -> float:
        return self.revenue_optimal - self.revenue_current

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "channel": self.channels,
                "current_weekly_spend": self.current,
                "optimal_weekly_spend": self.optimal,
                "min_weekly_spend": self.lower_bound,
                "max_weekly_spend": self.upper_bound,
                "binding_constraint": self.binding,
            }
        )


def available() -> bool:
    return IMPORT_ERROR is None


def _responses(curves: pd.DataFrame, channels: list[str], column: str) -> list:
    responses = []
    for channel in channels:
        curve = curves[curves["channel"] == channel].sort_values("weekly_spend")
        if curve.empty:
            raise ReoptimizeError(f"No response curve stored for channel {channel!r}.")
        try:
            responses.append(TabulatedResponse(curve["weekly_spend"].to_numpy(float), curve[column].to_numpy(float)))
        except ValueError as exc:
            raise ReoptimizeError(f"The stored {column} curve of {channel!r} cannot be used: {exc}") from exc
    return responses


def _total(responses: list, spend: np.ndarray) -> float:
    return float(sum(np.asarray(r.revenue(x), dtype=float).sum() for r, x in zip(responses, spend)))


def _interp_total(curves: pd.DataFrame, channels: list[str], column: str, spend: np.ndarray) -> float:
    total = 0.0
    for channel, x in zip(channels, spend):
        curve = curves[curves["channel"] == channel].sort_values("weekly_spend")
        total += float(np.interp(x, curve["weekly_spend"], curve[column]))
    return total


def change_interval(curves: pd.DataFrame, channels: list[str], current: np.ndarray, optimal: np.ndarray) -> tuple[float, float]:
    """(low, high) revenue change from `current` to `optimal` with every curve at the low / high edge of
    its band; (nan, nan) when the curves have no band. Uses the package's interpolation when installed."""
    if not {"lower", "upper"} <= set(curves.columns) or curves.empty:
        return float("nan"), float("nan")
    changes = []
    for column in ("lower", "upper"):
        try:
            if not available():
                raise ReoptimizeError("package not installed")
            responses = _responses(curves, channels, column)
            changes.append(_total(responses, optimal) - _total(responses, current))
        except ReoptimizeError:
            changes.append(_interp_total(curves, channels, column, optimal) - _interp_total(curves, channels, column, current))
    return min(changes), max(changes)


def reoptimize(allocation: pd.DataFrame, curves: pd.DataFrame, budget: float) -> Reallocation:
    """Best split of `budget` (total weekly spend of the market) over the channels of `allocation`."""
    if not available():
        raise ReoptimizeError(f"The optimizer package is not available ({IMPORT_ERROR}).")
    allocation = allocation.sort_values("channel").reset_index(drop=True)
    channels = [str(c) for c in allocation["channel"]]
    current = allocation["current_weekly_spend"].to_numpy(float)
    lower = allocation["min_weekly_spend"].to_numpy(float)
    upper = allocation["max_weekly_spend"].to_numpy(float)
    if budget < lower.sum() - 1e-6 or budget > upper.sum() + 1e-6:
        raise ReoptimizeError(
            f"A weekly budget of {budget:,.0f} is outside what the channel bounds allow "
            f"({lower.sum():,.0f} to {upper.sum():,.0f}): every channel must stay between its minimum and "
            "maximum weekly spend."
        )
    expected = _responses(curves, channels, "expected_weekly_revenue")
    result = optimize_allocation(expected, current, lower, upper, float(budget), seed=0)
    optimal = np.asarray(result.optimal, dtype=float)
    if optimal.shape != current.shape or not np.all(np.isfinite(optimal)):
        raise ReoptimizeError(f"The optimizer did not find an allocation: {getattr(result, 'message', '')}")
    change_lower, change_upper = change_interval(curves, channels, current, optimal)
    binding = [str(b or "") for b in getattr(result, "binding", [""] * len(channels))]
    return Reallocation(
        channels,
        current,
        optimal,
        lower,
        upper,
        binding,
        _total(expected, current),
        _total(expected, optimal),
        change_lower,
        change_upper,
        float(getattr(result, "marginal_roi", float("nan"))),
        str(getattr(result, "message", "")),
    )
