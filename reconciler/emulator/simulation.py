"""A dialler simulation: change live data the way a running dialler would, to produce drift on purpose.

`simulate(state, steps, seed, tick_seconds=0)` runs `steps` ticks; the clock starts at the emulator clock and
moves `tick_seconds` a tick (0: every tick happens at one instant). Each tick:

- ContactNow: dials one record on the dialler (its dataset is LIVE and its ProcessType is `New Prospect` or
  `NEEDSMOREWORK`), picked at random, when its dataset's queue may dial at the tick's time under the queue's
  time-of-day policy (contactnow_tod.py: `tod` 0 dials at any time); otherwise the tick dials nobody
  (`dials_held`). The call gets an outcome code picked at random from the account's
  outcome codes. A complete outcome (complete = Y) takes the record off the dialler (ProcessType `COMPLETE`);
  an incomplete one leaves it `NEEDSMOREWORK`. The dialler also owns the dial history: `outcomecode`,
  `ProcessDate` (the emulator clock) and a line appended to `notes`.
- Contact Center: advances one member of a running dynamic campaign (dynamic, enabled, status 1, 3 or 4),
  picked at random: New (0) -> Queued (1); Scheduled (4) -> Queued once its schedule is due; Queued ->
  Accepted (2); Accepted -> Completed (3) with a disposition code (1000 None, 1001 Try Again, 1002 Scheduled
  Call Back) and, now and then, status-code 1 (Max Attempt Reached).
- Contact Center campaigns (dynamic and enabled) move on their own, as the dialler moves them [choice: the
  contract names the codes, not when they are set]. A campaign with a schedule (a start or an end time) follows it
  before the ticks: past its end it is Schedule Stopped (7) unless already stopped; a New or Scheduled one is
  Scheduled (2) before its start and Schedule Running (4) from it. After the ticks, a running campaign with an end
  time whose members have all completed is Completed (6). A campaign without a schedule takes new customers at
  any time, so it never completes, and an operator's Paused or Purged is left alone until the end time.

The result counts what changed. It is deterministic: the same seed, store contents and clock give the same
changes (candidates are read in a fixed order and every choice comes from one `random.Random(seed)`).
Candidates are held as compact integer arrays, so a campaign of millions costs a few MB, not a dict per row.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import sqlite3
from array import array
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from .cc import (
    NOT_STARTED,
    RUNNING,
    STATUS_ACCEPTED,
    STATUS_COMPLETED,
    STATUS_NEW,
    STATUS_QUEUED,
    STATUS_SCHEDULED,
    STOPPED,
    parse_schedule,
    parse_stored_time,
)
from .contactnow_tod import TodClock

if TYPE_CHECKING:
    from .state import EmulatorState

log = logging.getLogger(__name__)

DIALLABLE: Final = ("New Prospect", "NEEDSMOREWORK")
RUNNING_CAMPAIGN: Final = tuple(sorted(RUNNING))
SCHEDULED, SCHEDULE_RUNNING, COMPLETED, SCHEDULE_STOPPED = 2, 4, 6, 7
DISPOSITIONS: Final = (1000, 1001, 1002)
MAX_ATTEMPTS_REACHED: Final = 1
MAX_ATTEMPTS_SHARE: Final = 0.1

_RECORD_CANDIDATES: Final = (
    "SELECT r.id, d.qid FROM cn_records r JOIN cn_datasets d ON d.dataset = r.datasetid"
    " WHERE d.d_status = 'LIVE' AND r.ProcessType IN (?, ?) ORDER BY r.id"
)
_MEMBER_CANDIDATES: Final = (
    "SELECT m.campaign_id, m.customer_id, m.status, m.schedule FROM cc_members m"
    " JOIN cc_campaigns c ON c.id = m.campaign_id"
    " WHERE c.dynamic = 'Y' AND c.enabled = 'Y' AND c.status IN (?, ?, ?) AND m.status IN (?, ?, ?, ?)"
    " ORDER BY m.campaign_id, m.seq, m.customer_id"
)


@dataclass(frozen=True)
class SimulationResult:
    """What one `simulate` call changed."""

    steps: int
    records_dialled: int = 0
    records_completed: int = 0
    records_needs_more_work: int = 0
    members_queued: int = 0
    members_accepted: int = 0
    members_completed: int = 0
    campaigns_moved: int = 0
    dials_held: int = 0
    """Ticks whose picked record's queue was closed by its time-of-day policy."""

    @property
    def members_advanced(self) -> int:
        return self.members_queued + self.members_accepted + self.members_completed

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "members_advanced": self.members_advanced}


