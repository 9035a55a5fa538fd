"""How the CLI tunes the process's two memory allocators before any work, for plans of millions of records.

polars allocates with its own jemalloc, read from `_RJEM_MALLOC_CONF` when polars loads; Python's large buffers (a
records body's 8 MB pieces and their copies) come from the C library's malloc. A setting the user put in the
environment wins over either.
"""

from __future__ import annotations

import os
import sys

JEMALLOC = "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0"
"""polars' jemalloc gives freed memory back to the system within half a second rather than ten, so that a plan's
second pass does not stack on the source columns the first let go of (a 5,000,000-row plan's peak: 1,635 ->
1,543-1,608 MB)."""

MMAP_THRESHOLD = 16 * 1024 * 1024
TRIM_THRESHOLD = 16 * 1024 * 1024
"""glibc serves a block of 8 MB (a piece of a records body and its copies, made dozens of times a second) from a
fresh mapping and unmaps it when freed, so every piece costs page faults: about half of a 1M-record plan's 400,000.
Kept in the heap, with up to 16 MB of free heap kept at its top, the pieces reuse the same memory: 400,000 ->
195,000 page faults (1M records, two runs each way). A larger top kept costs memory where it is tightest: the
5M-record plan's peak was 1,574 MB with these, 1,612 MB with glibc's defaults, 1,676 MB keeping 32 MB and 1,693 MB
with a 32 MB threshold keeping 64 MB (one run each, the same hour)."""
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
"""mallopt's parameter numbers (glibc malloc.h)."""


def tune() -> None:
    """Set both allocators up for this process, unless the environment says otherwise."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC)
    if not sys.platform.startswith("linux") or any(
        name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")
    ):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc; other C libraries (musl) have none
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
