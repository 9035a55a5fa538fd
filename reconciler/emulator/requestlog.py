"""The emulator's request log: one entry per vendor-API request, secrets redacted before they are stored.

`FaultMiddleware` (faults.py) records an entry for every request it sees outside `/_emulator/`. Tests count
writes with it (`log.count(op="ecnow_records.create", committed=True)`) and the admin API serves it as JSON
(`GET /_emulator/log?since=SEQ`).

Redaction happens on the way in, so a secret never reaches memory held by the log: the values of query or form
parameters that carry credentials (`token`, `password`, and the other names in `SECRET_KEYS`) become `***`,
and request headers (Authorization, Basic credentials, cookies) are never recorded at all.

The log is bounded (`max_entries`, oldest dropped first) so a long benchmark run cannot grow it without end;
`seq` keeps counting across drops and clears, so `since=` stays meaningful.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

SECRET_KEYS = ("token", "password", "passwd", "pass", "pwd", "secret", "apikey", "api_key")
"""Parameter names whose values are never stored (matched case-insensitively, also as `token[x]`)."""

REDACTED = "***"

_SECRET_PARAM = re.compile(
    r"(?i)(?P<name>(?:^|(?<=[?&;\s,{\"']))(?:" + "|".join(SECRET_KEYS) + r")(?:\[[^\]=&]*\])?)"
    r"(?P<sep>=|\"?\s*:\s*\"?)(?P<value>[^&;\s\"',}]*)"
)
_BASIC = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]+")
_USERINFO = re.compile(r"(?i)(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@")


def redact(text: str) -> str:
    """Return `text` with credential parameters, Basic/Bearer credentials and URL user-info replaced."""
    text = _SECRET_PARAM.sub(lambda m: f"{m.group('name')}{m.group('sep')}{REDACTED}", text)
    text = _BASIC.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def redact_target(path: str, query_string: str) -> str:
    """The request target as it is logged: path plus query string, credential values replaced."""
    target = path if not query_string else f"{path}?{query_string}"
    return redact(target)


@dataclass(frozen=True)
class LogEntry:
    """One request as the emulator served it (or refused it by fault injection)."""

    seq: int
    """Increasing number, 1 for the first request since the emulator started."""
    time: float
    """Emulator clock (seconds since the epoch) when the request arrived."""
    method: str
    path: str
    """Path and query string, redacted."""
    op: str
    """Logical operation: `ecnow_records.create`, `token.get`, `cc.add`, ... ("" if unknown)."""
    rows: int | None
    """Rows in the request body for writes, as the handler counted them."""
    status: int | None
    """HTTP status the client received; None when the connection was dropped without a response."""
    result: str
    """What the handler reported (`success`, `bad=3`, `error=Invalid token`, `207`...), redacted."""
    fault: str | None
    """The injected fault (`error:503`, `rate_limit:429`, `reset`, `commit_then_fail:drop`...), or None."""
    committed: bool
    """True when the handler stored a write (even if a fault then hid the response)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Thread-safe, bounded, redacting log of the requests the emulator served."""

    def __init__(self, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._lock = threading.Lock()
        self._entries: deque[LogEntry] = deque(maxlen=max_entries)
        self._seq = 0

    def record(
        self,
        *,
        time: float,
        method: str,
        path: str,
        op: str,
        rows: int | None = None,
        status: int | None = None,
        result: str = "",
        fault: str | None = None,
        committed: bool = False,
    ) -> LogEntry:
        """Append an entry. `path` and `result` are redacted here, whatever the caller passed."""
        with self._lock:
            self._seq += 1
            entry = LogEntry(
                seq=self._seq,
                time=time,
                method=method.upper(),
                path=redact(path),
                op=op,
                rows=rows,
                status=status,
                result=redact(result),
                fault=fault,
                committed=committed,
            )
            self._entries.append(entry)
            return entry

    def entries(self, since: int = 0, *, op: str | None = None) -> list[LogEntry]:
        """Entries with `seq > since`, oldest first, optionally only those of one logical op."""
        with self._lock:
            snapshot = list(self._entries)
        return [e for e in snapshot if e.seq > since and (op is None or e.op == op)]

    def count(
        self,
        *,
        op: str | None = None,
        method: str | None = None,
        status: int | None = None,
        fault: str | None = None,
        committed: bool | None = None,
        since: int = 0,
    ) -> int:
        """Number of entries matching every criterion given (`fault` matches the fault kind prefix)."""
        total = 0
        for e in self.entries(since, op=op):
            if method is not None and e.method != method.upper():
                continue
            if status is not None and e.status != status:
                continue
            if fault is not None and (e.fault is None or e.fault.split(":", 1)[0] != fault):
                continue
            if committed is not None and e.committed != committed:
                continue
            total += 1
        return total

    @property
    def last_seq(self) -> int:
        """The seq of the newest entry ever recorded (0 if none); pass it as `since` to see what follows."""
        with self._lock:
            return self._seq

    def clear(self) -> None:
        """Forget every entry; seq numbers keep increasing."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self.entries())
