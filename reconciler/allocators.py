"""How the CLI tunes polars' allocator before any work, for plans of millions of records.

polars allocates with its own jemalloc, read from `_RJEM_MALLOC_CONF` when polars loads (the CLI loads it lazily,
after this). A setting the user put in the environment wins.

glibc's malloc, which Python's large buffers come from, is left as it is: keeping 8 MB blocks in its heap
(mallopt: mmap threshold 16 MB, trim threshold 16 MB) halved a 1M-record plan's page faults (400,000 -> 195,000),
but a 5M-record plan's peak rose by 40-80 MB (1,612 -> 1,641-1,693 MB in single runs), where the limit is 1.6 GB,
and the CPU saved was within the noise of this machine.
"""

from __future__ import annotations

import os

JEMALLOC = "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0"
"""polars' jemalloc gives freed memory back to the system within a tenth of a second rather than ten, so that a
plan's second pass does not stack on the source columns the first let go of. A 5,000,000-row plan (bench_scale
plan-5m, two runs each, one after another): 500 ms, 29.86-29.97 s and 1,591-1,611 MB peak; 250 ms, 28.19-28.62 s
and 1,565-1,615 MB; 100 ms, 27.82-28.24 s and 1,558-1,564 MB; 0 ms, 31.55-32.06 s and 1,478-1,481 MB (every
freed page given back and faulted in again). Measured again on a faster host, the source still held whole,
alternating, peaks as VmHWM in MiB: 100 ms, 23.9-25.5 s and 1,541-1,595 MiB; 25 ms, 1,559-1,560 MiB; 5 ms,
1,535-1,617 MiB; 1 ms, 1,583-1,627 MiB; 0 ms, 28.5-28.7 s and 1,499-1,500 MiB. Between 1 and 100 ms the peak moves
no more than it does from run to run."""


def tune() -> None:
    """Set polars' allocator up for this process, unless the environment says otherwise."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC)
