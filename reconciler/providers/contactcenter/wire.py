"""Contact Center Dynamic Campaigns payloads, as the API speaks them (JSON names in the comments).

Ids are kept as their exact text (a `record-id` may come as a number or a string). Y/N flags stay strings.
Phone lists are personal values: they are left out of every repr.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "STATUS_METHODS",
    "AddItem",
    "AddResult",
    "DeleteOutcome",
    "MemberColumns",
    "WireCampaign",
    "WireMember",
    "status_change_body",
]

STATUS_METHODS = ("PATCH", "POST")
"""How the status change may be sent: the vendor's OpenAPI says PATCH, its page's curl POST."""


@dataclass(frozen=True, slots=True)
class WireCampaign:
    """`GET /api/stats/campaigns/{id}.json` -> {"campaign": {...}}."""

    campaign_id: str  # campaign-id
    campaign_name: str  # campaign-name
    enabled: str  # enabled: "Y" | "N"
    status: int  # status: 0 New ... 11 Schedule Purged
    dynamic_campaign: str  # dynamic-campaign: "Y" | "N"
    start_time: str | None = None  # start-time
    end_time: str | None = None  # end-time
    caller_id: str | None = None  # caller-id; None when the answer has none
    daily_start_time: str | None = None  # daily-start-time
    daily_end_time: str | None = None  # daily-end-time
    timezone: str | None = None  # timezone, POSIX style (EST5EST)


@dataclass(frozen=True, slots=True)
class WireMember:
    """One item of `GET /api/stats/campaigns/{id}/records.json` -> {"records": {"record": [...]}}."""

    record_id: str  # record-id: the CRM customer id (ACCOUNTNUM), exact text
    campaign_id: str = ""  # campaign-id
    campaign_name: str = ""  # campaign-name
    status: int | None = None  # status: 0 New, 1 Queued, 2 Accepted, 3 Completed, 4 Scheduled
    status_code: int | None = None  # status-code: 0 Default, 1 Max Attempt Reached, 2 Skipped, 3/4 phone
    disposition_code: int | None = None  # disposition-code: 1000 None, 1001 Try Again, 1002 Call Back
    phone_list: str = field(default="", repr=False)  # phone-list: "*Phone Number|5551234567" (personal)
    ext_trans_data: str = field(default="", repr=False)  # ext-trans-data


@dataclass(frozen=True, slots=True)
class MemberColumns:
    """Consecutive members of a records body: `record-id` as WireMember.record_id, `status` as WireMember.status."""

    ids: list[str]
    statuses: list[int | None]


@dataclass(frozen=True, slots=True)
class AddItem:
    """One customer to add: `{"customer-id": ..., "schedule-date-time": "<ISO 8601>"?}`."""

    customer_id: str
    schedule: str | None = None


@dataclass(frozen=True, slots=True)
class AddResult:
    """One item of the 207 answer to an add, in input order."""

    customer_id: str | None  # customer-id as text (None when the API echoes null)
    http_status: int  # http-status: 200, 400, 404 (5xx: transient, may be resent)
    schedule: str | None = None  # schedule-date-time, when given
    message: str | None = None  # message, on failure

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status < 300

    @property
    def transient(self) -> bool:
        """A server-side failure of this item only: the provider may send it again."""
        return self.http_status >= 500


class DeleteOutcome(enum.StrEnum):
    """What `DELETE /api/tstats/campaigns/{id}/customers/{customer}` did."""

    DELETED = "deleted"  # 204
    NOT_FOUND = "not_found"  # 404 "The customer has not been located."
    NOT_AVAILABLE = "not_available"  # 400 "The customer is not available for deletion."


def status_change_body(status: str) -> dict[str, str]:
    """The body of `PATCH` (or `POST`) `/api/tstats/campaigns/{id}`: `{"status": "RUNNING"}`, or PAUSED, PURGED,
    STOPPED."""
    return {"status": status}
