"""The dialler simulation honours each queue's time-of-day policy: under a policy the plan proved, 10,000 ticks
of a minute dial no record outside the calling window in its own zone; with the queue's policy mis-set (which
the plan refuses, so it is set behind the reconciler's back), dials outside the window appear."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from harness.project import Project
from support import dataset_doc, document, record_set_doc, us_sales_policy

from e2e.test_calling_proof import _tod
from reconciler import cli
from reconciler.emulator.simulation import simulate

START = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles
LA = ZoneInfo("America/Los_Angeles")
POLICY = us_sales_policy(None)


RECORDS = 1000
"""More records than a day's window has one-minute ticks (13 h, 780), so the dialler cannot finish them all in
the first window, whatever share of the account's outcome codes completes a record, and still has records to
hold when the window closes."""


def _write(project: Project, tod: str) -> None:
    rows = ", ".join(
        f'{{VENDOR_URN: "R-{i}", FirstName: "N", MobilePhone: "+1 310 555 {i:04d}"}}' for i in range(RECORDS)
    )
    project.write(
        "manifests/calling.yaml",
        POLICY
        + _tod("la-hours", "LA hours", "America/Los_Angeles", "08:00-21:00")
        + _tod("uk-hours", "UK hours", "Europe/London", "09:00-20:00")
        + document("Queue", "willtest", qid=75674454, todPolicy=tod)
        + dataset_doc("spring", "Spring 2026", queue=75674454, status="LIVE", callingPolicy="us-sales")
        + record_set_doc(rows=f"[{rows}]"),
    )


@pytest.fixture
def live(project: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """The project applied under the LA policy at 10:00 in Los Angeles: 1,000 LA records on a LIVE dataset."""
    make = cli._engine
    monkeypatch.setattr(cli, "_engine", lambda settings: replace(make(settings), clock=lambda: START))
    _write(project, "la-hours")
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert project.view.dataset().status == "LIVE"
    project.state.clock = START.timestamp
    yield project


def _dials(project: Project) -> list[datetime]:
    """The time of every dial the simulation made, from the lines it appends to each record's notes."""
    found = []
    for record in project.view.records():
        for line in record["notes"].splitlines():
            if ": Dialled by the dialler" in line:
                found.append(datetime.fromisoformat(line.split(": Dialled", 1)[0]).replace(tzinfo=UTC))
    return found


def _outside(dials: list[datetime]) -> list[datetime]:
    """Dials outside 08:00-21:00 in Los Angeles."""
    return [
        when
        for when in dials
        if not 8 * 60 <= when.astimezone(LA).hour * 60 + when.astimezone(LA).minute < 21 * 60
    ]


def test_under_a_proven_policy_no_dial_falls_outside_the_window(live: Project) -> None:
    result = simulate(live.state, 10_000, seed=17, tick_seconds=60)
    dials = _dials(live)
    assert result.records_dialled == len(dials) > 0
    assert result.dials_held > 0
    assert _outside(dials) == []


def test_a_mis_set_policy_is_refused_by_the_plan_and_would_dial_out_of_hours(live: Project) -> None:
    _write(live, "uk-hours")
    mark = live.mark()
    refused = live.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert (
        "Dataset/spring: 1,000 records in America/Los_Angeles are on queue 75674454, whose policy 'UK hours' "
        "(Europe/London 09:00-20:00) opens at 01:00 local"
    ) in refused.stderr
    assert live.writes(mark) == []
    # Behind the reconciler's back: the queue is pointed at a London policy in ContactNow itself.
    store = live.state.store
    store.execute(
        """INSERT INTO cn_tod_policies(uid, description, "default", timezone)"""
        " VALUES (90, 'UK hours', 'inactive', 'Europe/London')"
    )
    store.execute(
        """INSERT INTO cn_tod_rules(policy, rule, days, date, start, "end", action)"""
        " VALUES (90, 1, 'Mon,Tue,Wed,Thu,Fri,Sat,Sun', '', '09:00', '19:59', 'active')"
    )
    store.execute("UPDATE cn_queues SET tod = 90 WHERE qid = 75674454")
    simulate(live.state, 10_000, seed=17, tick_seconds=60)
    outside = _outside(_dials(live))
    assert outside
    assert min(when.astimezone(LA).hour for when in outside) == 1
