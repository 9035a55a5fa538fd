"""What both providers' batched writes share: the batch size setting and the gate that stops them.

A write that retries could not get past (the service is down, a Retry-After beyond the cap, credentials
refused) would fail the same way for every other batch, so the first one closes the gate: workers send nothing
more and the error is raised to the apply, which stops cleanly. The next run re-reads and finishes the job.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Final

from ..errors import AuthError, RateLimitError, ReconcilerError, TransientApiError
from .http import env_number

__all__ = ["BATCH_LIMIT", "FATAL", "StopGate", "configured_batch_size"]

BATCH_LIMIT: Final = 1000
"""Both APIs' maximum rows (ContactNow) or customers (Contact Center) per write request."""

FATAL: Final = (TransientApiError, RateLimitError, AuthError)
"""Failures after which no further write is attempted in this run."""


def configured_batch_size(environ: Mapping[str, str] | None = None) -> int:
    """Rows per write request: RECONCILER_BATCH_SIZE (1..1000), else the APIs' limit of 1000.

    Smaller batches put fewer rows in doubt when an answer is lost, at the cost of more requests.
    """
    source = os.environ if environ is None else environ
    return int(env_number(source, "RECONCILER_BATCH_SIZE", BATCH_LIMIT, 1, BATCH_LIMIT, integer=True))


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
