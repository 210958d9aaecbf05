"""Run settings: the dbt vars that steer the modeling step, in one typed place.

The defaults below are the same as the ``vars`` in ``dbt_project.yml`` (a test keeps them equal), so
the package behaves the same inside and outside dbt. The dbt Python models cannot call ``var()``: the
SQL model ``mmm_run_settings`` writes the vars as rows (setting_name, setting_value as JSON text), and
``RunSettings.from_table`` reads them back. An unknown setting name is an error, not ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

Budget = float | dict[str, float] | None


@dataclass(frozen=True)
class RunSettings:
    """User-facing run settings (README "Configuration" explains each)."""

    holdout_weeks: int = 13
    cv_folds: int = 3
    interval_level: float = 0.9
    seasonality_order: int = 2
    random_seed: int = 20261122
    allocation_lookback_weeks: int = 13
    budget_weekly: Budget = None
    optimizer_min_multiplier: float = 0.5
    optimizer_max_multiplier: float = 2.0
    target_revenue_weekly: Budget = None
    target_mroi: Budget = None
    min_weeks_required: int = 52
    reporting_currency: str = "USD"
    pooling: str = "partial"  # 'partial': markets share each channel's centre (2+ markets); 'none': independent fits
    min_weeks_pooled: int = 26  # a market with fewer than min_weeks_required but at least this many: fitted through the pool

    def __post_init__(self) -> None:
        if not 0 < self.interval_level < 1:
            raise ValueError(f"interval_level must be between 0 and 1, got {self.interval_level}")
        for name in ("holdout_weeks", "cv_folds", "allocation_lookback_weeks", "seasonality_order"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.pooling not in ("partial", "none"):
            raise ValueError(f"pooling must be 'partial' or 'none', got {self.pooling!r}")
        if not 0 <= self.optimizer_min_multiplier <= self.optimizer_max_multiplier:
            raise ValueError("optimizer_min_multiplier must be between 0 and optimizer_max_multiplier")

    @property
    def cv_horizon(self) -> int:
        """Weeks each cross-validation fold forecasts: the holdout length (at least 4)."""
        return max(int(self.holdout_weeks), 4)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> RunSettings:
        """From vars by name (values may be JSON text as dbt renders them); defaults fill the rest."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw or {}) - set(known))
        if unknown:
            raise ValueError(f"unknown run setting(s) {unknown}; known: {sorted(known)}")
        values = {}
        for name, value in (raw or {}).items():
            value = _parse(value)
            if value is None and known[name].default is not None:
                continue  # null for a setting that needs a value: keep the default
            values[name] = _coerce(name, value)
        return cls(**values)

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> RunSettings:
        """From the ``mmm_run_settings`` model (setting_name, setting_value as JSON text)."""
        return cls.from_mapping(dict(zip(table["setting_name"], table["setting_value"])))


_INTS = {"holdout_weeks", "cv_folds", "seasonality_order", "random_seed", "allocation_lookback_weeks",
         "min_weeks_required", "min_weeks_pooled"}
_FLOATS = {"interval_level", "optimizer_min_multiplier", "optimizer_max_multiplier"}


def _coerce(name: str, value: Any) -> Any:
    if name in _INTS:
        return int(value)
    if name in _FLOATS:
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): (None if v is None else float(v)) for k, v in value.items()}
    if name in ("reporting_currency", "pooling"):
        return str(value)
    return None if value is None else float(value)


def _parse(value: Any) -> Any:
    """dbt renders vars into text; turn 'null', numbers and JSON back into Python values."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("", "none", "null"):
            return None
        for candidate in (text, text.replace("'", '"')):
            try:
                return json.loads(candidate)
            except json.JSONDecodeError:
                continue
        return text
    return value