class _Pool:
    """A set of candidates as a flat integer array, with O(1) random pick and removal; `tags` (optional) is a
    parallel array that moves with them (a record's queue)."""

    def __init__(self) -> None:
        self.items: array[int] = array("q")
        self.tags: array[int] = array("q")

    def __len__(self) -> int:
        return len(self.items)

    def pick(self, rng: random.Random) -> int:
        return rng.randrange(len(self.items))

    def remove(self, index: int) -> None:
        last = self.items.pop()
        tag = self.tags.pop() if self.tags else 0
        if index < len(self.items):
            self.items[index] = last
            if self.tags:
                self.tags[index] = tag


def simulate(state: EmulatorState, steps: int, seed: int, *, tick_seconds: float = 0.0) -> SimulationResult:
    """Run `steps` dialler ticks with `random.Random(seed)`, `tick_seconds` apart, and return the counts of what
    changed."""
    if steps < 0:
        raise ValueError("steps must not be negative")
    if tick_seconds < 0:
        raise ValueError("tick_seconds must not be negative")
    rng = random.Random(seed)
    now = state.clock()
    counts = dict.fromkeys(
        (
            "records_dialled",
            "records_completed",
            "records_needs_more_work",
            "members_queued",
            "members_accepted",
            "members_completed",
            "campaigns_moved",
            "dials_held",
        ),
        0,
    )
    with state.store.transaction() as conn:
        counts["campaigns_moved"] += _follow_schedules(conn, now)
        outcomes = [
            (int(outcome), complete == "Y")
            for outcome, complete in conn.execute(
                "SELECT outcome, complete FROM cn_outcomes ORDER BY outcome"
            )
        ]
        records = _Pool()
        if outcomes:
            for record_id, qid in conn.execute(_RECORD_CANDIDATES, DIALLABLE):
                records.items.append(int(record_id))
                records.tags.append(int(qid or 0))
        members = _Members.load(conn, now)
        tod = TodClock(conn)
        for step in range(steps):
            moment = now + step * tick_seconds
            if records:
                stamp = dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
                index = records.pick(rng)
                if tod.dials(records.tags[index], moment):
                    _dial(conn, rng, index, records=records, outcomes=outcomes, stamp=stamp, counts=counts)
                else:
                    counts["dials_held"] += 1
            if members:
                _advance(conn, rng, members, counts)
        counts["campaigns_moved"] += _complete_campaigns(conn)
    result = SimulationResult(steps=steps, **counts)
    log.info("dialler simulation: %s", result.to_dict())
    return result


def _dial(
    conn: sqlite3.Connection,
    rng: random.Random,
    index: int,
    *,
    records: _Pool,
    outcomes: list[tuple[int, bool]],
    stamp: str,
    counts: dict[str, int],
) -> None:
    record_id = records.items[index]
    outcome, complete = outcomes[rng.randrange(len(outcomes))]
    process_type = "COMPLETE" if complete else "NEEDSMOREWORK"
    line = f"{stamp}: Dialled by the dialler, outcome {outcome}"
    conn.execute(
        "UPDATE cn_records SET outcomecode = ?, ProcessType = ?, ProcessDate = ?,"
        " notes = CASE WHEN notes = '' THEN ? ELSE notes || char(10) || ? END WHERE id = ?",
        (str(outcome), process_type, stamp, line, line, record_id),
    )
    counts["records_dialled"] += 1
    if complete:
        counts["records_completed"] += 1
        records.remove(index)
    else:
        counts["records_needs_more_work"] += 1


