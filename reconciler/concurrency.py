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


class Prefetch(Iterator[T]):
    """Runs an iterator on a thread, up to `ahead` items ahead of its reader, so that a slow producer (a
    server streaming a body) works while the reader does something else. Errors are raised to the reader;
    `close()` stops the thread and closes the iterator."""

    def __init__(self, items: Iterator[T], *, ahead: int, name: str = "prefetch") -> None:
        import queue

        self._items = items
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=max(1, ahead))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, entry: tuple[str, object]) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(("item", item)):
                    break
            else:
                self._put(("end", None))
        except BaseException as error:  # handed to the reader, raised there
            self._put(("error", error))
        finally:
            close = getattr(self._items, "close", None)
            if callable(close):
                close()

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        kind, value = self._queue.get()
        if kind == "item":
            return value  # type: ignore[return-value]
        self._done = True
        self._thread.join()
        if kind == "error":
            assert isinstance(value, BaseException)
            raise value
        raise StopIteration

    def close(self) -> None:
        self._stop.set()
        self._done = True
        self._thread.join()
