"""mmm.threads: BLAS limited to one thread inside the block and restored after, with the libraries scanned once."""

from __future__ import annotations

import numpy as np  # noqa: F401  (loads numpy's BLAS)
from threadpoolctl import threadpool_info

from mmm import threads


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_single_thread_blas_limits_and_restores():
    before = _blas_threads()
    assert before, "numpy's BLAS is loaded"
    with threads.single_thread_blas():
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_the_controller_is_scanned_once_per_process_until_new_imports():
    first = threads.controller()
    assert threads.controller() is first
    import importlib
    import sys

    name = "mmm_threads_test_new_module"
    sys.modules.pop(name, None)
    spec = importlib.machinery.ModuleSpec(name, None)
    sys.modules[name] = importlib.util.module_from_spec(spec)
    try:
        assert threads.controller() is not first, "a new import makes it scan again"
    finally:
        del sys.modules[name]
