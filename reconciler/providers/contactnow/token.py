"""The one owner of a ContactNow client's token (token.php, API-CONTRACT A2).

A token lasts hours and is shared by every thread of the client. When a call is answered "Invalid token",
"Expired token" or "Unknown token", the token is renewed once and the call made once more; a fresh token refused
again is an AuthError (a token is bound to the IP address that asked for it, so retrying cannot help). Threads
that see the same stale token at once renew it once between them: the first gets a new token, the others find
it already replaced and use it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from reconciler.errors import ApiError, AuthError
from reconciler.providers.http.session import HttpSession
from reconciler.redact import register_secret

from . import envelope
from .envelope import AUTHENTICATION_FAILURE, TokenRejected
from .wire import text

__all__ = ["TOKEN_SCRIPT", "Token"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

TOKEN_SCRIPT = "token.php"  # noqa: S105 (a script name, not a secret)


class Token:
    """Gets, shares and renews the token of one account; `fetches` counts every token.php?action=get."""

    def __init__(self, session: HttpSession, username: str, password: str) -> None:
        self._session = session
        self._username = username
        self._password = password
        self._token: str | None = None
        self._lock = threading.Lock()
        self.fetches = 0
        """How many times a token was asked for (the first time included)."""

    def get(self) -> str:
        """The current token, fetched on first use."""
        token = self._token
        if token is not None:
            return token
        return self.renew(stale=None)

    def renew(self, *, stale: str | None) -> str:
        """A new token, unless another thread already replaced the `stale` one: then that one."""
        with self._lock:
            if self._token is not None and self._token != stale:
                return self._token
            self._token = None
            token = self._fetch()
            self._token = token
            return token

    def stream(self, run: Callable[[str], Iterator[T]]) -> Iterator[T]:
        """Yield what `run(token)` yields; when the token is refused, renew it once and run again.

        A run that yielded items before the refusal must skip them the second time (records.py resumes).
        """
        token = self.get()
        try:
            yield from run(token)
            return
        except TokenRejected as rejected:
            logger.info("ContactNow token refused (%s); getting a new one", rejected.error)
            token = self.renew(stale=token)
        try:
            yield from run(token)
        except TokenRejected as again:
            raise AuthError(
                f"ContactNow refused a fresh token ({again.error}); "
                "the token may be bound to another IP address",
            ) from None

    def call(self, run: Callable[[str], T]) -> T:
        """`run(token)`, with one renewal as `stream` has (a call is a stream of one result)."""
        (result,) = self.stream(lambda token: iter((run(token),)))
        return result

    def _fetch(self) -> str:
        self.fetches += 1
        url = self._session.url_for(TOKEN_SCRIPT)
        response = self._session.request(
            "POST",
            TOKEN_SCRIPT,
            action="token.get",
            idempotent=True,
            data={
                "action": "get",
                "format": "json",
                "username": self._username,
                "password": self._password,
            },
        )
        answer = envelope.decode(response, url=url)
        if not envelope.is_true(answer.get("success")):
            error = text(answer.get("error")) or "no error text"
            if error == AUTHENTICATION_FAILURE:
                raise AuthError(
                    f"ContactNow refused the credentials ({error}); "
                    "check the username and password environment variables",
                    url=url,
                )
            raise ApiError(error, url=url)
        token = answer.get("token")
        if not isinstance(token, str) or not token:
            raise ApiError("ContactNow token.php answered success without a token", url=url)
        register_secret(token)
        logger.debug("ContactNow token obtained (fetch %d)", self.fetches)
        return token
