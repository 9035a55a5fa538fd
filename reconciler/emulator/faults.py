"""Fault injection for the emulator: rules switchable at run time, and the ASGI middleware that applies them.

Every vendor-API request passes through `FaultMiddleware`, which wraps the whole app. It classifies the
request's logical operation BEFORE the handler runs (ContactNow: the script and `method`/`action` from the
query string or a POSTed form body, which it buffers and replays; Contact Center: method and path), asks the
`FaultInjector` what to do, applies it, and records the request in the request log. Paths under `/_emulator/`
(the admin API) are never faulted or logged.

Rule spec strings (CLI `--fault SPEC`, admin `POST /_emulator/faults`)
---------------------------------------------------------------------
    KIND[:NAME=VALUE]...

A segment without `=` continues the previous value (so `retry_after=http-date:2` works). Kinds and their
own parameters:

    error             answer STATUS, handler not run.     status=500,502,503 (default; one picked at random)
    latency           delay, then go on.                  ms=N (required)
    rate_limit        answer 429 + Retry-After, handler   retry_after=N (whole seconds, default 1)
                      not run.                            or retry_after=http-date:N (an HTTP-date N s ahead*)
    reset             drop the connection without any response, handler not run.
    commit_then_fail  run the handler; if it stored a     mode=502 (default) | drop | 502|drop (one at random)
                      write, answer 502 or drop the
                      connection instead of its response.
    cc_item_error     in a CC add, fail single items      status=503 (default; a list: one at random)
                      inside the 207 (not stored).

* rounded up to a whole second, on the real clock (the one the server's Date header uses), not on the
  emulator clock that tests may set.

Parameters every kind takes:

    rate=F        probability 0..1 that the rule fires on a matching request (per item for cc_item_error);
                  default 1
    match=P[,P]   restrict to logical ops or paths. A pattern starting with `/` is a glob on the request path,
                  any other a glob on the op (`ecnow_records.create`, `ecnow_records.*`, `token.get`,
                  `cc.add`, `cc.delete`, `cc.status`, `cc.read`, `cc.campaign`, `outcomecodes.read`...).
                  Default: all requests (cc_item_error: `cc.add`)
    count=N       fire at most N times
    after=N       let the first N matching requests (items, committed writes) through untouched
    seed=N        seed this rule's random generator (default: the injector's seed)

Examples:

    error:rate=0.2:status=500,502,503:match=ecnow_records.create
    rate_limit:rate=0.2:retry_after=2
    rate_limit:rate=0.2:retry_after=http-date:2
    commit_then_fail:rate=0.1:mode=502|drop:match=ecnow_records.create
    latency:ms=50
    reset:rate=0.05:match=/contactnow/*
    cc_item_error:rate=0.02:status=503

`apply_spec` also accepts the run-time settings, so a CLI can take them through the same option:
`token_lifetime:seconds=5`, `read_lag:seconds=2` and `json_style:style=pretty` (compact, spaced, pretty or php:
how JSON answers are laid out and escaped, jsonstyle.py).

Reproducibility: each rule draws from its own `random.Random`, seeded from the injector seed (or the rule's
`seed`), the rule's ordinal since the last `clear()` and its canonical spec. A rule's decisions depend only on
the sequence of requests it matched, so a sequential client sees the same faults on every run with one seed.

Rules are evaluated in the order they were added. Latency rules add up. The first error / rate_limit / reset
rule that fires answers the request; later ones are not consulted. commit_then_fail rules are consulted (in
order, first one firing wins) only when the handler reports `request.state.committed`.

Dropping a connection: under uvicorn the middleware aborts the request's socket before any byte of a response
is written, so the client sees the peer close (httpx: `RemoteProtocolError: Server disconnected without
sending a response`, or `ReadError` on a reset). It finds the socket through the server's `send` callable
(uvicorn's request cycle holds the transport), following the closures of middleware wrapped around it. When
no socket is reachable it starts a response that cannot complete and raises `ConnectionDropped`, a subclass
of `httpx.RemoteProtocolError`: an ASGI server then closes the connection mid-response, and httpx's
in-process `ASGITransport` re-raises it, which is the error an httpx client gets for a real drop.
"""

