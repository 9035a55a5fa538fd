"""How the CLI sets up the native libraries before any of them loads: polars' allocator and numpy's BLAS threads.

Both read their settings from the environment when they load (the CLI loads them lazily, after this), and a
setting the user put in the environment wins.

polars allocates with its own jemalloc, read from `_RJEM_MALLOC_CONF`. A plan frees and allocates again a page of
live records' worth of columns at a time, so memory given back to the system is faulted in again moments later:
the setting keeps freed pages for ten seconds (`JEMALLOC`).

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

JEMALLOC = "background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:0"
"""Freed pages are kept ten seconds before they are given back. A 1M-row plain-CSV plan, 4 rounds alternating
(this setting and one BLAS thread, against 100 ms and a BLAS thread per core): 3.94-4.03 s and 4.94-5.03 s of CPU,
against 3.94-4.84 s and 5.17-5.59 s, peak 618-646 against 587-604 MiB. A 5M-row plan (bench_scale plan-5m, two
runs each): 21.50-21.79 s and 930-934 MB, against 22.52-23.22 s and 759-762 MB at 100 ms. When that plan held its
source whole (1.6 GB, its limit), 100 ms had kept its second pass from stacking on the columns the first let go of
(500 ms: 1,591-1,611 MB); the source's columns are now kept packed."""

BLAS_THREADS = "1"
"""numpy's OpenBLAS threads (OPENBLAS_NUM_THREADS)."""


def tune() -> None:
    """Set the native libraries up for this process, unless the environment says otherwise."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", BLAS_THREADS)
