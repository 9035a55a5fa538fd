"""The ContactNow envelope: `{"success": ..., "error": ..., "total": ..., "list": [...]}` around every answer.

Application errors come as HTTP 200 with `success: false` (API-CONTRACT A1), so every answer is checked here:
a token error raises TokenRejected (the caller gets a new token and tries once more), "Authentication failure"
raises AuthError, any other error ApiError with the vendor's text as `.message`. Read rows carry every value as a
string, but a value of another type is taken as its text rather than refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import httpx

from reconciler.errors import ApiError, AuthError

from .wire import text

__all__ = [
    "AUTHENTICATION_FAILURE",
    "TOKEN_ERRORS",
    "TokenRejected",
    "check",
    "decode",
    "integer",
    "is_true",
    "optional_text",
    "rows_of",
    "text_row",
]

TOKEN_ERRORS: Final = frozenset({"Invalid token", "Expired token", "Unknown token"})
"""Envelope errors after which the client gets a new token and retries the call once."""
AUTHENTICATION_FAILURE: Final = "Authentication failure"


class TokenRejected(Exception):
    """An envelope said the token is not (or no longer) valid."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def is_true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return False


def integer(value: Any, *, what: str, url: str) -> int:
    """An envelope count (`total`, `bad`) as an int; absent or empty is 0."""
    if value is None or value == "":
        return 0
    try:
        return int(text(value))
    except (TypeError, ValueError):
        raise ApiError(f"ContactNow answered a non-integer {what}", url=url) from None


def optional_text(value: Any) -> str | None:
    if value is None:
        return None
    return text(value)


def text_row(row: Mapping[str, Any]) -> dict[str, str]:
    return {str(key): text(value) for key, value in row.items()}


def rows_of(listing: Any, *, url: str) -> list[Mapping[str, Any]]:
    """The rows of an envelope's `list`: an array, or (PHP-style) an object of rows, or one row."""
    if listing is None or listing == "":
        return []
    if isinstance(listing, list):
        rows = listing
    elif isinstance(listing, dict):
        values = list(listing.values())
        rows = values if values and all(isinstance(value, dict) for value in values) else [listing]
    else:
        raise ApiError("ContactNow answered a `list` that is neither an array nor an object", url=url)
    if not all(isinstance(row, dict) for row in rows):
        raise ApiError("ContactNow answered a `list` whose rows are not objects", url=url)
    return rows


def decode(response: httpx.Response, *, url: str) -> dict[str, Any]:
    """The envelope of a read response; AuthError for 401/403, ApiError for any other non-2xx or non-JSON."""
    status = response.status_code
    if status in (401, 403):
        raise AuthError("ContactNow refused the request", status=status, url=url)
    if not 200 <= status < 300:
        raise ApiError("ContactNow answered an unexpected HTTP status", status=status, url=url)
    try:
        envelope = json.loads(response.content)
    except ValueError:
        raise ApiError("ContactNow answered something that is not JSON", status=status, url=url) from None
    if not isinstance(envelope, dict):
        raise ApiError("ContactNow answered JSON that is not an envelope object", status=status, url=url)
    return envelope


def check(envelope: Mapping[str, Any], *, url: str) -> None:
    """Raise for `success: false`: TokenRejected for token errors, else ApiError/AuthError."""
    if is_true(envelope.get("success")):
        return
    error = text(envelope.get("error")) if envelope.get("error") is not None else ""
    if error in TOKEN_ERRORS:
        raise TokenRejected(error)
    if error == AUTHENTICATION_FAILURE:
        raise AuthError(error, url=url)
    raise ApiError(error or "ContactNow answered success: false without an error text", url=url)