class _Members:
    """Members that can still move: parallel (campaign, customer, status) arrays, a pool of their indexes."""

    def __init__(self) -> None:
        self.campaigns: array[int] = array("q")
        self.customers: array[int] = array("q")
        self.statuses: array[int] = array("b")
        self.pool = _Pool()

    @classmethod
    def load(cls, conn: sqlite3.Connection, now: float) -> _Members:
        members = cls()
        params = (*RUNNING_CAMPAIGN, STATUS_NEW, STATUS_QUEUED, STATUS_ACCEPTED, STATUS_SCHEDULED)
        for campaign_id, customer_id, status, schedule in conn.execute(_MEMBER_CANDIDATES, params):
            if status == STATUS_SCHEDULED and not _due(schedule, now):
                continue
            members.campaigns.append(int(campaign_id))
            members.customers.append(int(customer_id))
            members.statuses.append(int(status))
        members.pool.items.extend(range(len(members.customers)))
        return members

    def __len__(self) -> int:
        return len(self.pool)


def _due(schedule: object, now: float) -> bool:
    when = parse_schedule(schedule) if isinstance(schedule, str) else None
    return when is None or when.timestamp() <= now


def _advance(conn: sqlite3.Connection, rng: random.Random, members: _Members, counts: dict[str, int]) -> None:
    index = members.pool.pick(rng)
    member = members.pool.items[index]
    key = (members.campaigns[member], members.customers[member])
    status = members.statuses[member]
    if status in (STATUS_NEW, STATUS_SCHEDULED):
        conn.execute(
            "UPDATE cc_members SET status = ? WHERE campaign_id = ? AND customer_id = ?",
            (STATUS_QUEUED, *key),
        )
        members.statuses[member] = STATUS_QUEUED
        counts["members_queued"] += 1
    elif status == STATUS_QUEUED:
        conn.execute(
            "UPDATE cc_members SET status = ? WHERE campaign_id = ? AND customer_id = ?",
            (STATUS_ACCEPTED, *key),
        )
        members.statuses[member] = STATUS_ACCEPTED
        counts["members_accepted"] += 1
    else:
        disposition = DISPOSITIONS[rng.randrange(len(DISPOSITIONS))]
        status_code = MAX_ATTEMPTS_REACHED if rng.random() < MAX_ATTEMPTS_SHARE else 0
        conn.execute(
            "UPDATE cc_members SET status = ?, status_code = ?, disposition_code = ?"
            " WHERE campaign_id = ? AND customer_id = ?",
            (STATUS_COMPLETED, status_code, disposition, *key),
        )
        members.statuses[member] = STATUS_COMPLETED
        counts["members_completed"] += 1
        members.pool.remove(index)


_SCHEDULED_CAMPAIGNS: Final = (
    "SELECT id, status, start_time, end_time FROM cc_campaigns WHERE dynamic = 'Y' AND enabled = 'Y'"
    " AND (coalesce(start_time, '') != '' OR coalesce(end_time, '') != '') ORDER BY id"
)


def _follow_schedules(conn: sqlite3.Connection, now: float) -> int:
    """Move each campaign with a schedule to where its schedule puts it now; how many moved."""
    moved = 0
    for campaign_id, status, start_text, end_text in conn.execute(_SCHEDULED_CAMPAIGNS).fetchall():
        if status in STOPPED:
            continue
        start, end = parse_stored_time(start_text), parse_stored_time(end_text)
        new = status
        if end is not None and end.timestamp() <= now:
            new = SCHEDULE_STOPPED
        elif status in NOT_STARTED:
            new = SCHEDULED if start is not None and now < start.timestamp() else SCHEDULE_RUNNING
        if new != status:
            conn.execute("UPDATE cc_campaigns SET status = ? WHERE id = ?", (new, campaign_id))
            moved += 1
    return moved


def _complete_campaigns(conn: sqlite3.Connection) -> int:
    """Complete each running campaign with an end time whose members have all completed; how many."""
    done = conn.execute(
        "SELECT c.id FROM cc_campaigns c WHERE c.dynamic = 'Y' AND c.enabled = 'Y'"
        f" AND c.status IN ({', '.join('?' * len(RUNNING_CAMPAIGN))}) AND coalesce(c.end_time, '') != ''"
        " AND EXISTS (SELECT 1 FROM cc_members m WHERE m.campaign_id = c.id)"
        " AND NOT EXISTS (SELECT 1 FROM cc_members m WHERE m.campaign_id = c.id AND m.status != ?)"
        " ORDER BY c.id",
        (*RUNNING_CAMPAIGN, STATUS_COMPLETED),
    ).fetchall()
    for (campaign_id,) in done:
        conn.execute("UPDATE cc_campaigns SET status = ? WHERE id = ?", (COMPLETED, campaign_id))
    return len(done)
