"""scripts/dbt_lock_wait.py: a build waits a bounded time for a DuckDB lock held by a reader, naming the holder.

Real processes and real DuckDB files: a child process holds a read-only connection (as a dashboard or notebook
does) while this process opens the file for writing through the wrapper. The end-to-end case (three readers
polling every ~70 ms during real builds) is in test_exports_dbt.py.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def load_wrapper():
    spec = importlib.util.spec_from_file_location("dbt_lock_wait", ROOT / "scripts" / "dbt_lock_wait.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def held_file(tmp_path):
    """A DuckDB file and a function that starts a reader holding it read-only for some seconds."""
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    readers = []

    def hold(seconds: float) -> subprocess.Popen:
        reader = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
        assert reader.stdout.readline().strip() == "holding"
        readers.append(reader)
        return reader

    yield path, hold
    for reader in readers:
        reader.kill()
        reader.wait()


def test_without_waiting_a_writer_fails_on_the_readers_lock(held_file):
    path, hold = held_file
    hold(30)
    with pytest.raises(duckdb.IOException, match="lock"):
        duckdb.connect(str(path))


def test_the_writer_waits_for_the_reader_and_names_it(held_file):
    path, hold = held_file
    wrapper = load_wrapper()
    reader = hold(1.5)
    lines: list[str] = []
    connect = wrapper.waiting_connect(duckdb.connect, timeout=30, log=lines.append)
    started = time.monotonic()
    con = connect(str(path))
    waited = time.monotonic() - started
    con.execute("create table written as select 1 as x")
    con.close()
    assert 0.5 < waited < 25
    assert f"locked by PID {reader.pid}" in lines[0] and "MMM_DUCKDB_LOCK_TIMEOUT" in lines[0]
    assert "duckdb.connect" in lines[0]  # the holder's command line, read from /proc
    assert lines[-1].startswith("mmm: got the DuckDB lock after")


def test_the_wait_is_bounded_and_the_error_says_what_to_do(held_file):
    path, hold = held_file
    wrapper = load_wrapper()
    reader = hold(30)
    connect = wrapper.waiting_connect(duckdb.connect, timeout=1.0, log=lambda line: None)
    started = time.monotonic()
    with pytest.raises(duckdb.IOException) as raised:
        connect(str(path))
    assert time.monotonic() - started < 10
    message = str(raised.value)
    assert "Conflicting lock" in message  # DuckDB's own error comes first
    assert "waited" in message and f"PID {reader.pid}" in message and "raise MMM_DUCKDB_LOCK_TIMEOUT (now 1 s)" in message


def test_other_errors_are_not_retried(tmp_path):
    wrapper = load_wrapper()
    calls = []

    def failing_connect(*args, **kwargs):
        calls.append(args)
        raise duckdb.IOException("IO Error: Cannot open file: permission denied")

    with pytest.raises(duckdb.IOException, match="permission denied"):
        wrapper.waiting_connect(failing_connect, timeout=30, log=lambda line: None)(str(tmp_path / "x.duckdb"))
    assert len(calls) == 1


def test_timeout_setting(monkeypatch):
    wrapper = load_wrapper()
    assert wrapper.lock_timeout_seconds({}) == 60
    assert wrapper.lock_timeout_seconds({"MMM_DUCKDB_LOCK_TIMEOUT": "2.5"}) == 2.5
    assert wrapper.lock_timeout_seconds({"MMM_DUCKDB_LOCK_TIMEOUT": "0"}) == 0
    with pytest.raises(SystemExit, match="MMM_DUCKDB_LOCK_TIMEOUT"):
        wrapper.lock_timeout_seconds({"MMM_DUCKDB_LOCK_TIMEOUT": "soon"})


def test_the_makefile_runs_dbt_through_the_wrapper():
    assert "DBT := $(BIN)/python $(CURDIR)/scripts/dbt_lock_wait.py" in (ROOT / "Makefile").read_text()
