"""Settings of operating the model week after week: refresh, backtest and alerts (dbt vars, one typed place).

The dbt vars below have the same defaults in ``dbt_project.yml`` (a test keeps them equal). The SQL model
``mmm_operations_settings`` writes them as rows (setting_name, setting_value as JSON text), like
``mmm_run_settings`` does for the model's settings, and ``OperationsSettings.from_table`` reads them back.
They are kept apart from ``mmm.settings.RunSettings`` because they steer what happens around a fit (which
prior it starts from, which past origins are refitted, when an alert fires), not the fit of one build.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd

from mmm.settings import _parse


@dataclass(frozen=True)
class OperationsSettings:
    """The operations vars (README "Operating the model" explains each)."""

    refresh_from_previous_run: bool = False  # the previous run's posterior, tempered, becomes the prior
    refresh_prior_weight: float = 0.25  # a in the power prior: the previous run's data count (1 + a) times
    backtest_origins: int = 6  # past origins refitted in each build (0 = no backtest)
    backtest_spacing_weeks: int = 4  # weeks between two origins; the newest origin is this many weeks back
    backtest_horizon_weeks: int = 13  # weeks each origin forecasts (fewer when the data end sooner)
    alert_recent_weeks: int = 4  # the newest weeks the alerts look at

    def __post_init__(self) -> None:
        if not 0 <= self.refresh_prior_weight <= 1:
            raise ValueError(f"refresh_prior_weight must be between 0 and 1, got {self.refresh_prior_weight}")
        for name in ("backtest_origins", "backtest_spacing_weeks", "backtest_horizon_weeks", "alert_recent_weeks"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("backtest_spacing_weeks", "backtest_horizon_weeks", "alert_recent_weeks"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> OperationsSettings:
        """From vars by name (values may be JSON text as dbt renders them); defaults fill the rest."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw or {}) - set(known))
        if unknown:
            raise ValueError(f"unknown operations setting(s) {unknown}; known: {sorted(known)}")
        values = {}
        for name, value in (raw or {}).items():
            value = _parse(value)
            if value is None:
                continue
            default = known[name].default
            if isinstance(default, bool):
                if isinstance(value, str):
                    value = value.strip().lower() in ("true", "yes", "1", "on")
                values[name] = bool(value)
            elif isinstance(default, int):
                values[name] = int(value)
            else:
                values[name] = float(value)
        return cls(**values)

    @classmethod
    def from_table(cls, table: pd.DataFrame | None) -> OperationsSettings:
        """From the ``mmm_operations_settings`` model (setting_name, setting_value as JSON text)."""
        if table is None or len(table) == 0:
            return cls()
        return cls.from_mapping(dict(zip(table["setting_name"], table["setting_value"])))

    def refresh_json(self) -> str:
        """The settings that change a fit (part of the run fingerprint); the others only read the fit."""
        if not self.refresh_from_previous_run:
            return json.dumps({"refresh_from_previous_run": False})
        keep = {"refresh_from_previous_run", "refresh_prior_weight"}
        return json.dumps({k: v for k, v in asdict(self).items() if k in keep}, sort_keys=True)
