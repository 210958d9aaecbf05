"""The run history: what every build said, one row per build, market and channel, never overwritten.

``mmm_run_history`` (an incremental dbt model) appends this build's rows to the rows of earlier builds:
the run id (dbt's ``invocation_id``), the as-of date, the data window, an input fingerprint, the package
version, each channel's ROI, marginal ROI and contribution with intervals, the market's fit metrics, the
recommended allocation and a summary of the channel's posterior (which the refresh mode, mmm.refresh,
turns into the next run's prior). A normal build never rewrites it; ``dbt build --full-refresh`` (or
``--select mmm_run_history --full-refresh``) resets it.

Same input, same state. ``input_fingerprint`` hashes everything a market's results depend on: its weekly
input, lift tests, channel settings, the fit settings, every run setting, the refresh settings and the
package version. Two builds of the same input and settings share it, so the second is marked
``same_as_run_id`` = the first and is not a new state: comparisons between runs (alerts, the refresh
prior, the dashboard's ROI over runs) always look at the previous *different* state.

The previous run of a market is the latest run (by the last modeled week, then by start time) whose
fingerprint differs from the current one and whose data end no later than the current data: a backtest
at an earlier ``as_of_date`` compares with runs before it, and the next normal build ignores it. The
refresh prior takes the latest run whose data end strictly earlier (new weeks since), never a run on the
same weeks with other settings.

Schema versions. Every row carries the ``history_schema_version`` it was written with. Before appending,
the stored table is checked (``plan_migration``): a table written by this version is appended to; one
written by an older version whose every later change only added columns is migrated in place (the new
columns are added, null in the old rows, which keep their version number); anything else (no version
column, a newer version, a version whose columns changed meaning, columns that are not the schema's) is
rejected with a message saying how to reset it. Old and new rows are never silently mixed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

import mmm
from mmm.fit import FitConfig
from mmm.model import build_layout
from mmm.operations import OperationsSettings
from mmm.refresh import channel_record
from mmm.results import FitResult, input_fingerprint
from mmm.settings import RunSettings

HISTORY_SCHEMA_VERSION = 1

HISTORY_COLUMNS: tuple[str, ...] = (
    "history_schema_version", "run_id", "run_started_at", "as_of_date", "market",
    "first_week_start_date", "last_week_start_date", "n_weeks",
    "input_fingerprint", "same_as_run_id", "prior_run_id", "package_version",
    "channel", "display_name", "spend",
    "contribution", "contribution_lower", "contribution_upper",
    "roi", "roi_lower", "roi_upper", "mroi", "mroi_lower", "mroi_upper",
    "current_weekly_spend", "optimal_weekly_spend", "lowest_weekly_spend", "highest_weekly_spend",
    "in_sample_r2", "in_sample_mape", "holdout_mape", "holdout_r2", "cv_mape", "cv_r2", "interval_level",
    "posterior_json",
)
FIT_METRICS = ("in_sample_r2", "in_sample_mape", "holdout_mape", "holdout_r2", "cv_mape", "cv_r2")
RESET_HINT = ("Reset it with `dbt build --select mmm_run_history+ --full-refresh` (to keep the old runs, copy the "
              "table first: `create table mmm_run_history_backup as select * from mmm_run_history`).")


class HistorySchemaError(RuntimeError):
    """The stored run history cannot be appended to by this version of the package."""


@dataclass(frozen=True)
class HistorySchema:
    """One version of the history's layout. ``additive``: it only added columns to the version before it
    (so a table of that version migrates in place); False when a column changed meaning or was removed."""

    version: int
    columns: tuple[str, ...]
    additive: bool


# every version ever released, oldest first; the last is the one this package writes
HISTORY_SCHEMAS: tuple[HistorySchema, ...] = (HistorySchema(1, HISTORY_COLUMNS, additive=False),)


def plan_migration(columns: Sequence[str], versions: Iterable, schemas: Sequence[HistorySchema] = HISTORY_SCHEMAS,
                   table: str = "mmm_run_history") -> list[str]:
    """The columns to add to a stored history (``columns``, holding rows of ``versions``) before this
    version appends to it; [] when it is already current. Raises HistorySchemaError when it cannot be
    migrated, saying why and how to reset it."""
    current = schemas[-1]
    by_version = {s.version: s for s in schemas}
    columns = [str(c) for c in columns]
    if "history_schema_version" not in columns:
        raise HistorySchemaError(
            f"The stored run history `{table}` has no history_schema_version column, so it was not written by "
            f"this project's run history (or by a version before it was versioned); this package writes version "
            f"{current.version} and will not mix its rows with rows it cannot read. {RESET_HINT}")
    found = sorted({int(v) for v in versions if v is not None and not (isinstance(v, float) and np.isnan(v))})
    for v in found:
        if v > current.version:
            raise HistorySchemaError(
                f"The stored run history `{table}` has rows of schema version {v}, written by a newer version of the "
                f"package than this one (version {current.version}): upgrade the package, or reset the history. "
                f"{RESET_HINT}")
        if v not in by_version:
            raise HistorySchemaError(f"The stored run history `{table}` has rows of unknown schema version {v}. {RESET_HINT}")
        breaking = [s.version for s in schemas if s.version > v and not s.additive]
        if breaking:
            raise HistorySchemaError(
                f"The stored run history `{table}` has rows of schema version {v}; version(s) "
                f"{', '.join(map(str, breaking))} changed what its columns mean, so they cannot be migrated and are "
                f"not mixed with this version's rows (version {current.version}). {RESET_HINT}")
    newest = by_version[found[-1]] if found else current
    unknown = [c for c in columns if c not in current.columns]
    missing = [c for c in newest.columns if c not in columns]
    if unknown or missing:
        raise HistorySchemaError(
            f"The stored run history `{table}` does not have the columns of schema version {newest.version}"
            + (f"; unknown columns: {', '.join(unknown)}" if unknown else "")
            + (f"; missing columns: {', '.join(missing)}" if missing else "") + f". {RESET_HINT}")
    return [c for c in current.columns if c not in columns]


# ---------------------------------------------------------------------------------------- fingerprints


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        payload = p.encode()
        h.update(len(payload).to_bytes(8, "little") + payload)
    return h.hexdigest()


def settings_json(run_settings: pd.DataFrame) -> str:
    """The run settings (``mmm_run_settings`` rows) as canonical JSON."""
    return json.dumps({str(k): str(v) for k, v in sorted(zip(run_settings["setting_name"], run_settings["setting_value"]))},
                      sort_keys=True)


def market_fingerprints(model_input: pd.DataFrame, channel_settings: pd.DataFrame, lift_tests: pd.DataFrame | None,
                        run_settings: pd.DataFrame, operations: OperationsSettings,
                        package_version: str = mmm.__version__) -> dict[str, str]:
    """Per market: SHA-256 of its input (mmm.results.input_fingerprint with the configured channel settings,
    no refresh prior), every run setting, the refresh settings and the package version."""
    from mmm.tables import channel_specs, market_data  # tables imports the engine; keep this module light

    settings = RunSettings.from_table(run_settings)
    config, specs = FitConfig.from_settings(settings), channel_specs(channel_settings)
    extra = settings_json(run_settings)
    out = {}
    for market in sorted(model_input["market"].unique()):
        try:
            data = market_data(model_input, market, lift_tests)
        except ValueError:  # no revenue rows: fingerprint the rows themselves
            rows = model_input[model_input["market"] == market].astype(str)
            out[market] = _sha(rows.to_csv(index=False), extra, operations.refresh_json(), package_version)
            continue
        present = [s for s in specs if s.name in data.spend.columns] or specs
        out[market] = _sha(input_fingerprint(data, present, config), extra, operations.refresh_json(), package_version)
    return out


# ---------------------------------------------------------------------------------------- rows of a run


def posterior_summary(result: FitResult) -> dict[str, dict]:
    """Per channel: its forms and each parameter on the unconstrained scale as [MAP, posterior sd, prior
    mean, prior sd] (mmm.refresh.channel_record).

    The prior is the one this fit used (a refresh prior included), so a later run can tell what the data
    added (mmm.refresh)."""
    layout = build_layout(result.specs, result.config.priors)
    sd = np.sqrt(np.clip(np.diag(result.cov), 0.0, None))
    parameters: dict[str, dict[str, list[float]]] = {}
    for i, (channel, name) in enumerate(layout.names):
        parameters.setdefault(channel, {})[name] = [float(result.z[i]), float(sd[i]), float(layout.prior_mean[i]),
                                                    float(layout.prior_sd[i])]
    return {s.name: channel_record(s, parameters.get(s.name, {})) for s in result.specs}


def weekly_spend_range(model_input: pd.DataFrame) -> pd.DataFrame:
    """market, channel, lowest and highest weekly spend over the modeled weeks."""
    spend = model_input[model_input["variable_type"] == "spend"]
    out = spend.groupby(["market", "variable_name"])["value"].agg(["min", "max"]).reset_index()
    return out.rename(columns={"variable_name": "channel", "min": "lowest_weekly_spend", "max": "highest_weekly_spend"})


def data_windows(model_input: pd.DataFrame) -> pd.DataFrame:
    """market, first and last week_start_date and the number of weeks of the model input."""
    weeks = pd.to_datetime(model_input["week_start_date"])
    grouped = model_input.assign(week_start_date=weeks).groupby("market")["week_start_date"]
    return pd.DataFrame({"first_week_start_date": grouped.min(), "last_week_start_date": grouped.max(),
                         "n_weeks": grouped.nunique()}).reset_index()


def history_rows(context: Mapping, fit_table: pd.DataFrame, channel_summary: pd.DataFrame,
                 allocation: pd.DataFrame, model_checks: pd.DataFrame, model_input: pd.DataFrame,
                 fingerprints: Mapping[str, str], existing: pd.DataFrame | None = None,
                 prior_runs: Mapping[str, str] | None = None, interval_level: float = 0.9,
                 package_version: str = mmm.__version__) -> pd.DataFrame:
    """This build's rows of the run history (HISTORY_COLUMNS), one per fitted market and channel.

    ``context``: run_id, run_started_at, as_of_date (the ``mmm_run_context`` row). ``existing``: the stored
    history (to mark a repeat of an earlier state with ``same_as_run_id``). ``prior_runs``: market -> the run
    whose posterior was this build's prior (refresh mode).
    """
    prior_runs = prior_runs or {}
    fitted = fit_table[fit_table["status"] == "fitted"]
    if len(fitted) == 0:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    summary = channel_summary[channel_summary["market"].isin(fitted["market"])].copy()
    alloc = allocation[["market", "channel", "optimal_weekly_spend"]]
    summary = summary.merge(alloc, on=["market", "channel"], how="left")
    summary = summary.merge(weekly_spend_range(model_input), on=["market", "channel"], how="left")
    summary = summary.merge(data_windows(model_input), on="market", how="left")
    market_level = model_checks[(model_checks["channel"].fillna("") == "") & model_checks["check_name"].isin(FIT_METRICS)]
    metrics = market_level.pivot_table(index="market", columns="check_name", values="value", aggfunc="first")
    metrics = metrics.reindex(columns=list(FIT_METRICS))
    summary = summary.join(metrics, on="market")
    posteriors = {r.market: posterior_summary(FitResult.from_json(r.fit_result_json)) for r in fitted.itertuples()}
    summary["posterior_json"] = [json.dumps(posteriors.get(m, {}).get(c, {}), sort_keys=True)
                                 for m, c in zip(summary["market"], summary["channel"])]
    summary["input_fingerprint"] = summary["market"].map(fingerprints)
    same = {}
    if existing is not None and len(existing):
        first = existing.sort_values("run_started_at").drop_duplicates(["market", "input_fingerprint"])
        same = {(r.market, r.input_fingerprint): r.run_id for r in first.itertuples()}
    summary["same_as_run_id"] = [same.get((m, f)) for m, f in zip(summary["market"], summary["input_fingerprint"])]
    summary["prior_run_id"] = summary["market"].map(lambda m: prior_runs.get(m))
    summary["history_schema_version"] = HISTORY_SCHEMA_VERSION
    summary["run_id"] = str(context["run_id"])
    summary["run_started_at"] = pd.Timestamp(context["run_started_at"])
    summary["as_of_date"] = pd.Timestamp(context["as_of_date"])
    summary["package_version"] = package_version
    summary["interval_level"] = float(interval_level)
    out = summary[list(HISTORY_COLUMNS)].sort_values(["market", "channel"]).reset_index(drop=True)
    for col in ("same_as_run_id", "prior_run_id"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


# ---------------------------------------------------------------------------------------- reading the history


def states(history: pd.DataFrame) -> pd.DataFrame:
    """The history without repeats: the first run of each (market, input_fingerprint)."""
    if history is None or len(history) == 0:
        return history
    return history[history["same_as_run_id"].isna()]


def previous_runs(history: pd.DataFrame | None, current: Mapping[str, tuple[str, object]],
                  older_data_only: bool = False) -> pd.DataFrame:
    """The rows of each market's previous run: the latest run (by last modeled week, then start time) with
    another fingerprint and data ending no later than the current data (``older_data_only``: strictly
    earlier, as the refresh prior needs: a run on the same weeks would count them twice over).

    ``current``: market -> (input_fingerprint, last_week_start_date) of this build.
    """
    if history is None or len(history) == 0:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    frames = []
    last = pd.to_datetime(history["last_week_start_date"])
    started = pd.to_datetime(history["run_started_at"])
    for market, (fingerprint, end) in current.items():
        window = last < pd.Timestamp(end) if older_data_only else last <= pd.Timestamp(end)
        mask = (history["market"] == market) & (history["input_fingerprint"] != fingerprint) & window
        if not mask.any():
            continue
        candidates = history[mask].assign(_last=last[mask], _started=started[mask])
        best = candidates.sort_values(["_last", "_started"]).iloc[-1]["run_id"]
        frames.append(candidates[candidates["run_id"] == best].drop(columns=["_last", "_started"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=history.columns)


def read_stored(session, relation: str):
    """The rows of ``relation`` (a stored table read through the dbt session), or None when it does not exist."""
    from mmm.dbt_io import frame

    try:
        return frame(session.sql(f"select * from {relation}"))
    except Exception as exc:  # noqa: BLE001 - the adapters raise their own catalog errors
        text = str(exc).lower()
        if "does not exist" in text or "not found" in text or "catalog error" in text:
            return None
        raise


_TEXT = ("run_id", "market", "input_fingerprint", "same_as_run_id", "prior_run_id", "package_version", "channel",
         "display_name", "posterior_json")
_DATES = ("run_started_at", "as_of_date", "first_week_start_date", "last_week_start_date")
_INTEGERS = ("history_schema_version", "n_weeks")


def typed(rows: pd.DataFrame) -> pd.DataFrame:
    """History rows with fixed column types, so every build appends the same types (an all-null text column
    of the first build must not become a number column)."""
    out = rows.copy()
    for col in out.columns:
        if col in _TEXT:
            out[col] = out[col].astype("string")
        elif col in _DATES:
            out[col] = pd.to_datetime(out[col])
        elif col in _INTEGERS:
            out[col] = out[col].astype("int64")
        else:
            out[col] = out[col].astype(float)
    return out
