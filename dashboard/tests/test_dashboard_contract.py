"""The marts' YAML is the contract: the dashboard's reads, the data layer and the test warehouse agree with it.

* every table and column the dashboard declares it reads (dashboard/reads.py) is in
  ``mmm.contracts.public_tables()``, so a section cannot read a column the contract lacks: the data
  layer only selects declared columns, and a declared column must be in the contract;
* the warehouse a real `dbt build` writes (the tests' warehouse) has exactly the contract's columns and
  types for every public table;
* the package is importable without path edits, and the views without Streamlit.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from dashboard import warehouse
from dashboard.reads import READS
from mmm import contracts

DASHBOARD = Path(__file__).resolve().parents[1]
EXPOSURES = contracts.MARTS / "_marts__exposures.yml"


def contract_problems(reads: dict[str, tuple[str, ...]], public: dict[str, contracts.Table]) -> list[str]:
    """Every declared read that the contract does not have, in words (empty when all are there)."""
    problems = []
    for table, columns in reads.items():
        if table not in public:
            problems.append(f"{table}: not a public mart")
            continue
        missing = [c for c in columns if c not in public[table].column_names]
        problems += [f"{table}.{c}: not in the contract" for c in missing]
        problems += [f"{table}.{c}: declared twice" for c in set(columns) if columns.count(c) > 1]
    return problems


def test_every_declared_read_is_in_the_contract():
    assert contract_problems(READS, contracts.public_tables()) == []


@pytest.mark.parametrize(
    "reads, problem",
    [
        ({"fct_channel_summary": ("market", "roi_median")}, "fct_channel_summary.roi_median: not in the contract"),
        ({"mmm_quarantine": ("rule",)}, "mmm_quarantine: not a public mart"),
        ({"fct_diagnostics": ("metric",)}, "fct_diagnostics.metric: not in the contract"),  # the old schema
    ],
)
def test_the_check_catches_a_read_the_contract_lacks(reads, problem):
    assert contract_problems(reads, contracts.public_tables()) == [problem]


def test_declared_reads_keep_the_contract_order():
    """Readable diffs: each table's columns in the order of the contract."""
    public = contracts.public_tables()
    for table, columns in READS.items():
        order = public[table].column_names
        assert list(columns) == sorted(columns, key=order.index), table


def test_the_data_layer_reads_only_declared_tables_and_columns(built_db):
    with pytest.raises(ValueError, match="does not read 'mmm_model_input'"):
        warehouse.read_table(built_db, "mmm_model_input")
    for name, columns in READS.items():
        assert list(warehouse.read_table(built_db, name).frame.columns) == list(columns), name


@pytest.mark.parametrize("table", sorted(contracts.public_tables()))
def test_the_built_warehouse_has_the_contract_columns_and_types(built_db, table):
    expected = [(c.name, c.data_type.lower()) for c in contracts.public_tables()[table].columns]
    with duckdb.connect(str(built_db), read_only=True) as con:
        found = con.execute(
            "select column_name, lower(data_type) from information_schema.columns "
            "where table_schema = 'main' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    assert found == expected


def test_the_exposure_lists_every_table_the_dashboard_reads():
    exposure = next(e for e in yaml.safe_load(EXPOSURES.read_text())["exposures"] if e["name"] == "mmm_dashboard")
    refs = {ref.split("'")[1] for ref in exposure["depends_on"]}
    assert refs == set(READS)


def test_no_sys_path_edits_in_the_dashboard():
    edit = re.compile(r"sys\.path\s*(\.(insert|append|extend)|\[|\+?=)")
    assert [str(p.relative_to(DASHBOARD)) for p in DASHBOARD.rglob("*.py") if edit.search(p.read_text())] == []


def test_views_are_importable_without_streamlit():
    code = (
        "import sys\n"
        "import dashboard.views.overview, dashboard.views.channels, dashboard.views.response_curves\n"
        "import dashboard.views.budget, dashboard.views.data_quality, dashboard.views.experiments\n"
        "import dashboard.views.monitoring\n"
        "import dashboard.warehouse, dashboard.charts, dashboard.formatting\n"
        "assert 'streamlit' not in sys.modules, 'a view imported streamlit'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
