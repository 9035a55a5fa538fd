"""reconciler.yaml as pydantic models: where the manifests are, the default target, guards and targets.

Built from the same pieces as the manifest kinds (spec.py). A target names the environment variables that hold
its credentials, never the credentials themselves.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from .spec import EnvName, GuardsSpec, Name, NonEmptyText, SpecModel, invalid, matches, text_schema

PLATFORM_PATTERN = r"^[a-z]{2,4}[0-9]{1,3}$"
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16
CONTACTNOW_REGIONS = {"eu": "https://api-106.dxi.eu/", "us": "https://api.contactnow.8x8.com/api/"}

_LOOPBACK_HOSTS = frozenset({"localhost", "localhost.localdomain"})


def _base_url(value: str) -> str:
    match = re.fullmatch(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<netloc>[^/?#]*)(?P<rest>.*)", value)
    if match is None or match["scheme"].lower() not in ("http", "https") or not match["netloc"]:
        raise invalid("is not an http(s) URL", "write e.g. https://api-106.dxi.eu/", echo=False)
    if "@" in match["netloc"]:
        raise invalid(
            "must not contain credentials",
            "remove the user:password@ part; credentials come from the environment variables named here",
            echo=False,
        )
    return value


BaseUrl = Annotated[
    str,
    AfterValidator(_base_url),
    WithJsonSchema({"type": "string", "pattern": "^https?://", "description": "Base URL of the API"}),
]


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is a loopback address (where plain http is acceptable): localhost, or an IP
    address in 127.0.0.0/8 or ::1. A name such as 127.0.0.1.example.com is not: DNS may send it anywhere.
    The same rule as providers.http.check_base_url, which checks again before any request."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _ApiLimits(SpecModel):
    """How hard apply may drive one API of a target."""

    concurrency: int = Field(
        default=DEFAULT_CONCURRENCY,
        ge=1,
        le=MAX_CONCURRENCY,
        description="Write requests apply keeps in flight at once against this API",
    )
    requests_per_second: float | None = Field(
        default=None,
        gt=0,
        le=1000,
        description="At most this many requests per second to this API, reads included, evenly spaced "
        "(unset: no budget; the API's 429 answers and Retry-After are honoured either way)",
    )


class ContactNowTargetSpec(_ApiLimits):
    """ContactNow API access: where, and which environment variables hold the credentials."""

    base_url: BaseUrl | None = None
    region: Literal["eu", "us"] | None = Field(
        default=None, description="eu: https://api-106.dxi.eu/, us: https://api.contactnow.8x8.com/api/"
    )
    username_env: EnvName
    password_env: EnvName

    @model_validator(mode="after")
    def _one_location(self) -> ContactNowTargetSpec:
        _check_one_location(self.base_url, self.region, "region", "region: eu")
        return self

    @property
    def url(self) -> str:
        """The base URL: baseUrl, or the region's."""
        return self.base_url or CONTACTNOW_REGIONS[self.region or "eu"]


Platform = Annotated[
    str,
    matches(
        PLATFORM_PATTERN,
        "is not a Contact Center platform",
        "use the platform from your tenant's URL, e.g. na12 or eu2",
    ),
    text_schema(PLATFORM_PATTERN, "The platform in https://vcc-<platform>.8x8.com, e.g. na12"),
]


class StatusChangeSpec(SpecModel):
    """How a campaign status change is sent. The vendor's page and its OpenAPI document disagree on both; the
    default is the OpenAPI document's."""

    method: Literal["PATCH", "POST"] = Field(
        default="PATCH", description="PATCH (the vendor's OpenAPI document) or POST (its page's curl example)"
    )
    token: Literal["action", "data"] = Field(
        default="action",
        description="Which of the tenant's tokens it sends: action (actionTokenEnv) or data (dataTokenEnv); "
        "either falls back to tokenEnv when its variable is not named",
    )


class ContactCenterTargetSpec(_ApiLimits):
    """Contact Center API access: where, and which environment variables hold the credentials."""

    base_url: BaseUrl | None = None
    platform: Platform | None = None
    tenant_env: EnvName
    token_env: EnvName
    action_token_env: EnvName | None = Field(
        default=None, description="The variable holding the tenant's Action Request Token, if not tokenEnv's"
    )
    data_token_env: EnvName | None = Field(
        default=None, description="The variable holding the tenant's Data Request Token, if not tokenEnv's"
    )
    status_change: StatusChangeSpec = StatusChangeSpec()

    @property
    def status_token_env(self) -> str | None:
        """The variable of the token the status change sends (None: tokenEnv's, as every other call)."""
        return {"action": self.action_token_env, "data": self.data_token_env}[self.status_change.token]

    @model_validator(mode="after")
    def _one_location(self) -> ContactCenterTargetSpec:
        _check_one_location(self.base_url, self.platform, "platform", "platform: na12")
        return self

    @property
    def url(self) -> str:
        """The base URL: baseUrl, or the platform's."""
        return self.base_url or f"https://vcc-{self.platform}.8x8.com"


def _check_one_location(base_url: str | None, other: str | None, other_name: str, example: str) -> None:
    if base_url is not None and other is not None:
        raise invalid(f"has both baseUrl and {other_name}", "keep one of them", echo=False)
    if base_url is None and other is None:
        raise invalid(f"has neither baseUrl nor {other_name}", f"add baseUrl: <url> or {example}", echo=False)


class TargetSpec(SpecModel):
    """A named target. Either API block may be left out when the target manages only the other API."""

    contactnow: ContactNowTargetSpec | None = None
    contact_center: ContactCenterTargetSpec | None = None
    allow_insecure_http: bool = Field(
        default=False, description="Allow plain http:// to a host that is not loopback (never in production)"
    )

    @model_validator(mode="after")
    def _check(self) -> TargetSpec:
        if self.contactnow is None and self.contact_center is None:
            raise invalid(
                "names no API",
                "add a contactnow block, a contactCenter block, or both",
                echo=False,
            )
        if not self.allow_insecure_http:
            for block in (self.contactnow, self.contact_center):
                url = block.base_url if block is not None else None
                if url is not None and url.lower().startswith("http://") and not is_loopback_url(url):
                    raise invalid(
                        "uses plain http:// to a host that is not loopback",
                        "use https://, or set allowInsecureHttp: true on this target if you really mean it",
                        echo=False,
                    )
        return self


class ProjectFile(SpecModel):
    """reconciler.yaml: where the manifests are, the default target, project-wide guards and targets."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["Project"]
    manifests: tuple[NonEmptyText, ...] = Field(
        default=(".",), description="Directories, relative to the project root, scanned for *.yaml and *.yml"
    )
    default_target: NonEmptyText = Field(default="emulator", description="The target used when none is named")
    guards: GuardsSpec = GuardsSpec()
    targets: dict[Name, TargetSpec] = Field(
        default_factory=dict, description="Named targets; emulator is built in and needs no entry"
    )
