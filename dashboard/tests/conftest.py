"""Shared fixtures of the dashboard tests: the dashboard folder on sys.path, a fixture warehouse."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

DASHBOARD = Path(__file__).resolve().parent.parent
REPO_ROOT = DASHBOARD.parent
APP = DASHBOARD / "app.py"
if str(DASHBOARD) not in sys.path:
    sys.path.insert(0, str(DASHBOARD))

import fixture  # noqa: E402


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file holding every table the dashboard reads (2 markets, 20 weeks, 3 channels)."""
    return fixture.build_fixture(tmp_path_factory.mktemp("warehouse") / "mmm.duckdb")
