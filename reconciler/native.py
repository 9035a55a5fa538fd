"""How the CLI sets up the native libraries before any of them loads: polars' allocator and numpy's BLAS threads.

Both read their settings from the environment when they load (the CLI loads them lazily, after this), and a
setting the user put in the environment wins.

polars allocates with its own jemalloc, read from `_RJEM_MALLOC_CONF`. A plan frees and allocates again a page of
live records' worth of columns at a time, so memory given back to the system is faulted in again moments later:
the setting keeps freed pages for a second (`JEMALLOC`).

numpy starts an OpenBLAS thread per core when it loads, and each spins a while waiting for work; reconciler does
no linear algebra, so one thread (the caller's) is asked for: about 0.1 s of CPU at the start of every plan, on
the core the plan's first reads want.

glibc's malloc, which Python's large buffers come from, is left as it is: keeping 8 MB blocks in its heap
(mallopt: mmap threshold 16 MB, trim threshold 16 MB) halved a 1M-record plan's page faults (400,000 -> 195,000),
but a 5M-record plan's peak rose by 40-80 MB (1,612 -> 1,641-1,693 MB in single runs) when it held its source
whole, and the CPU saved was within the noise of this machine.
"""

from __future__ import annotations

import os

JEMALLOC = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0"
"""Freed pages are kept a second before they are given back. A 1M-row plain-CSV plan, 4 rounds alternating 10 s,
1 s and 100 ms: 3.87-4.35, 3.65-3.99 and 3.89-4.05 s, 4.94-5.05, 4.75-5.17 and 5.08-5.31 s of CPU, peak 621-639,
606-617 and 579-625 MiB. bench_scale, 3 runs each, 10 s against 1 s: plan-5m 19.81-28.05 s and 839-986 MB against
20.75-22.79 s and 807-814 MB; members-5m 9.35-10.89 s and 1,608-1,624 MB against 8.63-9.03 s and 1,507-1,517 MB
(100 ms, an earlier session: 9.38-10.29 s, 1,466-1,480 MB). When the 5M-row plan held its source whole (1.6 GB, its
limit), 100 ms had kept its second pass from stacking on the columns the first let go of (500 ms: 1,591-1,611 MB);
the source's columns are now kept packed."""

BLAS_THREADS = "1"
"""numpy's OpenBLAS threads (OPENBLAS_NUM_THREADS)."""


def tune() -> None:
    """Set the native libraries up for this process, unless the environment says otherwise."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", BLAS_THREADS)
