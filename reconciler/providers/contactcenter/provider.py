"""Contact Center dynamic campaigns, behind the provider contract (providers/base.py): wire rows <-> domain
values, and membership changes as API calls.

Adds cannot duplicate (a second add answers "Duplicate customer"), so they are safe to send again; deletes are
idempotent too (a second delete answers 404). Removals run before adds, so a reschedule is a removal then an add.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from ...concurrency import batches, run_bounded
from ...errors import ApiError
from ...model.campaign import CampaignState
from ...model.state import LiveMember, LiveMembers, MemberStatus
from ..base import CampaignInfo, MemberOutcome, Progress
from ..writes import BATCH_LIMIT, FATAL, StopGate
from .client import ContactCenterClient
from .wire import AddItem, DeleteOutcome, WireCampaign

logger = logging.getLogger(__name__)

DUPLICATE = "Duplicate customer"
_STATUSES = {int(status.value): status for status in MemberStatus}
_CODES = frozenset(_STATUSES)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def campaign_from_wire(row: WireCampaign) -> CampaignInfo:
    return CampaignInfo(
        id=int(row.campaign_id),
        name=row.campaign_name,
        dynamic=row.dynamic_campaign == "Y",
        enabled=row.enabled == "Y",
        status=int(row.status),
        start=_parse_time(row.start_time),
        end=_parse_time(row.end_time),
        caller_id=row.caller_id,
        daily=None
        if row.daily_start_time is None or row.daily_end_time is None or row.timezone is None
        else (row.daily_start_time, row.daily_end_time, row.timezone),
    )


class ContactCenterProvider:
    def __init__(
        self,
        client: ContactCenterClient,
        *,
        workers: int = 4,
        batch_size: int | None = None,
        resend_rounds: int = 8,
    ) -> None:
        self.client = client
        self.workers = max(1, workers)
        self.batch_size = min(batch_size or BATCH_LIMIT, BATCH_LIMIT)
        self.resend_rounds = resend_rounds

    def campaign(self, campaign_id: int) -> CampaignInfo:
        return campaign_from_wire(self.client.campaign(campaign_id))

    def change_status(self, campaign_id: int, state: CampaignState) -> None:
        self.client.change_status(campaign_id, state.value)

    def iter_members(self, campaign_id: int) -> Iterator[LiveMember]:
        for piece in self.iter_member_pieces(campaign_id):
            for customer, code in zip(piece.customer_ids, piece.statuses, strict=True):
                yield LiveMember(customer, _STATUSES[code])

    def iter_member_pieces(self, campaign_id: int) -> Iterator[LiveMembers]:
        """The live members a piece of the records body at a time; a status the API does not document
        counts as queued (in the dialler's hands, removable)."""
        queued = int(MemberStatus.QUEUED.value)
        for columns in self.client.iter_member_columns(campaign_id):
            statuses = [code if code is not None and code in _CODES else queued for code in columns.statuses]
            yield LiveMembers(columns.ids, statuses)

    def remove(
        self, campaign_id: int, customers: Sequence[str], *, progress: Progress | None = None
    ) -> MemberOutcome:
        outcome = MemberOutcome()
        gate = StopGate()

        def delete(customer: str) -> None:
            if gate.closed:
                return
            try:
                result = self.client.delete_customer(campaign_id, customer)
            except FATAL as error:
                gate.close(error)
                return
            except ApiError as error:
                outcome.fail(customer, error.message)
                return
            if result is DeleteOutcome.NOT_AVAILABLE:
                outcome.fail(customer, "The customer is not available for deletion.")
                return
            with outcome.lock:
                outcome.removed += 1
            if progress:
                progress(1)

        run_bounded(customers, delete, workers=self.workers, name="cc-remove")
        gate.raise_if_closed()
        return outcome

    def add(
        self,
        campaign_id: int,
        customers: Sequence[str],
        schedules: Mapping[str, datetime],
        *,
        progress: Progress | None = None,
        outcome: MemberOutcome | None = None,
    ) -> MemberOutcome:
        """Add members in batches. Items that fail transiently (5xx inside the 207) are sent again, and a
        "Duplicate customer" answer means the member is already there: converged, not failed."""
        outcome = outcome or MemberOutcome()
        gate = StopGate()
        pending = list(customers)
        for _round in range(self.resend_rounds + 1):
            transient: list[str] = []
            lock = threading.Lock()

            def send(batch: list[str], transient: list[str] = transient, lock: threading.Lock = lock) -> None:
                if gate.closed:
                    return
                items = [AddItem(customer, _iso(schedules.get(customer))) for customer in batch]
                try:
                    results = self.client.add_customers(campaign_id, items)
                except FATAL as error:
                    gate.close(error)
                    return
                except ApiError as error:
                    for customer in batch:
                        outcome.fail(customer, error.message)
                    return
                done = 0
                for item, result in zip(items, results, strict=False):
                    customer = result.customer_id or item.customer_id
                    if result.http_status == 200 or result.message == DUPLICATE:
                        done += 1
                    elif result.http_status >= 500:
                        with lock:
                            transient.append(customer)
                    else:
                        outcome.fail(customer, _add_failure(result.http_status, result.message))
                with outcome.lock:
                    outcome.added += done
                if progress and done:
                    progress(done)

            run_bounded(batches(pending, self.batch_size), send, workers=self.workers, name="cc-add")
            gate.raise_if_closed()
            if not transient:
                return outcome
            logger.info("%d members failed transiently; sending them again", len(transient))
            pending = transient
        outcome.unresolved.extend(pending)
        return outcome


def _add_failure(status: int, message: str | None) -> str:
    """The reason an add was refused, saying what to do where the API's words alone do not."""
    said = message or f"HTTP {status}"
    if status == 404:
        return (
            f"not found in the contact centre's CRM ({said}); create the customer in the CRM first, "
            "or take it out of the manifest"
        )
    return said


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.isoformat(timespec="milliseconds")
