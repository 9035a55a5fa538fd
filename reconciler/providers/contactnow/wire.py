"""ContactNow API v2 payloads exactly as the API speaks them: every read value is text.

Reads build these with `from_row`, which keeps the documented fields (missing ones become "") and ignores
the rest. Records stay plain `dict[str, str]` because their fields depend on the campaign table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Self

__all__ = [
    "CampaignField",
    "WireDataset",
    "WireOutcome",
    "WireQueue",
    "WireTodPolicy",
    "WireTodRule",
    "WriteResult",
    "dataset_create_row",
    "dataset_update_row",
    "is_yes",
    "outcome_code_row",
    "queue_update_row",
    "record_complete_values",
    "record_create_row",
    "record_update_row",
    "text",
    "tod_policy_row",
    "tod_rule_days",
    "tod_rule_row",
    "tod_rule_span",
]


def text(value: Any) -> str:
    """A JSON scalar as the API's text: null is "", booleans are "1"/"0", numbers keep their digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    raise TypeError(f"expected a JSON scalar, got {type(value).__name__}")


class _Row:
    """Mixin: build a frozen dataclass of text fields from a read row."""

    __slots__ = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        names = [item.name for item in fields(cls)]  # type: ignore[arg-type]
        return cls(**{name: text(row.get(name)) for name in names})


@dataclass(frozen=True, slots=True)
class CampaignField(_Row):
    """One row of `ecnow.php?method=campaign_fields`."""

    name: str
    table: str = ""
    position: str = ""
    size: str = ""
    standard_field: str = ""
    group_name: str = ""
    type: str = ""
    prompt: str = ""
    readonly: str = ""
    search: str = ""
    hidden: str = ""
    hidden_on_script: str = ""
    order: str = ""
    picklist: str = ""
    required: str = ""


@dataclass(frozen=True, slots=True)
class WireQueue(_Row):
    """One row of `database.php?method=queues` (qid 999 and 505050 are not real queues)."""

    qid: str
    type: str = ""
    description: str = ""
    campaignid: str = ""
    callerid: str = ""
    tod: str = ""
    """The time-of-day policy's uid; "0" or "" when the queue has none (it dials at any time)."""


@dataclass(frozen=True, slots=True)
class WireTodPolicy(_Row):
    """One row of `database.php?method=tod_policy`: `default` is "active" or "inactive"."""

    uid: str
    description: str = ""
    default: str = ""
    timezone: str = ""


@dataclass(frozen=True, slots=True)
class WireTodRule(_Row):
    """One row of `database.php?method=tod_rules`: `days` ("Mon,Tue") or `date` (YYYY-MM-DD), `start` and
    `end` as HH:MM where the end minute is included (a rule to 17:00 is written 16:59)."""

    policy: str
    rule: str = ""
    days: str = ""
    date: str = ""
    start: str = ""
    end: str = ""
    action: str = ""


@dataclass(frozen=True, slots=True)
class WireOutcome(_Row):
    """One row of `database.php?method=outcomecodes`; flags are "Y"/"N"."""

    outcome: str
    description: str = ""
    dmc: str = ""
    sale: str = ""
    complete: str = ""
    do_not_call: str = ""
    answerphone: str = ""


