"""The HTTP layer both vendor clients share, one concern a module:

- `session.py`: HttpSession (one thread-safe httpx.Client and the send loop) and SessionClient (what a client
  built on it shares);
- `retry.py`: which failures are sent again (the classification table), RetryPolicy and Retry-After;
- `rate.py`: RateBudget, the request budget threads share;
- `urls.py`: check_base_url, https or loopback only;
- `body.py`: reading a streamed body a bit at a time (BodyReader for ijson, ArrayPieces for msgspec, cut where
  an ArrayStart opens, whatever the body's JSON whitespace, key order or escapes).

Redaction is not here: it is reconciler.redact, which every layer may use.
"""

from .body import PIECE_BYTES, ArrayPieces, ArrayStart, BodyReader, BrokenBody
from .rate import RateBudget
from .retry import RetryPolicy, parse_retry_after
from .session import HttpSession, SessionClient
from .urls import check_base_url

__all__ = [
    "PIECE_BYTES",
    "ArrayPieces",
    "ArrayStart",
    "BodyReader",
    "BrokenBody",
    "HttpSession",
    "RateBudget",
    "RetryPolicy",
    "SessionClient",
    "check_base_url",
    "parse_retry_after",
]
