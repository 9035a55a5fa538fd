"""Every setting the reconciler reads from the environment, read once into one object.

The CLI reads `Settings.from_env()` when a command starts and hands it down; nothing below it reads
`os.environ`. A value out of range is a ConfigError that names the variable and its range, before anything
is read from or written to a target. Credentials are read through `secret()`, from the variables a target
names, so they too come from the one snapshot.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from .errors import ConfigError

BATCH_LIMIT: Final = 1000
"""Both APIs' maximum rows (ContactNow) or customers (Contact Center) per write request."""

DEFAULT_SCHEDULED_AS: Final = "+1d 09:00+00:00"
"""The relative schedule `export --scheduled-as` writes by default for a member the dialler has scheduled (the
API does not say when)."""

SETTINGS: Final = {
    "RECONCILER_LOG": "log level: DEBUG, INFO, WARNING, ERROR or CRITICAL; default WARNING",
    "RECONCILER_CONSISTENCY_SECONDS": "how long a write may take to show in reads (default 3, 0..600)",
    "RECONCILER_BATCH_SIZE": "rows per write request (default 1000, 1..1000)",
    "RECONCILER_RETRY_ATTEMPTS": "attempts per request, the first included (default 5, 1..20)",
    "RECONCILER_RETRY_BASE_SECONDS": "backoff base: retry n waits random() * base * 2**(n-1) (default 0.5)",
    "RECONCILER_RETRY_MAX_SECONDS": "longest backoff between two attempts (default 30)",
    "RECONCILER_MAX_RETRY_AFTER_SECONDS": "longest Retry-After honoured; longer ends the run (default 300)",
}
"""The variables `Settings.from_env` reads (credentials aside: a target names those)."""


@dataclass(frozen=True)
class Settings:
    """What the environment asks for. Defaults are the values used when a variable is unset or empty."""

    log_level: str = "WARNING"
    consistency_seconds: float = 3.0
    """How long a write may take to become visible to reads: the wait before re-reading an ambiguous create,
    and before verifying an apply."""
    batch_size: int = BATCH_LIMIT
    retry_attempts: int = 5
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 30.0
    max_retry_after_seconds: float = 300.0
    cache_home: Path = field(default_factory=lambda: Path.home() / ".cache")
    """Where machine-wide state lives (the apply locks of real accounts): XDG_CACHE_HOME, else ~/.cache."""
    no_color: bool = False
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The environment as read, for the credentials a target names. Never printed."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        source = dict(os.environ if environ is None else environ)
        cache = source.get("XDG_CACHE_HOME", "")
        return cls(
            log_level=_log_level(source),
            consistency_seconds=number(source, "RECONCILER_CONSISTENCY_SECONDS", 3.0, 0.0, 600.0),
            batch_size=int(
                number(source, "RECONCILER_BATCH_SIZE", BATCH_LIMIT, 1, BATCH_LIMIT, integer=True)
            ),
            retry_attempts=int(number(source, "RECONCILER_RETRY_ATTEMPTS", 5, 1, 20, integer=True)),
            retry_base_seconds=number(source, "RECONCILER_RETRY_BASE_SECONDS", 0.5, 0.0, 60.0),
            retry_max_seconds=number(source, "RECONCILER_RETRY_MAX_SECONDS", 30.0, 0.0, 600.0),
            max_retry_after_seconds=number(source, "RECONCILER_MAX_RETRY_AFTER_SECONDS", 300.0, 0.0, 86400.0),
            cache_home=Path(cache) if cache else Path.home() / ".cache",
            no_color=bool(source.get("NO_COLOR")),  # no-color.org: set and not empty
            environ=source,
        )

    def secret(self, name: str) -> str:
        """The value of the environment variable `name` ("" when unset)."""
        return self.environ.get(name, "")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(environ: Mapping[str, str]) -> str:
    raw = environ.get("RECONCILER_LOG", "").strip()
    level = raw.upper() or "WARNING"
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"environment variable RECONCILER_LOG is {raw!r}; set it to one of {', '.join(LOG_LEVELS)} "
            "or unset it to use the default (WARNING)"
        )
    return level


def number(
    environ: Mapping[str, str],
    name: str,
    default: float,
    minimum: float,
    maximum: float,
    *,
    integer: bool = False,
) -> float:
    """A numeric setting: `default` when unset or empty; ConfigError when not a number in its range."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    kind = "a whole number" if integer else "a number"
    try:
        value = float(int(raw)) if integer else float(raw)
    except ValueError:
        value = float("nan")
    if not minimum <= value <= maximum:  # also false for nan
        raise ConfigError(
            f"environment variable {name} is {raw!r}; set it to {kind} from {minimum:g} to {maximum:g} "
            "or unset it to use the default"
        )
    return value
