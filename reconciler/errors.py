"""Every error the reconciler raises on purpose.

The tree::

    ReconcilerError                 anything the CLI reports as a clean error (exit 1)
    ├── ManifestError               manifests, sources or reconciler.yaml are invalid; holds every Problem
    ├── ConfigError                 a target is unusable (missing credentials, refused URL)
    ├── ApiError                    a vendor API failed; carries status and a redacted URL
    │   ├── AuthError               credentials refused
    │   ├── CampaignStateError      Contact Center refused a whole request: campaign not found, stopped, ...
    │   ├── TransientApiError       5xx, 429, timeout or reset that retries could not get past
    │   │   └── AmbiguousWriteError a write may or may not have been stored
    │   └── RateLimitError          Retry-After longer than the configured cap
    ├── PlanError                   live state contradicts the manifests; holds every Problem
    │   ├── UnsafePlanError         a guard refused the plan (mass change, irreversible action)
    │   └── StalePlanError          a saved plan no longer matches live state or sources
    ├── ExportError                 an export would not plan cleanly; holds every Problem
    ├── InputError                  a file given on the command line cannot be used (a list import's numbers)
    ├── ApplyError                  one or more changes failed during apply
    │   └── ApplyInterrupted        the operator interrupted an apply (Ctrl-C); says what was written
    └── LockError                   another apply holds the lock

Messages never contain credentials or personal values. Only the CLI turns these into exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """Where a value was written: a file and a 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One reason a manifest or a plan is refused: where, about what, why, and what to do."""

    reason: str
    location: Location | None = None
    address: str | None = None
    remedy: str | None = None
    category: str = ""
    """"irreversible" when the live state can never again be what the manifest asks (drift reports it as
    irreversible drift); empty otherwise."""

    def __str__(self) -> str:
        parts = []
        if self.location is not None:
            parts.append(f"{self.location}:")
        if self.address:
            parts.append(f"{self.address}:")
        parts.append(self.reason)
        text = " ".join(parts)
        if self.remedy:
            text += f" ({self.remedy})"
        return text

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location or Location("")
        return (loc.file, loc.line, loc.column, self.address or "", self.reason)


class ReconcilerError(Exception):
    """Base of every error the reconciler raises on purpose."""


class _ProblemsError(ReconcilerError):
    headline = "error"

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(sorted(problems, key=Problem.sort_key))
        super().__init__(self._text())

    def _text(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{self.headline}: {count} {noun}"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


class ManifestError(_ProblemsError):
    """The manifests, their sources or reconciler.yaml are invalid. Holds every problem found."""

    headline = "invalid manifests"


class ConfigError(ReconcilerError):
    """A target cannot be used: missing credentials, a refused URL, an unknown target."""


class ApiError(ReconcilerError):
    """A vendor API call failed. `url` is already redacted."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        self.status = status
        self.url = url
        detail = message
        if status is not None:
            detail += f" (HTTP {status})"
        if url:
            detail += f" [{url}]"
        super().__init__(detail)
        self.message = message


class AuthError(ApiError):
    """The vendor refused the credentials."""


class CampaignStateError(ApiError):
    """Contact Center refused a whole request because of the campaign (or the list as a whole).

    `reason` is one of "not_found", "stopped", "not_started", "not_dynamic", "not_enabled", "invalid_list",
    "invalid_transition" (a status change the vendor refuses from the state the campaign is in);
    `message` is the vendor's text.
    """

    def __init__(
        self, message: str, *, reason: str, status: int | None = None, url: str | None = None
    ) -> None:
        super().__init__(message, status=status, url=url)
        self.reason = reason


class TransientApiError(ApiError):
    """A failure that might pass: 5xx, 429, timeout, reset. Raised once retries are exhausted."""


class AmbiguousWriteError(TransientApiError):
    """A write may or may not have been stored. The caller must re-read before it tries again."""


class RateLimitError(ApiError):
    """The vendor asked us to wait longer than the configured cap."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429, url: str | None = None):
        super().__init__(message, status=status, url=url)
        self.retry_after = retry_after


class PlanError(_ProblemsError):
    """Live state contradicts the manifests in a way no apply can fix."""

    headline = "cannot plan"


class UnsafePlanError(PlanError):
    """A guard refused the plan: too much would be completed or removed, or an irreversible step is unacknowledged."""

    headline = "plan refused by a safety guard"


class StalePlanError(PlanError):
    """A saved plan no longer matches live state or the sources it was made from."""

    headline = "stale plan refused"


class ExportError(_ProblemsError):
    """What was asked for cannot be exported as manifests that plan cleanly (e.g. a stopped campaign)."""

    headline = "cannot export"


class InputError(_ProblemsError):
    """A file given on the command line (not a manifest's source) cannot be used; holds every problem."""

    headline = "cannot read input"


class ApplyError(ReconcilerError):
    """One or more changes failed during apply; the summary says which."""


class ApplyInterrupted(ApplyError):
    """An apply stopped by the operator (Ctrl-C). The CLI exits 130, as a shell does for SIGINT."""


class LockError(ReconcilerError):
    """Another apply against the same target holds the lock."""
