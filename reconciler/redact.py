"""Secrets never reach a message, a log line or a traceback: the one redaction every layer uses.

Every secret a client holds is registered with `register_secret` (raw and URL-encoded forms) or
`register_basic_auth` (the password and the base64 credentials of its header). `redact` scrubs them from any
text; `redact_url` also masks `token=`, `password=` and `username=` query values, and URL userinfo.
`install_log_redaction` puts a filter on the httpx and httpcore loggers that rewrites each record's message,
arguments and exception text before any handler sees it: httpx logs every URL it sends, and ContactNow writes
carry their token in the query string.

It sits at the bottom of the import graph (it imports nothing from the package), so that the CLI, the
providers and anything else may scrub what they show. The emulator has its own: it imports nothing from here.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    import httpx

__all__ = [
    "RedactingFilter",
    "install_log_redaction",
    "redact",
    "redact_url",
    "register_basic_auth",
    "register_secret",
]

_MASK = "***"
_MIN_SECRET_LENGTH = 4


class _SecretRegistry:
    """The registered secrets and one compiled pattern for them; replaced whole under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: frozenset[str] = frozenset()
        self.pattern: re.Pattern[str] | None = None


_registry = _SecretRegistry()

_QUERY_SECRET = re.compile(r"(?i)([?&;](?:token|password|username|passwd|pass)=)[^&#;\s\"'\]>]*")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/@\s\"']*@")


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact` scrubs it, with its URL-encoded forms.

    Values shorter than 4 characters are not registered: scrubbing them would mangle every log line.
    """
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), quote(value)}
    with _registry.lock:
        updated = _registry.values | forms
        if updated == _registry.values:
            return
        # Longest first, so that a secret containing another is masked whole.
        alternatives = sorted(updated, key=lambda text: (-len(text), text))
        _registry.pattern = re.compile("|".join(re.escape(text) for text in alternatives))
        _registry.values = updated


def register_basic_auth(username: str, password: str) -> None:
    """Register the password and the base64 credentials of an `Authorization: Basic` header."""
    register_secret(password)
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    register_secret(encoded)


def redact(text: str) -> str:
    """Scrub every registered secret, query-string credentials and URL userinfo from `text`."""
    pattern = _registry.pattern
    if pattern is not None:
        text = pattern.sub(_MASK, text)
    text = _QUERY_SECRET.sub(lambda match: match.group(1) + _MASK, text)
    return _USERINFO.sub(lambda match: match.group(1) + _MASK + "@", text)


def redact_url(url: str | httpx.URL) -> str:
    """The URL as text with `token=`, `password=` and `username=` values (and any secret) replaced by ***."""
    return redact(str(url))


class RedactingFilter(logging.Filter):
    """Rewrites a log record so that no registered secret reaches a handler.

    The message is formatted with its arguments, scrubbed and stored back with no arguments; exception text
    is formatted and scrubbed too. It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw parts, scrubbed
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "httpcore.connection_pool",
)
_FILTER = RedactingFilter()
_install_lock = threading.Lock()


def install_log_redaction() -> None:
    """Put the redacting filter on the httpx and httpcore loggers, and on the root logger's handlers.

    Logger filters run only for records created on that very logger, so every httpcore child logger gets it.
    Calling it again is harmless.
    """
    with _install_lock:
        targets: list[logging.Filterer] = [logging.getLogger(name) for name in _LOGGERS]
        targets.extend(logging.getLogger().handlers)
        for target in targets:
            if _FILTER not in target.filters:
                target.addFilter(_FILTER)
