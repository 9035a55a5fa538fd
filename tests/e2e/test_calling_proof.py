"""Calling hours proved at plan time and gated by the clock at apply time, through the CLI against the emulator:
a queue whose time-of-day policy opens early for some zone is refused with the exact message and no write, an
unresolved number under `refuse` is refused, and HOLD -> LIVE waits for the window in the records' own zone (a
fake engine clock; the machine's zone plays no part)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from harness.project import Project
from support import dataset_doc, document, membership_doc, record_set_doc, us_sales_policy

US_SALES = us_sales_policy("advisory")


def _tod(name: str, description: str, zone: str, hours: str) -> str:
    return document(
        "TodPolicy",
        name,
        description=f'"{description}"',
        timezone=zone,
        rules=f'[{{days: [mon, tue, wed, thu, fri, sat, sun], hours: "{hours}", action: active}}]',
    )


UK_HOURS = _tod("uk-hours", "UK hours", "Europe/London", "09:00-20:00")
NY_HOURS = _tod("ny-hours", "NY hours", "America/New_York", "08:00-21:00")


def _records(*phones: str) -> str:
    rows = ", ".join(
        f'{{VENDOR_URN: "R-{i}", FirstName: "N{i}", MobilePhone: "{phone}"}}'
        for i, phone in enumerate(phones, 1)
    )
    return record_set_doc(rows=f"[{rows}]")


def _project(project: Project, policy: str, tod: str, phones: tuple[str, ...], **dataset: object) -> None:
    spec = {"queue": 75674454, "status": "LIVE", "callingPolicy": "us-sales", **dataset}
    project.write(
        "manifests/calling.yaml",
        policy
        + tod
        + document("Queue", "willtest", qid=75674454, todPolicy=tod.split("name: ", 1)[1].split("\n", 1)[0])
        + dataset_doc("spring", "Spring 2026", **spec)
        + _records(*phones),
    )


def test_a_queue_policy_that_opens_early_for_a_zone_is_refused_with_no_write(
    project: Project, clock: list[datetime]
) -> None:
    mandatory = US_SALES.replace("enforcement: advisory", "enforcement: mandatory")
    _project(project, mandatory, UK_HOURS, ("+1 310 555 0100", "+1 310 555 0101", "+1 212 555 0100"))
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 2 problems\n"
        f"  {project.root}/manifests/calling.yaml:35:10: Dataset/spring: 1 records in America/New_York are on "
        "queue 75674454, whose policy 'UK hours' (Europe/London 09:00-20:00) opens at 04:00 local; "
        "CallingPolicy/us-sales allows 08:00-21:00 there (point queue 75674454 at a TodPolicy whose "
        "hours lie inside CallingPolicy/us-sales in every zone of these records (a Queue document's todPolicy), "
        "or put the records on a queue whose policy does)\n"
        f"  {project.root}/manifests/calling.yaml:35:10: Dataset/spring: 2 records in America/Los_Angeles are on "
        "queue 75674454, whose policy 'UK hours' (Europe/London 09:00-20:00) opens at 01:00 local; "
        "CallingPolicy/us-sales allows 08:00-21:00 there (point queue 75674454 at a TodPolicy whose "
        "hours lie inside CallingPolicy/us-sales in every zone of these records (a Queue document's todPolicy), "
        "or put the records on a queue whose policy does)\n"
    )
    assert project.writes(mark) == []


def test_an_unresolved_number_under_refuse_is_refused_with_no_write(
    project: Project, clock: list[datetime]
) -> None:
    _project(project, US_SALES, NY_HOURS, ("+1 212 555 0100", "+999 1234567"))
    mark = project.mark()
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/calling.yaml:42:9: RecordSet/spring-records: 1 records have no time zone: "
        "nothing in zone, postcode, phone resolves them (source rows 2) (fill their zone, postcode or phone, or "
        "declare `unresolved: fallback` with a fallback window in CallingPolicy/us-sales)\n"
    )
    assert project.writes(mark) == []


def test_the_plan_reports_how_zones_were_resolved_and_an_advisory_finding(
    project: Project, clock: list[datetime]
) -> None:
    policy = US_SALES.replace(
        "  enforcement: advisory\n",
        "  enforcement: advisory\n  zones: {region: US}\n  unresolved: fallback\n"
        '  fallback: {zone: America/New_York, window: "12:00-17:00"}\n',
    )
    _project(
        project, policy, NY_HOURS, ("+1 212 555 0100", "(212) 555-0101", "+1 646 555 0102", "+999 1234567")
    )
    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.stderr
    assert (
        "  RecordSet/spring-records [info]: calling hours (CallingPolicy/us-sales): 4 records in 1 zones (3 by "
        "phone, 1 by fallback); 0 ambiguous (several zones; the check takes every one); 1 unresolved; 1 invalid "
        "numbers; 0 invalid zone names; 0 invalid postcodes; 0 postcode/phone conflicts\n"
        "  RecordSet/spring-records [info]: 4 records in America/New_York are on queue 75674454, whose policy 'NY "
        "hours' (America/New_York 08:00-21:00) opens at 08:00 local; CallingPolicy/us-sales "
        "allows 12:00-17:00 there (advisory)\n"
    ) in planned.stdout


def test_the_plan_counts_zones_resolved_by_us_zip_and_canadian_postal_code(
    project: Project, clock: list[datetime]
) -> None:
    """A postcode column first, then the phone: a ZIP, a ZIP+4 and a postal code resolve by postcode, a four-digit
    value under region US is invalid (a ZIP that lost its leading zero is not guessed) so the phone decides, and a
    Los Angeles ZIP beside a New York number is a conflict the postcode wins."""
    policy = US_SALES.replace(
        "  enforcement: advisory\n",
        "  enforcement: advisory\n  zones: {precedence: [postcode, phone], postcodeColumn: Postcode, region: US}\n",
    )
    people = (
        ("+1 212 555 0100", "90210"),
        ("+1 416 555 0101", "m5v 2t6"),
        ("+1 646 555 0102", "1234"),
        ("+1 312 555 0103", "60601-1234"),
        ("+1 212 555 0104", ""),
    )
    rows = ", ".join(
        f'{{VENDOR_URN: "R-{i}", FirstName: "N{i}", MobilePhone: "{phone}", Postcode: "{postcode}"}}'
        for i, (phone, postcode) in enumerate(people, 1)
    )
    records = record_set_doc(fields="[FirstName, MobilePhone, Postcode]", rows=f"[{rows}]")
    queue = document("Queue", "willtest", qid=75674454, todPolicy="ny-hours")
    dataset = dataset_doc("spring", "Spring 2026", queue=75674454, status="LIVE", callingPolicy="us-sales")
    project.write("manifests/calling.yaml", policy + NY_HOURS + queue + dataset + records)
    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.stderr
    assert (
        "Observed, not changed:\n"
        "  RecordSet/spring-records [info]: calling hours (CallingPolicy/us-sales): 5 records in 4 zones (3 by "
        "postcode, 2 by phone); 0 ambiguous (several zones; the check takes every one); 0 unresolved; 0 invalid "
        "numbers; 0 invalid zone names; 1 invalid postcodes; 1 postcode/phone conflicts\n"
        "  RecordSet/spring-records [info]: 1 records in America/Chicago are on queue 75674454, whose policy 'NY "
        "hours' (America/New_York 08:00-21:00) opens at 07:00 local; CallingPolicy/us-sales allows 08:00-21:00 "
        "there (advisory)\n"
        "  RecordSet/spring-records [info]: 1 records in America/Los_Angeles are on queue 75674454, whose policy "
        "'NY hours' (America/New_York 08:00-21:00) opens at 05:00 local; CallingPolicy/us-sales allows "
        "08:00-21:00 there (advisory)\n"
    ) in planned.stdout


def test_going_live_waits_for_the_window_in_the_records_zone(project: Project, clock: list[datetime]) -> None:
    _project(project, US_SALES, NY_HOURS, ("+1 212 555 0100", "+1 646 555 0101"))
    clock[0] = datetime(2026, 12, 7, 12, 59, tzinfo=UTC)  # 07:59 in New York
    deferred = project.cli("apply", "--auto-approve")
    assert deferred.exit_code == 1
    assert project.view.dataset().status == "HOLD"
    assert len(project.view.records()) == 2
    assert (
        "deferred: left on HOLD, it is Mon 07:59 in America/New_York, outside CallingPolicy/us-sales (08:00-21:00 "
        "there); the window opens in every zone at 2026-12-07 13:00 UTC (Mon 08:00 in America/New_York); apply "
        "again then"
    ) in deferred.stdout + deferred.stderr
    clock[0] = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 08:00 in New York
    mark = project.mark()
    live = project.cli("apply", "--auto-approve")
    assert live.exit_code == 0, live.stdout + live.stderr
    assert project.view.dataset().status == "LIVE"
    assert [entry.op for entry in project.writes(mark)] == ["ecnow_datasets.update"]


def test_a_mandatory_policy_refuses_to_go_live_outside_the_window_and_writes_nothing(
    project: Project, clock: list[datetime]
) -> None:
    _project(project, US_SALES, NY_HOURS, ("+1 212 555 0100",), status="HOLD")
    assert project.cli("apply", "--auto-approve").exit_code == 0
    mandatory = US_SALES.replace("enforcement: advisory", "enforcement: mandatory")
    _project(project, mandatory, NY_HOURS, ("+1 212 555 0100",))
    clock[0] = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # 21:00 on Monday in New York: the window has closed
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert (
        "  Dataset/spring: FAILED: refused to go LIVE, left on HOLD: it is Mon 21:00 in America/New_York, outside "
        "CallingPolicy/us-sales (08:00-21:00 there); the window opens in every zone at 2026-12-08 13:00 UTC (Tue "
        "08:00 in America/New_York)\n"
    ) in refused.stdout
    assert project.writes(mark) == []
    assert project.view.dataset().status == "HOLD"


def test_the_records_zone_decides_not_the_machines(
    project: Project, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Pacific/Auckland")  # 01:59 the next day here: outside any window
    time.tzset()
    try:
        london = _tod("london", "London hours", "Europe/London", "08:00-21:00")
        _project(project, US_SALES.replace("US-TCPA", "GB"), london, ("+44 20 7946 0000",))
        clock[0] = datetime(2026, 12, 7, 12, 59, tzinfo=UTC)  # 12:59 in London, 07:59 in New York
        applied = project.cli("apply", "--auto-approve")
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert project.view.dataset().status == "LIVE"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_mandatory_policys_override_needs_its_reason_and_shows_it(
    project: Project, clock: list[datetime]
) -> None:
    overridden = US_SALES.replace(
        "  enforcement: advisory\n",
        '  enforcement: mandatory\n  override: {reason: "TCPA-exempt: existing customers who asked for calls"}\n',
    )
    _project(project, overridden, UK_HOURS, ("+1 212 555 0100",))
    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.stderr
    assert (
        "  RecordSet/spring-records [info]: 1 records in America/New_York are on queue 75674454, whose policy 'UK "
        "hours' (Europe/London 09:00-20:00) opens at 04:00 local; CallingPolicy/us-sales allows "
        "08:00-21:00 there (overridden: TCPA-exempt: existing customers who asked for calls)\n"
    ) in planned.stdout
    advisory_override = US_SALES.replace(
        "  enforcement: advisory\n", '  enforcement: advisory\n  override: {reason: "because"}\n'
    )
    _project(project, advisory_override, UK_HOURS, ("+1 212 555 0100",))
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: invalid manifests: 1 problem\n"
        f"  {project.root}/manifests/calling.yaml:10:3: CallingPolicy/us-sales: override is only for a mandatory "
        "policy (remove override: advisory already defers)\n"
    )


def test_unresolved_records_are_excluded_when_the_policy_says_so(
    project: Project, clock: list[datetime]
) -> None:
    excluding = US_SALES.replace(
        "  enforcement: advisory\n", "  enforcement: advisory\n  unresolved: exclude\n"
    )
    _project(project, excluding, NY_HOURS, ("+1 212 555 0100", "+999 1234567", "+1 646 555 0102"))
    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.stderr
    assert "records: 2 create\n        + R-1\n        + R-3\n" in planned.stdout
    assert (
        "calling hours (CallingPolicy/us-sales): 2 records in 1 zones (2 by phone); 0 ambiguous (several zones; the "
        "check takes every one); 0 unresolved; 0 invalid numbers; 0 invalid zone names; 0 invalid postcodes; 0 "
        "postcode/phone conflicts; 1 excluded (no zone resolves them; unresolved: exclude)\n"
    ) in planned.stdout
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert sorted(record["VENDOR_URN"] for record in project.view.records()) == ["R-1", "R-3"]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_policy_that_fits_until_daylight_saving_changes_is_refused_with_the_day(
    project: Project, clock: list[datetime]
) -> None:
    """New York 08:00-16:00 is London 13:00-21:00 until the US moves its clocks (8 March 2026) three weeks before
    the UK does: then it opens at 12:00 in London, before the window."""
    london = US_SALES.replace("US-TCPA", "GB").replace("08:00-21:00", "13:00-21:00")
    london = london.replace("enforcement: advisory", "enforcement: mandatory")
    _project(
        project,
        london,
        _tod("ny-early", "NY early", "America/New_York", "08:00-16:00"),
        ("+44 20 7946 0000",),
    )
    clock[0] = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert (
        "Dataset/spring: 1 records in Europe/London are on queue 75674454, whose policy 'NY early' "
        "(America/New_York 08:00-16:00) opens at 12:00 local from Sun 2026-03-08; CallingPolicy/us-sales allows "
        "13:00-21:00 there"
    ) in refused.stderr


def test_records_added_to_a_live_dataset_wait_for_the_window(project: Project, clock: list[datetime]) -> None:
    _project(project, US_SALES, NY_HOURS, ("+1 212 555 0100",))
    assert project.cli("apply", "--auto-approve").exit_code == 0  # 10:00 in New York: LIVE with one record
    assert project.view.dataset().status == "LIVE"
    _project(project, US_SALES, NY_HOURS, ("+1 212 555 0100", "+1 646 555 0101"))
    clock[0] = datetime(2026, 12, 8, 12, 59, tzinfo=UTC)  # 07:59 on Tuesday in New York
    mark = project.mark()
    deferred = project.cli("apply", "--auto-approve")
    assert deferred.exit_code == 1
    assert (
        "  RecordSet/spring-records: skipped: deferred: no record added to the LIVE dataset, it is Tue 07:59 in "
        "America/New_York, outside CallingPolicy/us-sales (08:00-21:00 there); the window opens in every zone at "
        "2026-12-08 13:00 UTC (Tue 08:00 in America/New_York); apply again then\n"
    ) in deferred.stdout
    assert project.writes(mark) == []
    clock[0] = datetime(2026, 12, 8, 13, 0, tzinfo=UTC)
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert len(project.view.records()) == 2


def test_a_cc_schedule_outside_the_members_window_is_refused_with_no_write(
    project: Project, clock: list[datetime]
) -> None:
    mandatory = US_SALES.replace("enforcement: advisory", "enforcement: mandatory")
    members = (
        '[{customer-id: "10000001", schedule: "2026-12-08T12:00:00+00:00"}, '
        '{customer-id: "10000002", schedule: "2026-12-08T15:00:00+00:00"}, '
        '{customer-id: "10000003", schedule: "+1d 11:00+00:00"}, {customer-id: "10000004"}]'
    )
    project.write(
        "manifests/members.yaml",
        mandatory
        + membership_doc(
            "winback", campaign=125, members=members, callingPolicy="us-sales", zone="America/New_York"
        ),
    )
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 2 problems\n"
        f"  {project.root}/manifests/members.yaml:17:13: CampaignMembership/winback: member 10000001 is scheduled "
        "for Tue 07:00 in America/New_York (2026-12-08T12:00:00+00:00), outside CallingPolicy/us-sales (08:00-21:00 "
        "there) (schedule it inside the window in America/New_York, or leave it unscheduled)\n"
        f"  {project.root}/manifests/members.yaml:17:145: CampaignMembership/winback: member 10000003 is scheduled "
        "for Tue 06:00 in America/New_York (+1d 11:00+00:00), outside CallingPolicy/us-sales (08:00-21:00 there) "
        "(schedule it inside the window in America/New_York, or leave it unscheduled)\n"
    )
    assert project.writes(mark) == []


def test_a_cc_campaigns_daily_window_must_lie_inside_the_window_in_the_members_zone(
    project: Project, clock: list[datetime]
) -> None:
    project.view.add_campaign(150, "Eastern", status=3, daily=("09:00", "20:00", "EST5EST"))
    project.view.add_campaign(151, "Eastern too", status=3, daily=("09:00", "20:00", "EST5EDT"))
    mandatory = US_SALES.replace("enforcement: advisory", "enforcement: mandatory")
    members = '[{customer-id: "10000001"}]'
    project.write(
        "manifests/members.yaml",
        mandatory
        + membership_doc(
            "west", campaign=150, members=members, callingPolicy="us-sales", zone="America/Los_Angeles"
        )
        + membership_doc(
            "east", campaign=151, members=members, callingPolicy="us-sales", zone="America/New_York"
        ),
    )
    mark = project.mark()
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/members.yaml:16:13: CampaignMembership/west: campaign 150 dials daily "
        "09:00-20:00 EST5EST (Etc/GMT+5), which opens at 06:00 local in America/Los_Angeles; CallingPolicy/us-sales "
        "allows 08:00-21:00 there (set the campaign's daily window in CC Configuration Manager inside the policy's "
        "window in America/Los_Angeles)\n"
    )
    assert project.writes(mark) == []
