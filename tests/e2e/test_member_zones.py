"""Each Contact Center member's own time zone, from the `tz` and `phone` hints of the membership's source (never
sent), through the CLI against the emulator: a schedule outside the window in the member's zone is refused with
the exact message and no write; `+1d 09:00 local` is sent as the instant it names in each member's zone, daylight
saving included (a fake engine and emulator clock); the hints never reach the API; a member nothing resolves is
refused under `unresolved: refuse`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from harness.project import InProcess, Project
from support import membership_doc, us_sales_policy

US_SALES = us_sales_policy("mandatory")


@dataclass
class Bodies(httpx.BaseTransport):
    """The in-process transport, keeping the exact body of every member add the API receives."""

    inner: httpx.BaseTransport
    adds: list[object] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "/customers" in request.url.path:
            self.adds.append(json.loads(request.read()))
        return self.inner.handle_request(request)


@pytest.fixture
def bodies(project: Project) -> Bodies:
    assert isinstance(project.mode, InProcess)
    recorder = Bodies(project.mode.transport)
    project.mode = InProcess(recorder, project.mode.base_url)
    return recorder


def test_a_schedule_outside_the_window_in_the_members_tz_is_refused_with_no_write(
    project: Project, clock: list[datetime]
) -> None:
    members = (
        '[{customer-id: "10000001", schedule: "2026-12-08T07:30:00+00:00", tz: Europe/London}, '
        '{customer-id: "10000002", schedule: "2026-12-08T15:00:00+00:00", tz: America/New_York}]'
    )
    project.write(
        "manifests/members.yaml",
        US_SALES + membership_doc("winback", campaign=125, members=members, callingPolicy="us-sales"),
    )
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/members.yaml:17:13: CampaignMembership/winback: member 10000001 is scheduled "
        "for Tue 07:30 in Europe/London (2026-12-08T07:30:00+00:00), outside CallingPolicy/us-sales (08:00-21:00 "
        "there) (schedule it inside the window in Europe/London, or leave it unscheduled)\n"
    )
    assert project.writes(mark) == []


def test_a_phone_hint_resolves_the_zone_and_every_zone_of_a_mobile_must_allow_the_schedule(
    project: Project, clock: list[datetime]
) -> None:
    project.write(
        "manifests/data/members.csv",
        "customer-id,schedule,phone\n"
        "10000001,2026-12-08T12:00:00+00:00,+1 212 555 0100\n"
        "10000002,2026-12-08T12:00:00+00:00,+44 20 7946 0000\n"
        "10000003,2026-12-08T10:15:00+00:00,+61 412 345 678\n"
        "10000004,,+1 212 555 0101\n",
    )
    project.write(
        "manifests/members.yaml",
        US_SALES
        + membership_doc("winback", campaign=125, source="data/members.csv", callingPolicy="us-sales"),
    )
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    # 10000002 is in London (12:00 there), 10000004 has no schedule; an Australian mobile may be anywhere in
    # Australia, and 21:15 in Lord Howe (first of the zones where it falls outside) is refused though Perth says 18:15.
    assert refused.stderr == (
        "Error: cannot plan: 2 problems\n"
        f"  {project.root}/manifests/data/members.csv:2:1: CampaignMembership/winback: member 10000001 is scheduled "
        "for Tue 07:00 in America/New_York (2026-12-08T12:00:00+00:00), outside CallingPolicy/us-sales (08:00-21:00 "
        "there) (schedule it inside the window in America/New_York, or leave it unscheduled)\n"
        f"  {project.root}/manifests/data/members.csv:4:1: CampaignMembership/winback: member 10000003 is scheduled "
        "for Tue 21:15 in Australia/Lord_Howe (2026-12-08T10:15:00+00:00), outside CallingPolicy/us-sales "
        "(08:00-21:00 there) (schedule it inside the window in Australia/Lord_Howe, or leave it unscheduled)\n"
    )
    assert project.writes(mark) == []


def test_local_schedules_are_sent_as_the_instant_each_members_zone_names_across_daylight_saving(
    project: Project, clock: list[datetime], bodies: Bodies
) -> None:
    clock[0] = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30 EDT; at 02:00 New York goes back to EST
    members = (
        '[{customer-id: "10000001", schedule: "+1d 09:00 local", tz: Europe/London, phone: "+44 20 7946 0000"}, '
        '{customer-id: "10000002", schedule: "+1d 09:00 local", tz: America/New_York}, '
        '{customer-id: "10000003", schedule: "+0d 09:00 local", phone: "+1 212 555 0100"}, '
        '{customer-id: "10000004", schedule: "+2d 15:00+00:00", phone: "+1 212 555 0101"}, '
        '{customer-id: "10000005", phone: "+1 212 555 0102"}]'
    )
    project.write(
        "manifests/members.yaml",
        US_SALES + membership_doc("winback", campaign=125, members=members, callingPolicy="us-sales"),
    )
    planned = project.cli("plan")
    assert planned.exit_code == 0
    assert planned.stdout.splitlines()[2:9] == [
        "  ~ CampaignMembership/winback will be updated",
        "      members: 5 add",
        '        + 10000001  schedule: (none) -> "+1d 09:00 local in Europe/London"',
        '        + 10000002  schedule: (none) -> "+1d 09:00 local in America/New_York"',
        '        + 10000003  schedule: (none) -> "+0d 09:00 local in America/New_York"',
        '        + 10000004  schedule: (none) -> "2026-11-03T15:00:00+00:00"',
        "        + 10000005",
    ]
    assert (
        "  CampaignMembership/winback [info]: calling hours (CallingPolicy/us-sales): 5 members in 2 zones (2 by tz, "
        "3 by phone); 0 ambiguous (several zones; the check takes every one); 0 unresolved; 0 invalid numbers; 0 "
        "invalid zone names; 0 invalid postcodes; 0 postcode/phone conflicts\n"
    ) in planned.stdout
    # The running campaign would call 10000005, which has no schedule, at once: at 00:30 in New York the
    # mandatory policy's clock gate refuses it (tests/e2e/test_cc_gates.py); the scheduled ones are added.
    assert project.cli("apply", "--auto-approve").exit_code == 1
    # London is on GMT; New York is on EDT (-04:00) at the apply, but the days the schedules name are on EST
    # (-05:00): 09:00 there is 14:00 UTC, where a fixed offset taken at the apply would have said 13:00. The
    # offset schedule resolves as before. Only customer-id and schedule-date-time are sent: never tz or phone.
    assert bodies.adds == [
        [
            {"customer-id": 10000001, "schedule-date-time": "2026-11-02T09:00:00.000+00:00"},
            {"customer-id": 10000002, "schedule-date-time": "2026-11-02T14:00:00.000+00:00"},
            {"customer-id": 10000003, "schedule-date-time": "2026-11-01T14:00:00.000+00:00"},
            {"customer-id": 10000004, "schedule-date-time": "2026-11-03T15:00:00.000+00:00"},
        ]
    ]
    clock[0] = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)  # 09:00 EST in New York, 14:00 in London
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert bodies.adds[1:] == [[{"customer-id": 10000005}]]
    assert project.members() == ["10000001", "10000002", "10000003", "10000004", "10000005"]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_hints_in_a_source_file_are_never_sent(
    project: Project, clock: list[datetime], bodies: Bodies
) -> None:
    project.write(
        "manifests/data/members.jsonl",
        '{"customer-id": "10000001", "tz": "Europe/London", "phone": "+44 20 7946 0000"}\n'
        '{"customer-id": "10000002", "schedule": "+1d 09:00 local", "phone": "+1 212 555 0100"}\n',
    )
    project.write(
        "manifests/members.yaml",
        US_SALES
        + membership_doc("winback", campaign=125, source="data/members.jsonl", callingPolicy="us-sales"),
    )
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert bodies.adds == [
        [
            {"customer-id": 10000001},
            {"customer-id": 10000002, "schedule-date-time": "2026-12-08T14:00:00.000+00:00"},
        ]
    ]


def test_members_nothing_resolves_are_refused_under_refuse_with_their_first_lines(
    project: Project, clock: list[datetime]
) -> None:
    project.write(
        "manifests/data/members.csv",
        "customer-id,schedule,tz,phone\n"
        "10000001,,Europe/London,\n"
        "10000002,,,\n"
        "10000003,,,12345\n"
        "10000004,+1d 10:00 local,,\n"
        "10000005,,,\n"
        "10000006,,,\n",
    )
    project.write(
        "manifests/members.yaml",
        US_SALES
        + membership_doc("winback", campaign=125, source="data/members.csv", callingPolicy="us-sales"),
    )
    mark = project.mark()
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 2 problems\n"
        f"  {project.root}/manifests/data/members.csv:3:1: CampaignMembership/winback: 5 members have no time zone: "
        "nothing in tz, phone resolves them and no zone is declared (lines 3, 4, 5, ...) (give them a tz or phone "
        "hint, declare spec.zone for the members without one, or declare `unresolved: fallback` with a fallback "
        "window in CallingPolicy/us-sales)\n"
        f"  {project.root}/manifests/data/members.csv:5:1: CampaignMembership/winback: member 10000004 has a local "
        'schedule ("+1d 10:00 local") but no time zone: its tz and phone hints resolve none, and no zone is declared '
        "(give it a tz or phone hint, or declare spec.zone)\n"
    )
    assert project.writes(mark) == []


def test_an_invalid_tz_is_a_located_problem(project: Project, clock: list[datetime]) -> None:
    project.write(
        "manifests/data/members.csv",
        "customer-id,tz\n10000001,Europe/London\n10000002,Europe/Londn\n",
    )
    project.write(
        "manifests/members.yaml",
        US_SALES
        + membership_doc(
            "winback", campaign=125, source="data/members.csv", callingPolicy="us-sales", zone="Europe/London"
        ),
    )
    mark = project.mark()
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/data/members.csv:3:1: CampaignMembership/winback: member 10000002: tz "
        '"Europe/Londn" is not an IANA time zone (write a zone such as Europe/London or America/New_York, or leave '
        "tz empty)\n"
    )
    assert project.writes(mark) == []


def test_the_declared_zone_is_the_fallback_and_the_campaign_window_is_proved_in_every_members_zone(
    project: Project, clock: list[datetime]
) -> None:
    project.view.add_campaign(151, "Eastern", status=3, daily=("09:00", "20:00", "EST5EDT"))
    members = '[{customer-id: "10000001", tz: America/Los_Angeles}, {customer-id: "10000002"}]'
    project.write(
        "manifests/members.yaml",
        US_SALES
        + membership_doc(
            "east", campaign=151, members=members, callingPolicy="us-sales", zone="America/New_York"
        ),
    )
    mark = project.mark()
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/members.yaml:16:13: CampaignMembership/east: campaign 151 dials daily "
        "09:00-20:00 EST5EDT (EST5EDT), which opens at 06:00 local in America/Los_Angeles; CallingPolicy/us-sales "
        "allows 08:00-21:00 there (set the campaign's daily window in CC Configuration Manager inside the policy's "
        "window in America/Los_Angeles)\n"
    )
    assert project.writes(mark) == []
    project.write(
        "manifests/members.yaml",
        US_SALES.replace("enforcement: mandatory", "enforcement: advisory")
        + membership_doc(
            "east", campaign=151, members=members, callingPolicy="us-sales", zone="America/New_York"
        ),
    )
    planned = project.cli("plan")
    assert planned.exit_code == 0
    assert (
        "  CampaignMembership/east [info]: calling hours (CallingPolicy/us-sales): 2 members in 2 zones (1 by tz, 1 "
        "by declared zone); 0 ambiguous (several zones; the check takes every one); 0 unresolved; 0 invalid numbers; "
        "0 invalid zone names; 0 invalid postcodes; 0 postcode/phone conflicts\n"
    ) in planned.stdout