@dataclass(frozen=True, slots=True)
class WireDataset(_Row):
    """One row of `ecnow.php?method=ecnow_datasets&action=read`."""

    dataset: str
    qid: str = ""
    d_status: str = ""
    d_priority: str = ""
    notes: str = ""
    callbacks: str = ""
    crm_account: str = ""
    crm_campaign: str = ""
    description: str = ""
    locked: str = ""
    loaddate: str = ""
    sourcefile: str = ""
    import_table: str = ""
    campaign: str = ""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The envelope of a create or update: `bad > 0` is a partial failure, not an exception.

    `total` counts rows stored, `bad` rows refused, `error` describes the first refused row, `key` is the id
    the vendor reports as created (for several rows, not necessarily every one: re-read, do not trust it).
    """

    total: int
    bad: int
    key: str | None = None
    info: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.bad == 0


# ---------------------------------------------------------------------------------------------- writes
# Write rows are plain `dict[str, str]` in the API's names; these build them from domain values, so that the
# names live here, beside the read side, and nowhere else.


def dataset_create_row(table: str, description: str) -> dict[str, str]:
    """One row of `ecnow_datasets` create: a new dataset of a campaign table (it starts on HOLD)."""
    return {"import_table": table, "description": description}


def dataset_update_row(
    dataset_id: int,
    *,
    description: str | None = None,
    queue: int | None = None,
    priority: int | None = None,
    status: str | None = None,
) -> dict[str, str]:
    """One row of `ecnow_datasets` update: the dataset and only the fields that change."""
    row = {"dataset": str(dataset_id)}
    for name, value in (("description", description), ("qid", queue), ("d_priority", priority)):
        if value is not None:
            row[name] = str(value)
    if status is not None:
        row["d_status"] = status
    return row


def record_create_row(dataset_id: int, key: str, key_value: str, values: Mapping[str, str]) -> dict[str, str]:
    """One row of `ecnow_records` create: the dataset, the key and the managed values."""
    return {"dataset": str(dataset_id), key: key_value, **values}


def record_update_row(dataset_id: int, record_id: int, values: Mapping[str, str]) -> dict[str, str]:
    """One row of `ecnow_records` update: the record by id, and the values to set."""
    return {"id": str(record_id), **values, "dataset": str(dataset_id)}


def record_complete_values(outcome: str) -> dict[str, str]:
    """The values that complete a record with an outcome code."""
    return {"outcomecode": outcome}


def outcome_code_row(
    outcome: str | None, flags: Mapping[str, bool | None], description: str | None
) -> dict[str, str]:
    """One row of `database.php` `outcomecodes` create or update: the code's number (required by update; on
    create, the number asked for), its description and its flags as Y/N, only those given. `flags` is by
    domain name: complete, do_not_call, dmc, sale, answerphone."""
    row: dict[str, str] = {} if outcome is None else {"outcome": outcome}
    if description is not None:
        row["description"] = description
    for name in ("complete", "do_not_call", "dmc", "sale", "answerphone"):
        value = flags.get(name)
        if value is not None:
            row[name] = "Y" if value else "N"
    return row


def is_yes(flag: str) -> bool:
    """A read flag: "Y" (or "1", as the vendor's own example writes answerphone) is yes; "N", "0", "" no."""
    return flag.strip().upper() in {"Y", "1"}


# ------------------------------------------------------------------------------------- time of day
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def tod_policy_row(uid: str | None, description: str, zone: str, default_active: bool) -> dict[str, str]:
    """One row of `tod_policy` create (uid None) or update."""
    row = {} if uid is None else {"uid": uid}
    row.update(
        {"description": description, "default": "active" if default_active else "inactive", "timezone": zone}
    )
    return row


def tod_rule_row(
    policy: str, rule: int, days: frozenset[int], on: str, span: tuple[int, int], active: bool
) -> dict[str, str]:
    """One row of `tod_rules` create or update. `span` is end-exclusive minutes; the wire's end is the last
    minute included, so (540, 1020) is written 09:00 to 16:59."""
    return {
        "policy": policy,
        "rule": str(rule),
        "days": ",".join(_WEEKDAYS[day] for day in sorted(days)),
        "date": on,
        "start": _hhmm(span[0]),
        "end": _hhmm(span[1] - 1),
        "action": "active" if active else "inactive",
    }


def tod_rule_span(row: WireTodRule) -> tuple[int, int] | None:
    """A read rule's end-exclusive span of minutes (None when its times are not HH:MM)."""
    start, end = _minutes(row.start), _minutes(row.end)
    if start is None or end is None or end < start:
        return None
    return start, end + 1


def tod_rule_days(row: WireTodRule) -> frozenset[int] | None:
    """A read rule's weekdays (0 Monday); None when one is not a weekday name."""
    names = [name.strip().title() for name in row.days.split(",") if name.strip()]
    if any(name not in _WEEKDAYS for name in names):
        return None
    return frozenset(_WEEKDAYS.index(name) for name in names)


def queue_update_row(qid: int, *, tod: str | None = None, callerid: str | None = None) -> dict[str, str]:
    """One row of `queues` update: the queue and only what changes."""
    row = {"qid": str(qid)}
    if tod is not None:
        row["tod"] = tod
    if callerid is not None:
        row["callerid"] = callerid
    return row


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _minutes(text: str) -> int | None:
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    value = int(hours) * 60 + int(minutes)
    return value if 0 <= value < 1440 else None
