"""The manifest language as pydantic models: one envelope per kind, its spec, and the project file.

Every model forbids unknown fields and is frozen. Values arrive as text (see yaml_loader); pydantic's lax mode
turns text into int or bool where a field wants one. Field names in YAML are camelCase (`maxPercent`), except
`customer-id`, which keeps the vendor's spelling.

Validators raise `invalid(...)`: a PydanticCustomError whose context carries the reason and the remedy, which
validation.py turns into a Problem at the right line.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from reconciler.model.fields import TEXT_ONLY_FIELDS

from .schedules import ScheduleError, parse_schedule

API_VERSION = "reconciler/v1"
KINDS = ("Dataset", "RecordSet", "CampaignMembership")

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
FIELD_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
CUSTOMER_ID_PATTERN = r"^[0-9]{1,20}$"
RELATIVE_SCHEDULE_PATTERN = r"^\+[0-7]d [0-2][0-9]:[0-5][0-9](Z|[+-][0-9]{2}:[0-9]{2})$"
PLATFORM_PATTERN = r"^[a-z]{2,4}[0-9]{1,3}$"


def invalid(what: str, remedy: str = "", *, echo: bool = True) -> PydanticCustomError:
    """A validation error with our wording: `<field> "<value>" <what> (<remedy>)`; echo=False hides the value."""
    return PydanticCustomError("reconciler", "{what}", {"what": what, "remedy": remedy, "echo": echo})


DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        hide_input_in_errors=False,
    )


def _matches(regex: str, what: str, remedy: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise invalid(what, remedy)
        return value

    return AfterValidator(check)


def _text_schema(regex: str, description: str) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "pattern": regex, "description": description}
    return WithJsonSchema(schema)


Name = Annotated[
    str,
    _matches(
        NAME_PATTERN,
        "is not a valid name",
        "use 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
    _text_schema(
        NAME_PATTERN, "1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
    ),
]
FieldName = Annotated[
    str,
    _matches(
        FIELD_NAME_PATTERN,
        "is not a field name",
        "use the field's name as ContactNow spells it, e.g. MobilePhone or VENDOR_URN",
    ),
    _text_schema(
        FIELD_NAME_PATTERN,
        "A ContactNow record field, e.g. MobilePhone, VENDOR_URN or a custom field of the campaign table",
    ),
]
EnvName = Annotated[
    str,
    _matches(
        ENV_NAME_PATTERN,
        "is not an environment variable name",
        "name the variable that holds the secret, e.g. CONTACTNOW_PASSWORD; never the secret itself",
    ),
    _text_schema(ENV_NAME_PATTERN, "The NAME of an environment variable (never its value)"),
]
NonEmptyText = Annotated[str, Field(min_length=1)]


def _queue(value: object) -> object:
    if isinstance(value, str):
        if value.isascii() and value.isdigit():
            return int(value)
        if not value.strip():
            raise invalid("is empty", "give a queue id (qid) or the name of an outbound queue")
        return value
    if value is None:
        return value
    raise invalid("must be a queue id or a queue name", "write a qid such as 75674454, or a queue name")


QueueRef = Annotated[
    int | str,
    BeforeValidator(_queue),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1}],
            "description": "An outbound queue: its qid, or its name. A name made only of digits is read as a qid.",
        }
    ),
]


def _schedule_text(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        parse_schedule(value)
    except ScheduleError as exc:
        raise PydanticCustomError(
            "reconciler", "{what}", {"what": exc.reason, "remedy": exc.remedy, "echo": True, "whole": True}
        ) from None
    return value


ScheduleText = Annotated[
    str | None,
    AfterValidator(_schedule_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "pattern": RELATIVE_SCHEDULE_PATTERN},
                {"type": "null"},
            ],
            "description": "An ISO 8601 date-time with a UTC offset or Z, e.g. 2026-11-25T09:00:00+00:00; "
            "or relative to the day of apply, e.g. +2d 09:00+00:00 (0 to 7 days)",
        }
    ),
]


def _customer_id(value: str) -> str:
    if not value:
        raise invalid("is empty", "give the CRM customer id (digits)", echo=False)
    if re.fullmatch(CUSTOMER_ID_PATTERN, value) is None:
        raise invalid("is not a CRM customer id", "use the customer's id in the CRM: digits only", echo=False)
    return value


CustomerId = Annotated[
    str,
    AfterValidator(_customer_id),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": CUSTOMER_ID_PATTERN},
            ],
            "description": "The customer's id in the Contact Center CRM (digits); kept exactly as written",
        }
    ),
]

_ROW_VALUE_TYPES = ["string", "number", "boolean", "null"]
Row = Annotated[
    dict[str, object],
    WithJsonSchema(
        {
            "type": "object",
            "description": "One record: field name to value. The key field and at least one phone are required. "
            "Phone and postcode values must be quoted.",
            "propertyNames": {"pattern": FIELD_NAME_PATTERN},
            "properties": {name: {"type": "string"} for name in sorted(TEXT_ONLY_FIELDS)},
            "additionalProperties": {"type": _ROW_VALUE_TYPES},
        }
    ),
]


# --------------------------------------------------------------------------------------------------------------
# Shared pieces


class Metadata(_Model):
    """Identity of a document: `Kind/name` is its address in plans and errors."""

    name: Name


class Guards(_Model):
    """Mass-change limits. Unset values fall back to the project's guards, then to the built-in defaults."""

    max_percent: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Refuse a plan that completes or removes more than this percentage of live rows",
    )
    min_rows: int | None = Field(
        default=None,
        ge=0,
        description="The percentage limit applies only when the resource has at least this many live rows",
    )


