"""Read-only access to the warehouse tables the dashboard shows.

The dashboard never refits anything: it reads the marts listed in docs/contracts.md section 2 and two
data-quality tables, nothing else. Each read opens the DuckDB file read-only and closes it at once, so
a `make build` can take the write lock while the dashboard is running.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

REPO_ROOT = Path(__file__).resolve().parent.parent

# The only tables this dashboard may read (docs/contracts.md section 2 + data quality).
MARTS: tuple[str, ...] = (
    "fct_fitted_revenue",
    "fct_contributions",
    "fct_channel_summary",
    "fct_response_curves",
    "fct_optimal_allocation",
    "fct_scenarios",
    "fct_diagnostics",
    "fct_lift_test_calibration",
)
DATA_QUALITY_TABLES: tuple[str, ...] = ("mmm_quarantine", "dq_validation_results", "mmm_data_sufficiency")
ALLOWED_TABLES: frozenset[str] = frozenset(MARTS + DATA_QUALITY_TABLES)

BUILD_HINT = "run `make build` first"


class WarehouseUnavailable(Exception):
    """The DuckDB file is missing or cannot be opened; the message is meant for the reader."""


@dataclass(frozen=True)
class TableResult:
    """A table read from the warehouse; `frame` is None when the table does not exist."""

    name: str
    frame: pd.DataFrame | None

    @property
    def is_missing(self) -> bool:
        return self.frame is None

    @property
    def is_empty(self) -> bool:
        return self.frame is None or self.frame.empty


def database_path() -> Path:
    """Path of the DuckDB file: env MMM_DUCKDB_PATH (relative to the working directory, like dbt's
    profile), else warehouse/mmm.duckdb under the repository root."""
    env = os.environ.get("MMM_DUCKDB_PATH", "").strip()
    if env:
        path = Path(env).expanduser()
        return path if path.is_absolute() else Path.cwd() / path
    return REPO_ROOT / "warehouse" / "mmm.duckdb"


def _file_version(path: Path) -> float:
    """Modification time, used as a cache key so a rebuilt warehouse is picked up on the next rerun."""
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def check_database() -> Path:
    """Return the warehouse path or raise WarehouseUnavailable with a readable message."""
    path = database_path()
    if not path.is_file():
        raise WarehouseUnavailable(f"No warehouse file at `{path}`: {BUILD_HINT}.")
    return path


@st.cache_data(show_spinner=False, max_entries=64)
def _read(path_str: str, version: float, name: str) -> pd.DataFrame | None:
    """Read one table (any schema, `main` preferred); None if it does not exist."""
    del version  # only part of the cache key
    try:
        con = duckdb.connect(path_str, read_only=True)
    except duckdb.Error as exc:  # locked by a running build, written by another DuckDB version, ...
        raise WarehouseUnavailable(
            f"Could not open the warehouse `{path_str}` read-only ({exc}). If a build is running, wait "
            f"for it to finish and reload; otherwise {BUILD_HINT}."
        ) from exc
    try:
        schemas = con.execute(
            "select table_schema from information_schema.tables where table_name = ? "
            "order by (table_schema = 'main') desc, table_schema limit 1",
            [name],
        ).fetchall()
        if not schemas:
            return None
        schema = schemas[0][0]
        # `name` is one of ALLOWED_TABLES (checked by the caller), never user input.
        return con.execute(f'select * from "{schema}"."{name}"').df()
    finally:
        con.close()


def load_table(name: str) -> TableResult:
    """Read an allowed table; raises WarehouseUnavailable if the file itself is missing or locked."""
    if name not in ALLOWED_TABLES:
        raise ValueError(f"the dashboard does not read {name!r}")
    path = check_database()
    frame = _read(str(path), _file_version(path), name)
    return TableResult(name, None if frame is None else frame.copy())


def missing_message(result: TableResult) -> str:
    """Plain sentence explaining why a table cannot be shown."""
    state = "does not exist" if result.is_missing else "is empty"
    return f"Table `{result.name}` {state} in the warehouse: {BUILD_HINT}."


def markets() -> list[str]:
    """Markets present in the outputs, biggest revenue first (then the others alphabetically)."""
    found: list[str] = []
    fitted = load_table("fct_fitted_revenue")
    if not fitted.is_empty and {"market", "actual_revenue"} <= set(fitted.frame.columns):
        by_revenue = fitted.frame.groupby("market")["actual_revenue"].sum().sort_values(ascending=False)
        found += [str(m) for m in by_revenue.index]
    for name in ("fct_fitted_revenue", "fct_channel_summary", "fct_optimal_allocation"):
        result = load_table(name)
        if not result.is_empty and "market" in result.frame.columns:
            for market in sorted(result.frame["market"].dropna().astype(str).unique()):
                if market not in found:
                    found.append(market)
    return found


def for_market(result: TableResult, market: str | None) -> pd.DataFrame:
    """Rows of one market (all rows if the table has no market column)."""
    if result.is_empty:
        return pd.DataFrame()
    frame = result.frame
    if market is None or "market" not in frame.columns:
        return frame
    return frame[frame["market"].astype(str) == market].reset_index(drop=True)


def first_column(frame: pd.DataFrame, *candidates: str) -> str | None:
    """First of `candidates` that is a column of `frame` (the data-quality tables' names vary)."""
    for name in candidates:
        if name in frame.columns:
            return name
    return None
