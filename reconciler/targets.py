"""Targets: from a name in reconciler.yaml to a Connection (where, with which credentials and limits), and
from a Connection to a connected Target (providers over clients).

Three types, three stages: TargetSpec (reconciler.yaml, manifest/project_file.py), Connection (this module:
URLs, credentials read from the environment, limits), Target (providers/base.py: what kinds call).
Credentials come only from the environment variables the target names. This module never imports the
emulator: the built-in `emulator` target is mounted by the CLI, which passes its in-process transport in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx

from .errors import ConfigError
from .manifest import EMULATOR, ProjectConfig
from .providers.base import Target
from .providers.contactcenter.client import ContactCenterClient
from .providers.contactcenter.provider import ContactCenterProvider
from .providers.contactnow.client import ContactNowClient
from .providers.contactnow.provider import ContactNowProvider
from .providers.http import RateBudget, RetryPolicy
from .settings import BATCH_LIMIT, Settings


@dataclass(frozen=True)
class ApiEndpoint:
    """One API of a target: its base URL and its two credentials (already read from the environment)."""

    base_url: str
    user: str
    secret: str
    workers: int = 4
    """Write requests in flight at once."""
    requests_per_second: float | None = None
    """The request budget of this API (None: none)."""
    status_method: str = "PATCH"
    """Contact Center only: how a campaign status change is sent (PATCH or POST)."""
    status_secret: str | None = None
    """Contact Center only: the token a status change sends, when not `secret`."""


@dataclass(frozen=True)
class Connection:
    """How to reach a target. Either API may be missing when the target manages only the other."""

    name: str
    contactnow: ApiEndpoint | None = None
    contact_center: ApiEndpoint | None = None
    allow_insecure_http: bool = False
    transport: httpx.BaseTransport | None = None
    consistency_window: float = 3.0
    retry: RetryPolicy | None = None
    batch_size: int = BATCH_LIMIT
    """Rows per write request."""


EMULATOR_CONTACTNOW = ("http://127.0.0.1/contactnow/", "demo", "demo-password")
EMULATOR_CC = ("http://127.0.0.1/cc", "demo", "demo-token")
"""The built-in emulator's base URLs and demo credentials (its seed's own; not secrets)."""

Transport = Callable[[], httpx.BaseTransport]


def connection(
    config: ProjectConfig, name: str | None, settings: Settings, *, embedded: Transport | None = None
) -> Connection:
    """How to reach the target `name` (the project's default when None). The built-in emulator is reached
    through `embedded`, an in-process transport the caller mounts."""
    target_name = name or config.default_target
    if target_name == EMULATOR:
        if embedded is None:
            raise ConfigError("the built-in emulator target is not available here; name another target")
        return Connection(
            EMULATOR,
            ApiEndpoint(*EMULATOR_CONTACTNOW),
            ApiEndpoint(*EMULATOR_CC),
            transport=embedded(),
            consistency_window=0.0,
            retry=retry_policy(settings),
            batch_size=settings.batch_size,
        )
    spec = config.targets.get(target_name)
    if spec is None:
        raise ConfigError(
            f"unknown target {target_name} (known: {', '.join(config.target_names)}); "
            "name one of reconciler.yaml's targets"
        )
    contactnow = contact_center = None
    if spec.contactnow is not None:
        block = spec.contactnow
        user, secret = credentials(
            target_name, "ContactNow", (block.username_env, block.password_env), settings
        )
        contactnow = ApiEndpoint(block.url, user, secret, block.concurrency, block.requests_per_second)
    if spec.contact_center is not None:
        cc = spec.contact_center
        user, secret = credentials(target_name, "Contact Center", (cc.tenant_env, cc.token_env), settings)
        status_env = cc.status_token_env
        status_secret = None
        if status_env is not None:
            status_secret = credentials(target_name, "Contact Center", (cc.tenant_env, status_env), settings)[
                1
            ]
        contact_center = ApiEndpoint(
            cc.url,
            user,
            secret,
            cc.concurrency,
            cc.requests_per_second,
            status_method=cc.status_change.method,
            status_secret=status_secret,
        )
    return Connection(
        target_name,
        contactnow,
        contact_center,
        allow_insecure_http=spec.allow_insecure_http,
        consistency_window=settings.consistency_seconds,
        retry=retry_policy(settings),
        batch_size=settings.batch_size,
    )


def credentials(target: str, api: str, names: tuple[str, str], settings: Settings) -> tuple[str, str]:
    """Read a pair of credentials from the environment variables a target names."""
    missing = [name for name in names if not settings.secret(name)]
    if missing:
        listed = ", ".join(missing)
        raise ConfigError(
            f"target {target}: the {api} credentials are not set (environment variable {listed}); "
            f"export {listed} before running, e.g. from your CI secret store"
        )
    return settings.secret(names[0]), settings.secret(names[1])


@contextmanager
def connect(connection: Connection) -> Iterator[Target]:
    """Open the clients of a target; they are closed when the block ends."""
    with ExitStack() as stack:
        contactnow = None
        if connection.contactnow is not None:
            endpoint = connection.contactnow
            client = stack.enter_context(
                ContactNowClient(
                    endpoint.base_url,
                    endpoint.user,
                    endpoint.secret,
                    transport=connection.transport,
                    retry=connection.retry,
                    rate=_budget(endpoint),
                    allow_insecure_http=connection.allow_insecure_http,
                )
            )
            contactnow = ContactNowProvider(
                client,
                workers=endpoint.workers,
                batch_size=connection.batch_size,
                consistency_window=connection.consistency_window,
            )
        contact_center = None
        if connection.contact_center is not None:
            endpoint = connection.contact_center
            cc_client = stack.enter_context(
                ContactCenterClient(
                    endpoint.base_url,
                    endpoint.user,
                    endpoint.secret,
                    transport=connection.transport,
                    retry=connection.retry,
                    rate=_budget(endpoint),
                    allow_insecure_http=connection.allow_insecure_http,
                    status_method=endpoint.status_method,
                    status_token=endpoint.status_secret,
                )
            )
            contact_center = ContactCenterProvider(
                cc_client, workers=endpoint.workers, batch_size=connection.batch_size
            )
        yield Target(connection.name, contactnow, contact_center)


def retry_policy(settings: Settings) -> RetryPolicy:
    """The retry policy the settings ask for."""
    return RetryPolicy(
        max_attempts=settings.retry_attempts,
        base_delay=settings.retry_base_seconds,
        max_delay=settings.retry_max_seconds,
        max_retry_after=settings.max_retry_after_seconds,
    )


def _budget(endpoint: ApiEndpoint) -> RateBudget | None:
    return None if endpoint.requests_per_second is None else RateBudget(endpoint.requests_per_second)