# --------------------------------------------------------------------------------------------------------------
# Dataset


class DatasetSpec(_Model):
    """A ContactNow dataset, matched by `id` when given, otherwise by (campaign, description)."""

    campaign: NonEmptyText = Field(description="The ContactNow campaign table, e.g. Willtest")
    description: NonEmptyText = Field(description="The dataset's description; with campaign, its natural key")
    queue: QueueRef | None = None
    status: Literal["HOLD", "LIVE", "EXPIRED"] = Field(
        default="HOLD",
        description="HOLD (not dialled), LIVE (on the dialler) or EXPIRED (closed for ever; needs acknowledge)",
    )
    priority: int = Field(default=0, ge=0, le=90, description="Dialling priority, 0 to 90")
    id: int | None = Field(default=None, ge=1, description="Pins an existing dataset by its id")
    acknowledge: tuple[Literal["expire"], ...] = Field(
        default=(),
        description="Acknowledged irreversible actions: expire (moving the dataset to EXPIRED)",
    )


class DatasetDocument(_Model):
    """A Dataset manifest document: one ContactNow dataset."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["Dataset"]
    metadata: Metadata
    spec: DatasetSpec


# --------------------------------------------------------------------------------------------------------------
# RecordSet


class AbsentPolicy(_Model):
    """What happens to live records whose key is not in the source."""

    policy: Literal["ignore", "complete"] = Field(
        default="ignore", description="ignore (leave them) or complete (set a complete outcome)"
    )
    outcome: int | None = Field(
        default=None,
        ge=0,
        description="The outcome code to set; required with complete (its complete flag Y)",
    )

    @model_validator(mode="after")
    def _outcome_matches_policy(self) -> AbsentPolicy:
        _check_outcome(self.policy, self.outcome, "absent")
        return self


class DedupePolicy(_Model):
    """What happens to live records that share one key value."""

    policy: Literal["report", "complete"] = Field(
        default="report", description="report (show them in the plan) or complete all but one"
    )
    outcome: int | None = Field(
        default=None,
        ge=0,
        description="The outcome code to set; required with complete (its complete flag Y)",
    )

    @model_validator(mode="after")
    def _outcome_matches_policy(self) -> DedupePolicy:
        _check_outcome(self.policy, self.outcome, "dedupe")
        return self


def _check_outcome(policy: str, outcome: int | None, name: str) -> None:
    if policy == "complete" and outcome is None:
        raise invalid(
            "policy complete needs an outcome",
            f"add the complete outcome code to set, e.g. {name}: {{policy: complete, outcome: 510456}}",
            echo=False,
        )
    if policy != "complete" and outcome is not None:
        raise invalid(
            f"outcome is only used with policy complete (policy is {policy})",
            "remove outcome, or set policy: complete",
            echo=False,
        )


class RecordSetSpec(_Model):
    """The records of one dataset. Only `key` and `fields` are managed; other fields are never touched."""

    dataset: Name = Field(description="metadata.name of the Dataset document these records belong to")
    key: FieldName = Field(default="VENDOR_URN", description="The field that identifies a record across runs")
    fields: tuple[FieldName, ...] = Field(
        description="Managed fields (the key is managed implicitly); include at least one phone field"
    )
    source: NonEmptyText | None = Field(
        default=None,
        description="A .csv, .jsonl or .ndjson file (optionally .gz), relative to this manifest file",
    )
    rows: tuple[Row, ...] | None = Field(default=None, description="Inline records, instead of source")
    absent: AbsentPolicy = AbsentPolicy()
    dedupe: DedupePolicy = DedupePolicy()
    guards: Guards | None = None

    @model_validator(mode="after")
    def _one_source(self) -> RecordSetSpec:
        _check_one_source(self.source, self.rows, "rows")
        return self


def _check_one_source(source: str | None, inline: object, inline_name: str) -> None:
    if source is not None and inline is not None:
        raise invalid(
            f"has both source and {inline_name}",
            f"keep one: source for a file, or {inline_name} written inline",
            echo=False,
        )
    if source is None and inline is None:
        raise invalid(
            f"has neither source nor {inline_name}",
            f"add source: <file.csv> or {inline_name}: [...]",
            echo=False,
        )


class RecordSetDocument(_Model):
    """A RecordSet manifest document: the records of one ContactNow dataset."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["RecordSet"]
    metadata: Metadata
    spec: RecordSetSpec


