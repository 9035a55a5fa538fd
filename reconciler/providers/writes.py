"""What both providers' batched writes share: the batch limit and the gate that stops them.

A write that retries could not get past (the service is down, a Retry-After beyond the cap, credentials
refused) would fail the same way for every other batch, so the first one closes the gate: workers send nothing
more and the error is raised to the apply, which stops cleanly. The next run re-reads and finishes the job.
"""

from __future__ import annotations

import threading
from typing import Final

from ..errors import AuthError, RateLimitError, ReconcilerError, TransientApiError
from ..settings import BATCH_LIMIT

__all__ = ["BATCH_LIMIT", "FATAL", "StopGate"]

FATAL: Final = (TransientApiError, RateLimitError, AuthError)
"""Failures after which no further write is attempted in this run."""


class StopGate:
    """Closed by the first fatal failure; `raise_if_closed` raises it once the workers are done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.error: ReconcilerError | None = None

    @property
    def closed(self) -> bool:
        return self.error is not None

    def close(self, error: ReconcilerError) -> None:
        with self._lock:
            if self.error is None:
                self.error = error

    def raise_if_closed(self) -> None:
        if self.error is not None:
            raise self.error
