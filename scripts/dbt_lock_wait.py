"""Run dbt, waiting a bounded time for a DuckDB file lock held by a reader instead of failing at once.

DuckDB lets one process write a database file, or any number of processes read it, never both at the same
moment. A dashboard or notebook that has the warehouse open read-only at the instant ``dbt build`` opens it
for writing makes dbt fail with::

    IO Error: Could not set lock on file ".../mmm.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 4242)

dbt-duckdb opens the file once per dbt command (its connection stays open until the command ends), so that
open is where a build and its readers collide. dbt-duckdb's own ``retries: {connect_attempts: n}`` profile
setting retries a fixed number of times with exponential sleeps and does not say who holds the lock; this
wrapper instead makes ``duckdb.connect`` retry a lock conflict for up to ``MMM_DUCKDB_LOCK_TIMEOUT`` seconds
(default 60; 0 = no waiting), with short sleeps (50 ms growing to 1 s, with jitter, so a reader that polls
every few tens of milliseconds cannot starve it), printing which process holds the lock, and then runs
dbt's own command line in this same process::

    python scripts/dbt_lock_wait.py build --select staging      # = dbt build --select staging

The Makefile runs dbt through it. After the timeout the original error is raised with the holder and the
setting to change. Anything but a lock conflict is raised at once.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMEOUT_ENV = "MMM_DUCKDB_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 60.0
LOCK_MESSAGES = ("could not set lock", "conflicting lock")


def lock_timeout_seconds(environ: dict[str, str] | None = None) -> float:
    """``MMM_DUCKDB_LOCK_TIMEOUT`` in seconds (default 60); a value that is not a number is an error."""
    raw = (environ if environ is not None else os.environ).get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{TIMEOUT_ENV} must be a number of seconds, got {raw!r}") from None
    return max(value, 0.0)


def is_lock_conflict(exc: BaseException) -> bool:
    """True for DuckDB's error when another process holds the file's lock."""
    text = str(exc).lower()
    return any(m in text for m in LOCK_MESSAGES)


def lock_holder(message: str) -> str:
    """Who holds the lock, from DuckDB's message: 'PID 4242 (python dashboard/app.py)' when the process is visible."""
    found = re.search(r"PID (\d+)", message)
    if not found:
        return "another process"
    pid = found.group(1)
    try:
        command = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split())
    except OSError:
        command = ""
    return f"PID {pid}" + (f" ({command[:200]})" if command else "")


def waiting_connect(connect: Callable[..., Any], timeout: float, log: Callable[[str], None],
                    sleep: Callable[[float], None] = time.sleep,
                    clock: Callable[[], float] = time.monotonic) -> Callable[..., Any]:
    """``connect`` that retries a DuckDB lock conflict for up to ``timeout`` seconds, logging the holder."""

    def connect_waiting(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        delay, last_report, reported = 0.05, started, False
        while True:
            try:
                connection = connect(*args, **kwargs)
            except Exception as exc:
                if not is_lock_conflict(exc):
                    raise
                waited = clock() - started
                holder = lock_holder(str(exc))
                if waited >= timeout:
                    message = (f"{exc}\nmmm: waited {waited:.1f} s for the DuckDB lock held by {holder}; close that "
                               f"connection (a notebook, a dashboard, a DuckDB shell) or raise {TIMEOUT_ENV} "
                               f"(now {timeout:g} s).")
                    try:
                        error = type(exc)(message)
                    except Exception:
                        raise exc from None
                    raise error from exc
                if not reported or clock() - last_report >= 10:
                    log(f"mmm: the DuckDB file is locked by {holder}; waiting for it (up to {timeout:g} s in all, "
                        f"{TIMEOUT_ENV})")
                    reported, last_report = True, clock()
                sleep(min(delay * random.uniform(0.5, 1.0), max(timeout - waited, 0.0)))
                delay = min(delay * 1.5, 1.0)
                continue
            if reported:
                log(f"mmm: got the DuckDB lock after {clock() - started:.1f} s")
            return connection

    return connect_waiting


def install(timeout: float | None = None, log: Callable[[str], None] | None = None) -> None:
    """Make ``duckdb.connect`` (as dbt-duckdb calls it) wait for a lock held by another process."""
    import duckdb

    if getattr(duckdb.connect, "_mmm_waits_for_lock", False):
        return
    wrapped = waiting_connect(duckdb.connect, lock_timeout_seconds() if timeout is None else timeout,
                              log or (lambda line: print(line, file=sys.stderr, flush=True)))
    wrapped._mmm_waits_for_lock = True  # type: ignore[attr-defined]
    duckdb.connect = wrapped


def main(argv: list[str] | None = None) -> int:
    """Run the dbt command line (``argv``, without the program name) with the waiting connect installed.

    dbt's own entry point (click, standalone) exits with dbt's exit code: 0 success, 1 a node failed, 2 an error.
    """
    install()
    from dbt.cli.main import cli

    sys.argv = ["dbt", *(sys.argv[1:] if argv is None else argv)]
    cli()
    return 0


if __name__ == "__main__":
    sys.exit(main())
