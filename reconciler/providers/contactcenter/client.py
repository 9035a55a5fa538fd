"""HTTP client for the 8x8 Contact Center Dynamic Campaigns API (legacy "tstats").

Basic auth (user = tenant, password = API token). 401/403 raise AuthError. Error bodies `{"message": ...}`
become ApiError with that message; the whole-request refusals (campaign not found, stopped, not started,
not dynamic, not enabled, invalid list) raise CampaignStateError with a `reason`.

Every call here is safe to repeat, so all of them retry on transient failures: reads, adds (adding a
customer twice answers "Duplicate customer", never a second member) and deletes (a repeated delete answers
"not located", reported as NOT_FOUND).

`iter_members` streams the records body with ijson: a 5,000,000-member campaign (about 1 GB of JSON) never
sits in memory. `iter_member_columns` reads only the customer id and status, a piece of the body at a time
decoded by msgspec (providers.http.body), several times faster; a body of another shape is read with ijson.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx
import ijson
import msgspec

from reconciler.errors import ApiError, AuthError, CampaignStateError
from reconciler.providers.http.body import (
    PIECE_BYTES,
    ArrayPieces,
    ArrayStart,
    BodyReader,
    BrokenBody,
    begins,
)
from reconciler.providers.http.rate import RateBudget
from reconciler.providers.http.retry import RetryPolicy
from reconciler.providers.http.session import HttpSession, SessionClient
from reconciler.redact import register_basic_auth

from .wire import (
    STATUS_METHODS,
    AddItem,
    AddResult,
    DeleteOutcome,
    MemberColumns,
    WireCampaign,
    WireMember,
    status_change_body,
)

__all__ = ["CAMPAIGN_REFUSALS", "MAX_ADD_ITEMS", "ContactCenterClient"]

_Item = TypeVar("_Item")

MAX_ADD_ITEMS: Final = 1000
"""Customers one add request may carry."""

CUSTOMER_NOT_LOCATED: Final = "The customer has not been located."
CUSTOMER_NOT_AVAILABLE: Final = "The customer is not available for deletion."

CAMPAIGN_REFUSALS: Final[Mapping[str, str]] = {
    "Campaign not found.": "not_found",
    "The campaign has stopped. No additional customers can be added.": "stopped",
    "The campaign has stopped. No customers can be deleted.": "stopped",
    "The operation is invalid for a campaign that has not started.": "not_started",
    "This is not a dynamic campaign.": "not_dynamic",
    "The campaign is not enabled.": "not_enabled",
    "This campaign is not enabled.": "not_enabled",
    "The provided customer list is invalid.": "invalid_list",
    "Invalid state transition": "invalid_transition",
    "Not a dynamic campaign": "not_dynamic",
}
"""Vendor messages that refuse a whole request, and the CampaignStateError.reason each maps to."""


def _id_text(value: Any) -> str | None:
    """An id as its exact JSON text: numbers keep their digits, strings stay as they are."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | Decimal):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return json.dumps(value)


def _optional(body: Mapping[str, Any], name: str) -> str | None:
    """A text member of an answer, None when it is missing or null."""
    value = body.get(name)
    return None if value is None else _str(value)


def _str(value: Any) -> str:
    text = _id_text(value)
    return "" if text is None else text


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


class _MemberRow(msgspec.Struct, gc=False):
    """The two fields of a record the diff reads; anything that is not a number or text takes the general path."""

    record_id: int | str | None = msgspec.field(default=None, name="record-id")
    status: int | str | None = None


class _RecordList(msgspec.Struct):
    record: list[_MemberRow]


class _RecordsBody(msgspec.Struct):
    records: _RecordList


_MEMBER_ROWS = msgspec.json.Decoder(list[_MemberRow])
_RECORDS_BODY = msgspec.json.Decoder(_RecordsBody)
_RECORDS_START = ArrayStart("records", "record")


def _row_columns(rows: list[_MemberRow]) -> MemberColumns:
    ids = [value if value.__class__ is str else _str(value) for value in [row.record_id for row in rows]]
    statuses = [
        value if value.__class__ is int else _int_or_none(value) for value in [row.status for row in rows]
    ]
    return MemberColumns(ids, statuses)


def _wire_columns(members: list[WireMember]) -> MemberColumns:
    return MemberColumns([member.record_id for member in members], [member.status for member in members])


def _segment(value: int | str, *, what: str) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError(f"{what} must not be empty")
    return quote(text, safe="")