# --------------------------------------------------------------------------------------------------------------
# CampaignMembership


class MemberSpec(_Model):
    """One CRM customer in a dynamic campaign, with an optional schedule."""

    customer_id: CustomerId = Field(alias="customer-id")
    schedule: ScheduleText = None


class CampaignMembershipSpec(_Model):
    """The members of one Contact Center dynamic campaign."""

    campaign: int = Field(ge=1, description="The Contact Center campaign id")
    source: NonEmptyText | None = Field(
        default=None,
        description="A .csv (columns customer-id, schedule) or .jsonl file (optionally .gz), relative to this file",
    )
    members: tuple[MemberSpec, ...] | None = Field(
        default=None, description="Inline members, instead of source"
    )
    absent: Literal["ignore", "remove"] = Field(
        default="ignore", description="What happens to live members not listed: ignore or remove"
    )
    guards: Guards | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CampaignMembershipSpec:
        _check_one_source(self.source, self.members, "members")
        return self


class CampaignMembershipDocument(_Model):
    """A CampaignMembership manifest document: the members of one Contact Center dynamic campaign."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["CampaignMembership"]
    metadata: Metadata
    spec: CampaignMembershipSpec


DOCUMENT_MODELS: dict[str, type[DatasetDocument | RecordSetDocument | CampaignMembershipDocument]] = {
    "Dataset": DatasetDocument,
    "RecordSet": RecordSetDocument,
    "CampaignMembership": CampaignMembershipDocument,
}


# --------------------------------------------------------------------------------------------------------------
# reconciler.yaml

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


class _ApiLimits(_Model):
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


Platform = Annotated[
    str,
    _matches(
        PLATFORM_PATTERN,
        "is not a Contact Center platform",
        "use the platform from your tenant's URL, e.g. na12 or eu2",
    ),
    _text_schema(PLATFORM_PATTERN, "The platform in https://vcc-<platform>.8x8.com, e.g. na12"),
]


class ContactCenterTargetSpec(_ApiLimits):
    """Contact Center API access: where, and which environment variables hold the credentials."""

    base_url: BaseUrl | None = None
    platform: Platform | None = None
    tenant_env: EnvName
    token_env: EnvName

    @model_validator(mode="after")
    def _one_location(self) -> ContactCenterTargetSpec:
        _check_one_location(self.base_url, self.platform, "platform", "platform: na12")
        return self


def _check_one_location(base_url: str | None, other: str | None, other_name: str, example: str) -> None:
    if base_url is not None and other is not None:
        raise invalid(f"has both baseUrl and {other_name}", "keep one of them", echo=False)
    if base_url is None and other is None:
        raise invalid(f"has neither baseUrl nor {other_name}", f"add baseUrl: <url> or {example}", echo=False)


class TargetSpec(_Model):
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


class ProjectFile(_Model):
    """reconciler.yaml: where the manifests are, the default target, project-wide guards and targets."""

    api_version: Literal["reconciler/v1"]
    kind: Literal["Project"]
    manifests: tuple[NonEmptyText, ...] = Field(
        default=(".",), description="Directories, relative to the project root, scanned for *.yaml and *.yml"
    )
    default_target: NonEmptyText = Field(default="emulator", description="The target used when none is named")
    guards: Guards = Guards()
    targets: dict[Name, TargetSpec] = Field(
        default_factory=dict, description="Named targets; emulator is built in and needs no entry"
    )
