"""The project's generic tests (macros/generic_tests.sql, macros/seed_tests.sql), run by real dbt on a scratch project.

A throwaway dbt project uses this repository's macros folder, two tiny models (one whose key is clean, one
with a duplicated key and a null key) and two tiny seeds (one clean, one with bad values whose tests are set
to `severity: warn`). `dbt build` must pass every test on the clean model and seed, fail each key test on
the bad model with the expected number of failing rows, and warn on the bad seed naming each bad value.
(The error path of the seed tests, which stops the build, is tested on the real project in test_seeds_dbt.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT = ROOT / ".venv" / "bin" / "dbt"

MODELS = {
    "clean_keys": "select * from (values ('us', 1, 10.0), ('us', 2, 11.0), ('ca', 1, 12.0)) t(market, week, value)",
    # ('us', 1) twice, and a null market: 2 duplicate rows + 1 null row
    "bad_keys": "select * from (values ('us', 1, 10.0), ('us', 1, 11.0), (null, 2, 12.0), ('ca', 1, null))"
                " t(market, week, value)",
}

SCHEMA = """
version: 2
models:
  - name: {name}
    data_tests:
      - primary_key:
          arguments:
            column_names: [market, week]
      - primary_key:
          name: key_and_value_{name}
          arguments:
            column_names: [market, week]
            also_not_null: [value]
      - primary_key:
          name: key_and_us_value_{name}
          arguments:
            column_names: [market, week]
            also_not_null: [value]
            also_not_null_where: market = 'us'
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [market, week]
      - not_null_columns:
          arguments:
            column_names: [market, value]
"""


SEEDS = {
    "clean_config": "name,kind,size\na,good,1\nb,good,2\n",
    "bad_config": "name,kind,size\na,good,1\nb,bad,0\n A,good,3\n",
}

SEED_SCHEMA = """
version: 2
seeds:
  - name: {name}
    data_tests:
      - seed_rows_are_valid:
          name: rows_are_valid_{name}
          arguments:
            key_columns: [name]
            accepted_values: {{kind: [good, fine]}}
            conditions: [{{column: size, condition: size > 0, expected: a positive size}}]
          config: {{severity: warn}}
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    project = tmp_path_factory.mktemp("generic_tests_project")
    (project / "models").mkdir()
    (project / "seeds").mkdir()
    (project / "dbt_project.yml").write_text(
        "name: generic_tests_check\nversion: '1.0'\nconfig-version: 2\nprofile: generic_tests_check\n"
        f"macro-paths: ['{ROOT / 'macros'}']\nmodel-paths: ['models']\nseed-paths: ['seeds']\n"
        # the project's macros dispatch in the namespace of the mmm project
        "dispatch:\n  - macro_namespace: mmm\n    search_order: ['generic_tests_check']\n"
        "flags:\n  send_anonymous_usage_stats: false\n")
    (project / "profiles.yml").write_text(
        "generic_tests_check:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{project / 'check.duckdb'}'\n      threads: 1\n")
    for name, sql in MODELS.items():
        (project / "models" / f"{name}.sql").write_text(sql)
        (project / "models" / f"_{name}.yml").write_text(SCHEMA.format(name=name))
    for name, csv in SEEDS.items():
        (project / "seeds" / f"{name}.csv").write_text(csv)
        (project / "seeds" / f"_{name}.yml").write_text(SEED_SCHEMA.format(name=name))
    env = dict(os.environ, DBT_PROFILES_DIR=str(project), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    proc = subprocess.run([str(DBT), "build", "--store-failures", "--project-dir", str(project)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout[-3000:]  # the bad model's tests fail, nothing errors
    run = json.loads((project / "target" / "run_results.json").read_text())["results"]
    out = {r["unique_id"]: r for r in run if r["unique_id"].startswith("test.")}
    with duckdb.connect(str(project / "check.duckdb"), read_only=True) as con:
        stored = con.sql("select failure from main_dbt_test__audit.key_and_value_bad_keys").fetchall()
    out["reasons"] = sorted(r[0] for r in stored)
    out["output"] = proc.stdout
    return out


def _result(results: dict, test: str, model: str) -> dict:
    [match] = [r for uid, r in results.items() if uid.startswith("test.") and uid.split(".")[2].startswith(f"{test}_{model}")]
    return match


@pytest.mark.parametrize("test", ["primary_key", "key_and_value", "key_and_us_value", "unique_combination_of_columns",
                                  "not_null_columns"])
def test_clean_model_passes(results, test):
    assert _result(results, test, "clean_keys")["status"] == "pass"


@pytest.mark.parametrize("test, failing_rows", [
    ("primary_key", 3),                    # both ('us', 1) rows and the null-market row
    ("key_and_value", 4),                  # the same, plus the row with a null value (also_not_null)
    ("key_and_us_value", 3),               # the null value is in market ca, outside also_not_null_where
    ("unique_combination_of_columns", 1),  # one duplicated key group
    ("not_null_columns", 2),               # the null market and the null value
])
def test_bad_model_fails_with_each_bad_row(results, test, failing_rows):
    result = _result(results, test, "bad_keys")
    assert result["status"] == "fail"
    assert result["failures"] == failing_rows


def test_failing_rows_say_what_is_wrong(results):
    assert results["reasons"] == ["duplicate key", "duplicate key", "null in the key", "null in value"]


def test_clean_seed_passes(results):
    assert _result(results, "rows_are_valid", "clean_config")["status"] == "pass"


def test_bad_seed_warns_naming_each_bad_value(results):
    result = _result(results, "rows_are_valid", "bad_config")
    assert result["status"] == "warn" and result["failures"] == 3  # one row per failed check
    for message in ("seeds/bad_config.csv lines 2, 4: name 'a' appears 2 times; (name) must be unique",
                    "seeds/bad_config.csv line 3 (name 'b'): kind 'bad' is not allowed; allowed values: good, fine",
                    "seeds/bad_config.csv line 3 (name 'b'): size 0 is not allowed; expected a positive size"):
        assert message in results["output"], message
