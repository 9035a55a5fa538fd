"""Run work items on a few threads with a bound on how many are queued, so memory stays flat while a
source of millions of rows streams through, and so that an unexpected error in a worker is raised, not lost."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_bounded(items: Iterable[T], work: Callable[[T], None], *, workers: int, name: str = "worker") -> None:
    """Call `work(item)` for every item on `workers` threads, with at most 2 x workers items in flight."""
    slots = threading.BoundedSemaphore(max(1, workers) * 2)
    futures: list[Future[None]] = []
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix=name) as pool:
        for item in items:
            slots.acquire()
            future = pool.submit(work, item)
            future.add_done_callback(lambda _: slots.release())
            futures.append(future)
            if len(futures) > 64:
                futures = _reap(futures)
    for future in futures:
        future.result()


def _reap(futures: list[Future[None]]) -> list[Future[None]]:
    kept = []
    for future in futures:
        if future.done():
            future.result()
        else:
            kept.append(future)
    return kept


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