def _member(item: Mapping[str, Any]) -> WireMember:
    record_id = _id_text(item.get("record-id"))
    return WireMember(
        record_id="" if record_id is None else record_id,
        campaign_id=_str(item.get("campaign-id")),
        campaign_name=_str(item.get("campaign-name")),
        status=_int_or_none(item.get("status")),
        status_code=_int_or_none(item.get("status-code")),
        disposition_code=_int_or_none(item.get("disposition-code")),
        phone_list=_str(item.get("phone-list")),
        ext_trans_data=_str(item.get("ext-trans-data")),
    )


def _customer_json(customer_id: str) -> int | str:
    """Digits without a leading zero go as a JSON number (as the vendor's examples); anything else as text."""
    if (
        customer_id.isascii()
        and customer_id.isdigit()
        and (customer_id == "0" or not customer_id.startswith("0"))
    ):
        return int(customer_id)
    return customer_id


class ContactCenterClient(SessionClient):
    """A thread-safe client for one Contact Center tenant. Use it as a context manager, or call `close()`."""

    def __init__(
        self,
        base_url: str,
        tenant: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        rate: RateBudget | None = None,
        allow_insecure_http: bool = False,
        status_method: str = "PATCH",
        status_token: str | None = None,
    ) -> None:
        """`status_method` and `status_token` are how the status change is sent: the vendor's documents disagree
        on the method (PATCH or POST) and on the token (action or data); None sends `token`, as every call."""
        if status_method not in STATUS_METHODS:
            raise ValueError(f"status_method must be one of {', '.join(STATUS_METHODS)}, not {status_method}")
        register_basic_auth(tenant, token)
        self._status_method = status_method
        self._status_auth: httpx.Auth | None = None
        if status_token is not None and status_token != token:
            register_basic_auth(tenant, status_token)
            self._status_auth = httpx.BasicAuth(tenant, status_token)
        self._session = HttpSession(
            base_url,
            service="Contact Center",
            transport=transport,
            timeout=timeout,
            retry=retry,
            rate=rate,
            allow_insecure_http=allow_insecure_http,
            auth=httpx.BasicAuth(tenant, token),
        )

    # ------------------------------------------------------------------------------------------ calls

    def campaign(self, campaign_id: int | str) -> WireCampaign:
        """The campaign's settings and status."""
        path = f"api/stats/campaigns/{_segment(campaign_id, what='campaign_id')}.json"
        url = self._session.url_for(path)
        response = self._session.request("GET", path, action="campaign read", idempotent=True)
        self._raise_for_status(response, url=url)
        body = self._json(response, url=url)
        campaign = body.get("campaign") if isinstance(body, dict) else None
        if not isinstance(campaign, dict):
            raise ApiError("Contact Center answered a campaign body without a `campaign` object", url=url)
        status = _int_or_none(campaign.get("status"))
        if status is None:
            raise ApiError("Contact Center answered a campaign without an integer `status`", url=url)
        start, end = campaign.get("start-time"), campaign.get("end-time")
        return WireCampaign(
            campaign_id=_str(campaign.get("campaign-id")),
            campaign_name=_str(campaign.get("campaign-name")),
            enabled=_str(campaign.get("enabled")),
            status=status,
            dynamic_campaign=_str(campaign.get("dynamic-campaign")),
            start_time=None if start is None else _str(start),
            end_time=None if end is None else _str(end),
            caller_id=_optional(campaign, "caller-id"),
            daily_start_time=_optional(campaign, "daily-start-time"),
            daily_end_time=_optional(campaign, "daily-end-time"),
            timezone=_optional(campaign, "timezone"),
        )

    def change_status(self, campaign_id: int | str, status: str) -> None:
        """Move the campaign to `status` (RUNNING, PAUSED, PURGED or STOPPED). Not retried after it may have
        been sent (AmbiguousWriteError): a second send of a stored change is refused as an invalid transition,
        so the caller re-reads instead. The vendor's refusals raise CampaignStateError (`invalid_transition`,
        `not_dynamic`, `not_enabled`)."""
        path = f"api/tstats/campaigns/{_segment(campaign_id, what='campaign_id')}"
        url = self._session.url_for(path)
        response = self._session.request(
            self._status_method,
            path,
            action="campaign status change",
            idempotent=False,
            content=json.dumps(status_change_body(status), separators=(",", ":")).encode(),
            headers={"Content-Type": "application/json"},
            auth=self._status_auth,
        )
        self._raise_for_status(response, url=url)

    def iter_members(self, campaign_id: int | str) -> Iterator[WireMember]:
        """Every member of the campaign, parsed as the body streams (one request, no paging).

        A failure before the first member is retried; one after it raises TransientApiError (read again).
        """
        return self._read_records(campaign_id, self._parse_members)

    def iter_member_columns(
        self, campaign_id: int | str, *, batch: int = 100_000, piece_bytes: int = PIECE_BYTES
    ) -> Iterator[MemberColumns]:
        """The record id and status of every member (as `iter_members` gives them), a piece of about
        `piece_bytes` of the body at a time (`batch` members at a time when it is read with ijson).

        A body whose `records.record` array opens near its start (what the service sends, however it lays
        out its JSON) is cut into pieces of whole records, each decoded by msgspec into the two fields; a piece
        with other value types is decoded exactly as `iter_members` would. Any other body is read as
        `iter_members` reads it. Retries as `iter_members`.
        """
        return self._read_records(
            campaign_id,
            lambda chunks, url: self._parse_member_columns(
                chunks, url=url, batch=batch, piece_bytes=piece_bytes
            ),
        )

    def _read_records(
        self, campaign_id: int | str, parse: Callable[[Iterator[bytes], str], Iterator[_Item]]
    ) -> Iterator[_Item]:
        """GET records.json and yield what `parse` makes of the streamed body.

        A failure before the first item is retried with backoff; one after it raises (the caller reads again).
        """
        path = f"api/stats/campaigns/{_segment(campaign_id, what='campaign_id')}/records.json"
        url = self._session.url_for(path)

        def read(response: httpx.Response) -> Iterator[_Item]:
            if not 200 <= response.status_code < 300:
                response.read()
                self._raise_for_status(response, url=url)
            return parse(response.iter_bytes(), url)

        yield from self._session.read_stream(
            "GET", path, action="records read", url=url, parse=read, resumable=False
        )

    def _parse_members(self, chunks: Iterator[bytes], url: str) -> Iterator[WireMember]:
        return self._members_of(BodyReader(chunks), url=url)

    def _parse_member_columns(
        self, chunks: Iterator[bytes], *, url: str, batch: int, piece_bytes: int
    ) -> Iterator[MemberColumns]:
        cuttable, body = begins(chunks, _RECORDS_START)
        if not cuttable:
            members: list[WireMember] = []
            for member in self._members_of(BodyReader(body), url=url):
                members.append(member)
                if len(members) >= batch:
                    yield _wire_columns(members)
                    members = []
            if members:
                yield _wire_columns(members)
            return
        cutter = ArrayPieces(
            body, _RECORDS_START, lambda data: self._piece(data, url=url), piece_bytes=piece_bytes
        )
        yield from cutter
        last = self._last_piece(cutter.remainder, url=url)
        if last.ids:
            yield last

    @staticmethod
    def _piece(data: memoryview, *, url: str) -> MemberColumns | None:
        try:
            return _row_columns(_MEMBER_ROWS.decode(data))
        except msgspec.MsgspecError:
            pass
        try:
            items = json.loads(bytes(data), parse_float=Decimal)
        except ValueError:
            return None
        if not isinstance(items, list):
            return None
        for item in items:
            if not isinstance(item, dict):
                raise ApiError("Contact Center answered a record that is not an object", url=url)
        return _wire_columns([_member(item) for item in items])

    def _last_piece(self, body: bytes, *, url: str) -> MemberColumns:
        """The members of what is left: the head up to `records.record`'s `[`, the last records and the end of
        the body."""
        try:
            return _row_columns(_RECORDS_BODY.decode(body).records.record)
        except msgspec.MsgspecError:
            pass
        return _wire_columns(list(self._members_of(BodyReader(iter((body,))), url=url)))

    def _members_of(self, reader: BodyReader, *, url: str) -> Iterator[WireMember]:
        """The members of a records body, streamed with ijson (as `iter_members` reads them)."""
        yielded = 0
        try:
            for item in ijson.items(reader, "records.record.item", use_float=False):
                if not isinstance(item, dict):
                    raise ApiError("Contact Center answered a record that is not an object", url=url)
                yielded += 1
                yield _member(item)
        except ijson.JSONError:
            raise BrokenBody from None
        if yielded == 0:
            yield from self._small_records(reader, url=url)

    def add_customers(self, campaign_id: int | str, items: Sequence[AddItem]) -> list[AddResult]:
        """Add up to 1000 customers; one result per item, in input order (the 207 answer).

        Items whose result is transient (5xx) may be sent again; whole-request refusals raise.
        """
        if not items:
            raise ValueError("add_customers needs at least one item")
        if len(items) > MAX_ADD_ITEMS:
            raise ValueError(f"add_customers takes at most {MAX_ADD_ITEMS} items per call, got {len(items)}")
        path = f"api/tstats/campaigns/{_segment(campaign_id, what='campaign_id')}/customers"
        url = self._session.url_for(path)
        payload: list[dict[str, Any]] = []
        for item in items:
            entry: dict[str, Any] = {"customer-id": _customer_json(item.customer_id)}
            if item.schedule is not None:
                entry["schedule-date-time"] = item.schedule
            payload.append(entry)
        body = json.dumps(payload, separators=(",", ":")).encode()
        response = self._session.request(
            "POST",
            path,
            action="customers add",
            idempotent=True,
            content=body,
            headers={"Content-Type": "application/json"},
        )
        self._raise_for_status(response, url=url)
        answer = self._json(response, url=url)
        if not isinstance(answer, list) or not all(isinstance(result, dict) for result in answer):
            raise ApiError("Contact Center answered an add without a list of results", url=url)
        if len(answer) != len(items):
            raise ApiError(
                f"Contact Center answered {len(answer)} results for {len(items)} customers added", url=url
            )
        results: list[AddResult] = []
        for result in answer:
            status = _int_or_none(result.get("http-status"))
            if status is None:
                raise ApiError(
                    "Contact Center answered an add result without an integer `http-status`", url=url
                )
            schedule, message = result.get("schedule-date-time"), result.get("message")
            results.append(
                AddResult(
                    customer_id=_id_text(result.get("customer-id")),
                    http_status=status,
                    schedule=None if schedule is None else _str(schedule),
                    message=None if message is None else _str(message),
                )
            )
        return results

    def delete_customer(self, campaign_id: int | str, customer_id: int | str) -> DeleteOutcome:
        """Remove one customer from the campaign. Campaign-wide refusals raise CampaignStateError."""
        path = (
            f"api/tstats/campaigns/{_segment(campaign_id, what='campaign_id')}"
            f"/customers/{_segment(customer_id, what='customer_id')}"
        )
        url = self._session.url_for(path)
        response = self._session.request("DELETE", path, action="customer delete", idempotent=True)
        status = response.status_code
        if 200 <= status < 300:
            return DeleteOutcome.DELETED
        message = self._message(response)
        if status == 404 and message == CUSTOMER_NOT_LOCATED:
            return DeleteOutcome.NOT_FOUND
        if status == 400 and message == CUSTOMER_NOT_AVAILABLE:
            return DeleteOutcome.NOT_AVAILABLE
        self._raise_for_status(response, url=url)
        raise ApiError("Contact Center answered an unexpected status to a delete", status=status, url=url)

    # -------------------------------------------------------------------------------------- internals

    @staticmethod
    def _message(response: httpx.Response) -> str | None:
        try:
            body = json.loads(response.content)
        except ValueError:
            return None
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            message: str = body["message"].strip()
            return message
        return None

    def _raise_for_status(self, response: httpx.Response, *, url: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in (401, 403):
            raise AuthError(
                "Contact Center refused the credentials; check the tenant and token environment variables",
                status=status,
                url=url,
            )
        message = self._message(response)
        if message is not None and message in CAMPAIGN_REFUSALS:
            raise CampaignStateError(message, reason=CAMPAIGN_REFUSALS[message], status=status, url=url)
        raise ApiError(message or "Contact Center answered an unexpected HTTP status", status=status, url=url)

    @staticmethod
    def _json(response: httpx.Response, *, url: str) -> Any:
        try:
            return json.loads(response.content)
        except ValueError:
            raise ApiError(
                "Contact Center answered something that is not JSON", status=response.status_code, url=url
            ) from None

    @staticmethod
    def _small_records(reader: BodyReader, *, url: str) -> Iterator[WireMember]:
        """Members of a body that held no `records.record` array: empty, or one record as an object."""
        reader.drain()
        if not reader.complete:
            raise ApiError("Contact Center answered a large records body without a `record` array", url=url)
        try:
            body = json.loads(reader.head)
        except ValueError:
            raise ApiError("Contact Center answered a records body that is not JSON", url=url) from None
        if not isinstance(body, dict) or "records" not in body:
            raise ApiError("Contact Center answered a records body without `records`", url=url)
        records = body["records"]
        if records is None or records == "":
            return
        if not isinstance(records, dict):
            raise ApiError("Contact Center answered `records` that is not an object", url=url)
        record = records.get("record")
        if record is None or record in ("", []):
            return
        if isinstance(record, dict):
            yield _member(record)
            return
        raise ApiError("Contact Center answered a `record` that is neither an array nor an object", url=url)