from __future__ import annotations

import asyncio
import email.utils
import fnmatch
import logging
import math
import random
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import parse_qs

import httpx

from .jsonstyle import STYLES, is_style

if TYPE_CHECKING:
    from .requestlog import RequestLog
    from .state import EmulatorState

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FaultKind = Literal["error", "latency", "rate_limit", "reset", "commit_then_fail", "cc_item_error"]
KINDS: Final[tuple[FaultKind, ...]] = (
    "error",
    "latency",
    "rate_limit",
    "reset",
    "commit_then_fail",
    "cc_item_error",
)
_COMMON_PARAMS: Final = frozenset({"rate", "match", "count", "after", "seed"})
_KIND_PARAMS: Final[Mapping[str, frozenset[str]]] = {
    "error": frozenset({"status"}),
    "latency": frozenset({"ms"}),
    "rate_limit": frozenset({"retry_after"}),
    "reset": frozenset(),
    "commit_then_fail": frozenset({"mode"}),
    "cc_item_error": frozenset({"status"}),
}
_DEFAULT_STATUSES: Final[Mapping[str, tuple[int, ...]]] = {
    "error": (500, 502, 503),
    "cc_item_error": (503,),
}
SETTINGS_SPECS: Final = ("token_lifetime", "read_lag")
ADMIN_PREFIX: Final = "/_emulator"

REASONS: Final[Mapping[int, str]] = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FaultSpecError(ValueError):
    """A fault spec (string or JSON object) that cannot be parsed; the message says what is wrong."""


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised into an in-process ASGI transport when a fault drops a connection and no socket is reachable."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


@dataclass(frozen=True)
class FaultSpec:
    """One parsed rule. Immutable; the injector keeps its counters and random generator beside it."""

    kind: FaultKind
    rate: float = 1.0
    match: tuple[str, ...] = ()
    count: int | None = None
    after: int = 0
    seed: int | None = None
    statuses: tuple[int, ...] = ()
    """error, cc_item_error: the statuses to choose from."""
    ms: float = 0.0
    """latency: the delay in milliseconds."""
    retry_after: float = 1.0
    """rate_limit: seconds the client is asked to wait."""
    http_date: bool = False
    """rate_limit: send Retry-After as an HTTP-date instead of seconds."""
    modes: tuple[str, ...] = ()
    """commit_then_fail: "502" and/or "drop"."""

    def to_spec(self) -> str:
        """The canonical spec string; parsing it gives back an equal FaultSpec."""
        parts: list[str] = [self.kind]
        if self.kind in ("error", "cc_item_error"):
            parts.append("status=" + ",".join(str(s) for s in self.statuses))
        elif self.kind == "latency":
            parts.append(f"ms={_num(self.ms)}")
        elif self.kind == "rate_limit":
            parts.append(f"retry_after={'http-date:' if self.http_date else ''}{_num(self.retry_after)}")
        elif self.kind == "commit_then_fail":
            parts.append("mode=" + "|".join(self.modes))
        parts.append(f"rate={_num(self.rate)}")
        if self.match:
            parts.append("match=" + ",".join(self.match))
        if self.count is not None:
            parts.append(f"count={self.count}")
        if self.after:
            parts.append(f"after={self.after}")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return ":".join(parts)

    def matches(self, op: str, path: str) -> bool:
        if not self.match:
            return True
        for pattern in self.match:
            subject = path if pattern.startswith("/") else op
            if fnmatch.fnmatchcase(subject, pattern):
                return True
        return False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "rate": self.rate, "spec": self.to_spec()}
        if self.match:
            out["match"] = list(self.match)
        if self.count is not None:
            out["count"] = self.count
        if self.after:
            out["after"] = self.after
        if self.seed is not None:
            out["seed"] = self.seed
        if self.kind in ("error", "cc_item_error"):
            out["status"] = list(self.statuses)
        elif self.kind == "latency":
            out["ms"] = self.ms
        elif self.kind == "rate_limit":
            out["retry_after"] = f"http-date:{_num(self.retry_after)}" if self.http_date else self.retry_after
        elif self.kind == "commit_then_fail":
            out["mode"] = "|".join(self.modes)
        return out


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_spec(spec: str) -> FaultSpec:
    """Parse `KIND[:NAME=VALUE]...` (see the module docstring) into a FaultSpec."""
    text = spec.strip()
    if not text:
        raise FaultSpecError("empty fault spec")
    segments = text.split(":")
    kind = segments[0].strip()
    params: dict[str, str] = {}
    last: str | None = None
    for segment in segments[1:]:
        if "=" in segment:
            name, value = segment.split("=", 1)
            name = name.strip().lower()
            if not name:
                raise FaultSpecError(f"fault spec {spec!r}: parameter without a name")
            if name in params:
                raise FaultSpecError(f"fault spec {spec!r}: parameter {name!r} given twice")
            params[name] = value.strip()
            last = name
        elif last is not None:
            params[last] = f"{params[last]}:{segment.strip()}"
        elif segment.strip():
            raise FaultSpecError(f"fault spec {spec!r}: expected NAME=VALUE, got {segment!r}")
    return spec_from_mapping({"kind": kind, **params})


