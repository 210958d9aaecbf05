"""BLAS single-threaded within a block, at the cost of a few microseconds.

The engine's matrices are tiny, so BLAS threads only add hand-offs (and multi-threaded OpenBLAS makes SciPy's
SLSQP 10-30x slower on a busy machine, scipy/scipy#22438): every fit, restore and optimizer runs inside
``single_thread_blas()``. ``threadpoolctl.threadpool_limits`` finds the loaded BLAS libraries anew on each call
(it walks every shared object of the process: about 3 ms), and the per-market loops enter such blocks a dozen
times a market, which at 1,000 markets cost minutes. This keeps one ``ThreadpoolController`` per process and scans
again only when modules were imported since (a new module may have loaded a new BLAS).
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager

from threadpoolctl import ThreadpoolController

_CACHE: dict[int, tuple[int, ThreadpoolController]] = {}


def controller() -> ThreadpoolController:
    """This process's controller of the loaded thread pools (rescanned after new imports, and in a forked child)."""
    pid, loaded = os.getpid(), len(sys.modules)
    cached = _CACHE.get(pid)
    if cached is None or cached[0] != loaded:
        cached = _CACHE[pid] = (loaded, ThreadpoolController())
    return cached[1]


def single_thread_blas() -> AbstractContextManager:
    """``threadpool_limits(limits=1, user_api="blas")``, from the cached controller."""
    return controller().limit(limits=1, user_api="blas")
