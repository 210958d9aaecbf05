"""Read-only access to the warehouse: only the tables and columns declared in ``dashboard.reads``.

Each read opens the DuckDB file read-only and closes it at once, so a `make build` can take the write
lock while the dashboard is running. No Streamlit here: ``dashboard.ui`` caches these reads on the
file's modification time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.reads import READS

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_HINT = "run `make build` first"


class WarehouseUnavailable(Exception):
    """The DuckDB file is missing or cannot be opened; the message is meant for the reader."""


@dataclass(frozen=True)
class TableRead:
    """A table read from the warehouse. ``frame`` is None when the table does not exist or lacks some
    of the declared columns (``missing_columns``: a warehouse written by an older build)."""

    name: str
    frame: pd.DataFrame | None
    missing_columns: tuple[str, ...] = ()

    @property
    def is_missing(self) -> bool:
        return self.frame is None

    @property
    def is_empty(self) -> bool:
        return self.frame is None or self.frame.empty

    def message(self) -> str:
        """Plain sentence explaining why the table cannot be shown."""
        if self.missing_columns:
            columns = ", ".join(f"`{c}`" for c in self.missing_columns)
            return (
                f"Table `{self.name}` in the warehouse has no column {columns}: it was written by an older build; {BUILD_HINT}."
            )
        state = "does not exist" if self.is_missing else "is empty"
        return f"Table `{self.name}` {state} in the warehouse: {BUILD_HINT}."


def database_path() -> Path:
    """Path of the DuckDB file: env MMM_DUCKDB_PATH (relative to the working directory, like dbt's
    profile), else warehouse/mmm.duckdb under the repository root."""
    env = os.environ.get("MMM_DUCKDB_PATH", "").strip()
    if env:
        path = Path(env).expanduser()
        return path if path.is_absolute() else Path.cwd() / path
    return REPO_ROOT / "warehouse" / "mmm.duckdb"


def check_database() -> Path:
    """Return the warehouse path or raise WarehouseUnavailable with a readable message."""
    path = database_path()
    if not path.is_file():
        raise WarehouseUnavailable(f"No warehouse file at `{path}`: {BUILD_HINT}.")
    return path


def file_version(path: Path) -> float:
    """Modification time, the cache key: a rebuilt warehouse is picked up on the next rerun."""
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def read_table(path: Path | str, name: str) -> TableRead:
    """The declared columns of table `name` (schema `main` preferred), read-only.

    Raises ValueError for a table not declared in ``dashboard.reads.READS`` and WarehouseUnavailable
    when the file cannot be opened (locked by a running build, written by another DuckDB version, ...).
    """
    if name not in READS:
        raise ValueError(f"the dashboard does not read {name!r} (dashboard/reads.py declares what it reads)")
    columns = READS[name]
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseUnavailable(
            f"Could not open the warehouse `{path}` read-only ({exc}). If a build is running, wait "
            f"for it to finish and reload; otherwise {BUILD_HINT}."
        ) from exc
    try:
        found = con.execute(
            "select table_schema from information_schema.tables where table_name = ? "
            "order by (table_schema = 'main') desc, table_schema limit 1",
            [name],
        ).fetchall()
        if not found:
            return TableRead(name, None)
        schema = found[0][0]
        present = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
        }
        missing = tuple(c for c in columns if c not in present)
        if missing:
            return TableRead(name, None, missing)
        selected = ", ".join(f'"{c}"' for c in columns)
        # `name`, `schema` and the columns come from READS and the catalog, never from user input
        return TableRead(name, con.execute(f'select {selected} from "{schema}"."{name}"').df())
    finally:
        con.close()


def for_market(frame: pd.DataFrame | None, market: str | None) -> pd.DataFrame:
    """Rows of one market (all rows when `market` is None or the table has no market column)."""
    if frame is None:
        return pd.DataFrame()
    if market is None or "market" not in frame.columns:
        return frame
    return frame[frame["market"].astype(str) == market].reset_index(drop=True)