def spec_from_mapping(data: Mapping[str, Any]) -> FaultSpec:
    """Build a FaultSpec from a JSON object: `{"kind": "error", "rate": 0.2, "status": [502], ...}`.

    Values may be JSON numbers/lists or the strings the spec syntax uses.
    """
    if "spec" in data:
        if len(data) != 1:
            raise FaultSpecError('a fault object holds either "spec" alone or "kind" with parameters')
        spec = data["spec"]
        if not isinstance(spec, str):
            raise FaultSpecError('"spec" must be a string')
        return parse_spec(spec)
    kind = data.get("kind")
    if kind not in KINDS:
        known = ", ".join(KINDS)
        raise FaultSpecError(f"unknown fault kind {kind!r}; expected one of {known}")
    allowed = _COMMON_PARAMS | _KIND_PARAMS[kind]
    unknown = sorted(set(data) - allowed - {"kind"})
    if unknown:
        raise FaultSpecError(
            f"fault {kind}: unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    rate = _float(data.get("rate", 1.0), f"{kind}: rate")
    if not 0.0 <= rate <= 1.0:
        raise FaultSpecError(f"fault {kind}: rate {_num(rate)} is outside 0..1")
    fields: dict[str, Any] = {
        "kind": kind,
        "rate": rate,
        "match": _patterns(data.get("match"), kind),
        "count": _opt_int(data.get("count"), f"{kind}: count"),
        "after": _opt_int(data.get("after"), f"{kind}: after") or 0,
        "seed": _opt_int(data.get("seed"), f"{kind}: seed"),
    }
    if fields["count"] is not None and fields["count"] < 0:
        raise FaultSpecError(f"fault {kind}: count must not be negative")
    if fields["after"] < 0:
        raise FaultSpecError(f"fault {kind}: after must not be negative")
    if kind in ("error", "cc_item_error"):
        fields["statuses"] = _statuses(data.get("status"), kind)
    elif kind == "latency":
        if "ms" not in data:
            raise FaultSpecError("fault latency: ms=N is required")
        ms = _float(data["ms"], "latency: ms")
        if ms < 0:
            raise FaultSpecError("fault latency: ms must not be negative")
        fields["ms"] = ms
    elif kind == "rate_limit":
        fields["retry_after"], fields["http_date"] = _retry_after(data.get("retry_after", 1))
    elif kind == "commit_then_fail":
        fields["modes"] = _modes(data.get("mode", "502"))
    return FaultSpec(**fields)


def _float(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise FaultSpecError(f"fault {what}: expected a number, got {value!r}")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise FaultSpecError(f"fault {what}: expected a number, got {value!r}") from None
    if not math.isfinite(result):
        raise FaultSpecError(f"fault {what}: expected a finite number, got {value!r}")
    return result


def _opt_int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise FaultSpecError(f"fault {what}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise FaultSpecError(f"fault {what}: expected an integer, got {value!r}")


def _split_list(value: Any, sep: str) -> list[Any]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(sep) if v.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _patterns(value: Any, kind: str) -> tuple[str, ...]:
    if value is None:
        return ("cc.add",) if kind == "cc_item_error" else ()
    patterns = _split_list(value, ",")
    if not patterns or not all(isinstance(p, str) and p for p in patterns):
        raise FaultSpecError(f"fault {kind}: match must be one or more op names or /path globs")
    return tuple(patterns)


def _statuses(value: Any, kind: str) -> tuple[int, ...]:
    if value is None:
        return _DEFAULT_STATUSES[kind]
    statuses: list[int] = []
    for item in _split_list(value, ","):
        status = _opt_int(item, f"{kind}: status")
        if status is None or not 400 <= status <= 599:
            raise FaultSpecError(f"fault {kind}: status {item!r} is not an HTTP error status (400..599)")
        statuses.append(status)
    if not statuses:
        raise FaultSpecError(f"fault {kind}: status needs at least one value")
    return tuple(statuses)


def _retry_after(value: Any) -> tuple[float, bool]:
    http_date = False
    if isinstance(value, str) and value.strip().lower().startswith("http-date"):
        http_date = True
        rest = value.strip()[len("http-date") :].lstrip(":").strip()
        value = rest or "1"
    seconds = _float(value, "rate_limit: retry_after")
    if seconds < 0:
        raise FaultSpecError("fault rate_limit: retry_after must not be negative")
    if not http_date and not seconds.is_integer():
        raise FaultSpecError("fault rate_limit: retry_after in seconds must be a whole number (RFC 9110)")
    return seconds, http_date


def _modes(value: Any) -> tuple[str, ...]:
    modes = [str(m).strip().lower() for m in _split_list(value, "|")]
    if not modes or any(m not in ("502", "drop") for m in modes):
        raise FaultSpecError(f"fault commit_then_fail: mode {value!r} must be 502, drop or 502|drop")
    return tuple(dict.fromkeys(modes))


@dataclass
class _Rule:
    """A rule as the injector holds it: the spec, its generator and its counters (guarded by the lock)."""

    spec: FaultSpec
    ordinal: int
    rng: random.Random
    seen: int = 0
    fired: int = 0

    def draw(self) -> bool:
        """Count one matching request (or item) and decide whether the rule fires on it."""
        self.seen += 1
        if self.seen <= self.spec.after:
            return False
        if self.spec.count is not None and self.fired >= self.spec.count:
            return False
        if self.rng.random() >= self.spec.rate:
            return False
        self.fired += 1
        return True


@dataclass(frozen=True)
class Decision:
    """What the middleware does with a request before (and around) its handler."""

    delay: float = 0.0
    """Seconds to wait before anything else."""
    action: Literal["error", "rate_limit", "reset"] | None = None
    """A terminal fault: answer (or drop) without running the handler."""
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    label: str | None = None
    """How the fault appears in the request log (`error:503`, `rate_limit:429`, `reset`, `latency:50ms`)."""
    commit_armed: bool = False
    """A commit_then_fail rule matches: watch the handler's `committed` flag."""


NO_FAULT: Final = Decision()


class FaultInjector:
    """The thread-safe set of active fault rules, with seeded random generators so runs are reproducible."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rules: list[_Rule] = []
        self._ordinal = 0

    # -- managing rules ------------------------------------------------------------------------------------
    def add_spec(self, spec: str) -> FaultSpec:
        """Parse a spec string (module docstring) and add the rule; raises FaultSpecError if it is invalid."""
        return self.add(parse_spec(spec))

    def add(self, spec: FaultSpec) -> FaultSpec:
        with self._lock:
            self._ordinal += 1
            self._rules.append(_Rule(spec, self._ordinal, self._rng(spec, self._ordinal)))
        log.info("fault rule added: %s", spec.to_spec())
        return spec

    def clear(self) -> None:
        """Remove every rule (settings are not faults and stay as they are)."""
        with self._lock:
            self._rules.clear()
            self._ordinal = 0
        log.info("fault rules cleared")

    def reseed(self, seed: int) -> None:
        """Use a new seed: every rule restarts its generator and its counters."""
        with self._lock:
            self._seed = seed
            for rule in self._rules:
                rule.rng = self._rng(rule.spec, rule.ordinal)
                rule.seen = 0
                rule.fired = 0

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def rules(self) -> list[dict[str, Any]]:
        """The rules in evaluation order, with how many requests each saw and how often it fired."""
        with self._lock:
            return [{**r.spec.to_dict(), "seen": r.seen, "fired": r.fired} for r in self._rules]

    def specs(self) -> list[FaultSpec]:
        with self._lock:
            return [r.spec for r in self._rules]

    def _rng(self, spec: FaultSpec, ordinal: int) -> random.Random:
        seed = self._seed if spec.seed is None else spec.seed
        return random.Random(f"{seed}/{ordinal}/{spec.to_spec()}")

    # -- decisions -----------------------------------------------------------------------------------------
    def decide(self, op: str, path: str, now: float) -> Decision:
        """Decide latency and any terminal fault for a request, before its handler runs.

        `now` (seconds since the epoch) is the base of a Retry-After HTTP-date.
        """
        if not self._rules:
            return NO_FAULT
        delay = 0.0
        labels: list[str] = []
        action: Literal["error", "rate_limit", "reset"] | None = None
        status: int | None = None
        headers: tuple[tuple[str, str], ...] = ()
        armed = False
        with self._lock:
            for rule in self._rules:
                spec = rule.spec
                if spec.kind == "cc_item_error" or not spec.matches(op, path):
                    continue
                if spec.kind == "commit_then_fail":
                    armed = True
                    continue
                if spec.kind == "latency":
                    if rule.draw():
                        delay += spec.ms / 1000.0
                        labels.append(f"latency:{_num(spec.ms)}ms")
                    continue
                if action is not None or not rule.draw():
                    continue
                if spec.kind == "error":
                    action, status = "error", rule.rng.choice(spec.statuses)
                    labels.append(f"error:{status}")
                elif spec.kind == "rate_limit":
                    action, status = "rate_limit", 429
                    headers = (("retry-after", _retry_after_value(spec, now)),)
                    labels.append("rate_limit:429")
                else:
                    action = "reset"
                    labels.append("reset")
        if not labels and not armed:
            return NO_FAULT
        return Decision(
            delay=delay,
            action=action,
            status=status,
            headers=headers,
            label=",".join(labels) or None,
            commit_armed=armed and action is None,
        )

    def commit_fault(self, op: str, path: str) -> Literal["502", "drop"] | None:
        """After a handler stored a write: should the client get a 502 or a dropped connection instead?"""
        with self._lock:
            for rule in self._rules:
                if rule.spec.kind != "commit_then_fail" or not rule.spec.matches(op, path):
                    continue
                if rule.draw():
                    mode = rule.rng.choice(rule.spec.modes)
                    return "drop" if mode == "drop" else "502"
        return None

    def item_fault(self, op: str = "cc.add", path: str = "") -> int | None:
        """For one item of a CC add: the http-status of an injected transient failure, or None."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.spec.kind != "cc_item_error" or not rule.spec.matches(op, path):
                    continue
                if rule.draw():
                    return rule.rng.choice(rule.spec.statuses)
        return None


def _retry_after_value(spec: FaultSpec, now: float) -> str:
    if spec.http_date:
        return email.utils.formatdate(math.ceil(now + spec.retry_after), usegmt=True)
    return str(int(spec.retry_after))


def apply_spec(state: EmulatorState, spec: str) -> str:
    """Apply one CLI `--fault` value: a fault rule, `token_lifetime:seconds=N` / `read_lag:seconds=N`, or
    `json_style:style=STYLE`.

    Returns a short description of what was applied, for the caller to log or show.
    """
    kind, _, rest = spec.strip().partition(":")
    if kind == "json_style":
        name, _, value = rest.partition("=")
        style = value.strip()
        if name.strip().lower() != "style" or not is_style(style):
            raise FaultSpecError(
                f"setting json_style: expected json_style:style=STYLE, one of {', '.join(STYLES)}"
            )
        state.settings.json_style = style
        return f"json_style={style}"
    if kind in SETTINGS_SPECS:
        name, _, value = rest.partition("=")
        if name.strip().lower() not in ("seconds", "s") or not value:
            raise FaultSpecError(f"setting {kind}: expected {kind}:seconds=N")
        seconds = _float(value, f"{kind}: seconds")
        if seconds < 0:
            raise FaultSpecError(f"setting {kind}: seconds must not be negative")
        setattr(state.settings, kind, seconds)
        return f"{kind}={_num(seconds)}s"
    return state.faults.add_spec(spec).to_spec()


# -- the middleware -----------------------------------------------------------------------------------------

_CONTACTNOW_SCRIPTS: Final = ("token.php", "ecnow.php", "database.php")
_CC_ADD = re.compile(r"/api/tstats/campaigns/[^/]+/customers/?$")
_CC_DELETE = re.compile(r"/api/tstats/campaigns/[^/]+/customers/[^/]+/?$")
_CC_STATUS = re.compile(r"/api/tstats/campaigns/[^/]+/?$")
_CC_READ = re.compile(r"/api/stats/campaigns/[^/]+/records\.json$")
_CC_CAMPAIGN = re.compile(r"/api/stats/campaigns/[^/]+\.json$")
_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
_MULTIPART_FIELD = re.compile(rb'name="(method|action)"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)')


def classify(method: str, path: str, query: Mapping[str, str]) -> str:
    """The logical op of a request from its method, path and arguments ("" when it is no vendor op)."""
    script = path.rstrip("/").rsplit("/", 1)[-1].lower()
    if script in _CONTACTNOW_SCRIPTS:
        action = query.get("action", "").lower() or "?"
        if script == "token.php":
            return f"token.{action}"
        name = query.get("method", "").lower() or script.removesuffix(".php")
        return f"{name}.{action}"
    if method == "POST" and _CC_ADD.search(path):
        return "cc.add"
    if method == "DELETE" and _CC_DELETE.search(path):
        return "cc.delete"
    if method in ("PATCH", "POST") and _CC_STATUS.search(path):
        return "cc.status"
    if method in ("GET", "HEAD"):
        if _CC_READ.search(path):
            return "cc.read"
        if _CC_CAMPAIGN.search(path):
            return "cc.campaign"
    return ""


def _first_values(query_string: bytes) -> dict[str, str]:
    parsed = parse_qs(query_string.decode("latin-1"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items() if v}


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    """`method` and `action` from a POSTed form body (urlencoded or multipart)."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _first_values(body)
    if content_type.startswith("multipart/form-data"):
        return {m.group(1).decode(): m.group(2).decode("latin-1") for m in _MULTIPART_FIELD.finditer(body)}
    return {}


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


@dataclass
class _Exchange:
    """One request as the middleware serves it, and its request-log entry (recorded exactly once)."""

    log: RequestLog
    state_dict: Mapping[str, Any]
    time: float
    method: str
    target: str
    op: str
    status: int | None = None
    swallow: bool = False
    dropped: bool = False
    logged: bool = False
    labels: list[str] = field(default_factory=list)

    def finish(self) -> None:
        """Record the entry. Called before the last byte reaches the client, so a client that has its answer
        always finds the request in the log."""
        if self.logged:
            return
        self.logged = True
        state = self.state_dict
        self.log.record(
            time=self.time,
            method=self.method,
            path=self.target,
            op=str(state.get("op") or self.op),
            rows=_int_or_none(state.get("rows")),
            status=None if self.dropped else self.status,
            result=str(state.get("result", "")),
            fault=",".join(self.labels) or None,
            committed=bool(state.get("committed", False)),
        )


class FaultMiddleware:
    """Pure ASGI middleware: classify, inject faults, serve, and record the request in `state.log`."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        state_dict: dict[str, Any] = scope.setdefault("state", {})
        method = str(scope.get("method", "GET")).upper()
        path = str(scope.get("path", ""))
        query_string = bytes(scope.get("query_string", b""))
        arrived = self.state.clock()

        args = _first_values(query_string)
        content_type = _header(scope, b"content-type").lower()
        if method == "POST" and content_type.startswith(_FORM_TYPES) and self._is_contactnow(path):
            # ContactNow takes arguments from a POSTed form too, and a form field wins (PHP's $_REQUEST).
            body, receive = await _buffer(receive)
            args = {**args, **_form_fields(content_type, body)}
        op = classify(method, path, args)

        # Retry-After dates follow the real clock, like the Date header the server sends beside them.
        decision = self.state.faults.decide(op, path, time.time())
        exchange = _Exchange(
            log=self.state.log,
            state_dict=state_dict,
            time=arrived,
            method=method,
            target=path if not query_string else f"{path}?{query_string.decode('latin-1')}",
            op=op,
        )
        if decision.label:
            exchange.labels.append(decision.label)
        try:
            if decision.delay > 0:
                await asyncio.sleep(decision.delay)
            if decision.action == "reset":
                exchange.dropped = True
                exchange.finish()
                await _drop(send)
            elif decision.action is not None:
                assert decision.status is not None
                exchange.status = decision.status
                exchange.finish()
                await _send_error(send, decision.status, decision.headers)
            else:
                wrapped = self._wrap_send(send, path=path, decision=decision, exchange=exchange)
                await self.app(scope, receive, wrapped)
        except BaseException:
            if exchange.status is None and not exchange.dropped:
                exchange.status = 500
            raise
        finally:
            exchange.finish()

    def _wrap_send(self, send: Send, *, path: str, decision: Decision, exchange: _Exchange) -> Send:
        faults = self.state.faults
        state_dict = exchange.state_dict

        async def wrapped(message: Message) -> None:
            if exchange.swallow:
                return
            kind = message["type"]
            if kind == "http.response.start":
                if decision.commit_armed and state_dict.get("committed"):
                    mode = faults.commit_fault(str(state_dict.get("op") or exchange.op), path)
                    if mode is not None:
                        exchange.swallow = True
                        exchange.labels.append(f"commit_then_fail:{mode}")
                        if mode == "drop":
                            exchange.dropped = True
                            exchange.finish()
                            await _drop(send)
                        else:
                            exchange.status = 502
                            exchange.finish()
                            await _send_error(send, 502, ())
                        return
                exchange.status = int(message["status"])
                if _bodiless(message):
                    # The headers are the whole answer (uvicorn writes them at once): record it before them.
                    exchange.finish()
            elif kind == "http.response.body" and not message.get("more_body", False):
                exchange.finish()
            await send(message)

        return wrapped

    @staticmethod
    def _is_contactnow(path: str) -> bool:
        return path.rstrip("/").rsplit("/", 1)[-1].lower() in _CONTACTNOW_SCRIPTS


def _bodiless(start: Message) -> bool:
    """Whether a response start says no body follows (204, 304, or `content-length: 0`)."""
    if int(start["status"]) in (204, 304):
        return True
    return any(
        bytes(name).lower() == b"content-length" and bytes(value).strip() == b"0"
        for name, value in start.get("headers", ())
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body; return it and a `receive` that replays it, then defers to the real one."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            # The client went away while sending; let the app see the disconnect.
            pending: list[Message] = [message]
            break
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            pending = []
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            if pending:
                return pending.pop()
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


_ERROR_PAGE = (
    "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n"
    "<center><h1>{0}</h1></center>\r\n</body>\r\n</html>\r\n"
)


async def _send_error(send: Send, status: int, headers: Sequence[tuple[str, str]]) -> None:
    """Answer like the reverse proxy in front of a vendor API would: an HTML error page."""
    reason = REASONS.get(status, "Error")
    body = _ERROR_PAGE.format(f"{status} {reason}").encode()
    raw_headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _drop(send: Send) -> None:
    """Close the client's connection without a byte of response (see the module docstring)."""
    transport = _socket_transport(send)
    if transport is not None:
        transport.abort()
        # Let the server see the connection go (uvicorn then neither logs nor answers 500 for this request).
        for _ in range(3):
            await asyncio.sleep(0)
        return
    # No socket within reach: start a response that can never complete, then fail. An ASGI server closes the
    # connection (the client sees an incomplete response); httpx's in-process ASGITransport re-raises the
    # exception, which is the httpx error a real drop gives.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
    raise ConnectionDropped()


_MAX_SEND_CHAIN = 32


def _socket_transport(send: Send) -> asyncio.Transport | None:
    """The asyncio transport behind the server's `send` callable, if one is reachable.

    uvicorn's `send` is a bound method of its request cycle, which holds the connection's transport.
    Middleware outside this one (Starlette's ServerErrorMiddleware) wraps `send` in a closure, so the
    wrappers' closure cells are followed too, a bounded number of steps.
    """
    pending: list[object] = [send]
    seen: set[int] = set()
    while pending and len(seen) < _MAX_SEND_CHAIN:
        candidate = pending.pop()
        if id(candidate) in seen:
            continue
        seen.add(id(candidate))
        transport = getattr(getattr(candidate, "__self__", None), "transport", None)
        if isinstance(transport, asyncio.BaseTransport) and callable(getattr(transport, "abort", None)):
            return transport  # type: ignore[return-value]
        for cell in getattr(candidate, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if callable(value):
                pending.append(value)
    return None


def specs_from_json(payload: Any) -> list[FaultSpec]:
    """Fault specs from an admin JSON body: a spec string, a rule object, or a list of either.

    `{"spec": ...}`, `{"specs": [...]}` and `{"faults": [...]}` wrappers are accepted as well.
    """
    if isinstance(payload, Mapping) and set(payload) & {"specs", "faults"}:
        items: Iterable[Any] = payload.get("specs") or payload.get("faults") or []
    elif isinstance(payload, (str, Mapping)):
        items = [payload]
    elif isinstance(payload, list):
        items = payload
    else:
        raise FaultSpecError("expected a spec string, a fault object, or a list of them")
    specs: list[FaultSpec] = []
    for item in items:
        if isinstance(item, str):
            specs.append(parse_spec(item))
        elif isinstance(item, Mapping):
            specs.append(spec_from_mapping(item))
        else:
            raise FaultSpecError(f"expected a spec string or a fault object, got {type(item).__name__}")
    return specs


__all__ = [
    "KINDS",
    "ConnectionDropped",
    "Decision",
    "FaultInjector",
    "FaultMiddleware",
    "FaultSpec",
    "FaultSpecError",
    "apply_spec",
    "classify",
    "parse_spec",
    "spec_from_mapping",
    "specs_from_json",
]
