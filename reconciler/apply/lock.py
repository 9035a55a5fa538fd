"""A local apply lock: two applies against one target from one machine never write at the same time.

The lock is an advisory `flock` on a file under `.reconciler/`: the kernel releases it when the process ends,
however it ends, so a lock held by a killed process never blocks the next run.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LockError


@contextmanager
def apply_lock(directory: Path, target: str) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"apply-{target}.lock"
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockError(
                f"another apply against target {target} is running ({holder}); "
                f"wait for it to finish, then plan again (lock: {path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
