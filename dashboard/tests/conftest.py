"""Shared fixtures of the dashboard tests: one warehouse from a real `dbt build`, built once per session.

Set MMM_DASHBOARD_TEST_WAREHOUSE to a file path to keep the built warehouse between sessions while
working on the dashboard: it is built there when missing and reused when present (delete it after
changing the pipeline).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import warehouse
from dashboard.reads import READS
from dashboard.tests import demo_warehouse


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DuckDB file written by `dbt build` on the extended demo (see demo_warehouse). Read-only:
    tests that change tables work on a copy (``db_copy``)."""
    keep = os.environ.get("MMM_DASHBOARD_TEST_WAREHOUSE", "").strip()
    if keep and Path(keep).is_file():
        return Path(keep).resolve()
    work = tmp_path_factory.mktemp("dbt-build")
    target = Path(keep) if keep else work / "mmm.duckdb"
    return demo_warehouse.build(target, work)


@pytest.fixture(scope="session")
def tables(built_db: Path) -> dict[str, pd.DataFrame]:
    """Every table the dashboard reads, as the data layer reads it (declared columns only)."""
    out = {}
    for name in READS:
        result = warehouse.read_table(built_db, name)
        assert result.frame is not None, result.message()
        out[name] = result.frame
    return out


@pytest.fixture
def db_copy(built_db: Path, tmp_path: Path):
    """copy(drop=..., empty=...): a copy of the built warehouse with some tables dropped or emptied."""

    def copy(drop: tuple[str, ...] = (), empty: tuple[str, ...] = (), sql: tuple[str, ...] = ()) -> Path:
        path = tmp_path / f"copy-{len(list(tmp_path.glob('copy-*')))}.duckdb"
        shutil.copy(built_db, path)
        with duckdb.connect(str(path)) as con:
            for name in drop:
                con.execute(f'drop table "{name}"')
            for name in empty:
                con.execute(f'delete from "{name}"')
            for statement in sql:
                con.execute(statement)
        return path

    return copy
