"""Holiday calendars of a CallingPolicy, through the CLI against the emulator: a queue whose time-of-day policy
dials on a holiday is refused with the exact message and no write, and passes once the policy has an inactive rule
for each holiday; going LIVE waits past the holidays (a fake engine clock); a CC schedule on a holiday is refused;
a CC campaign's daily window, which cannot leave out dates, is reported, not refused."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.project import Project
from support import dataset_doc, document, membership_doc, record_set_doc

WEEKDAYS = "{mon: 09:00-20:00, tue: 09:00-20:00, wed: 09:00-20:00, thu: 09:00-20:00, fri: 09:00-20:00}"
GB_SALES = document(
    "CallingPolicy",
    "gb-sales",
    floor="GB@2026-11",
    windows=WEEKDAYS,
    holidays="{calendars: [GB-EAW@2026]}",
)
WEEKDAY_RULES = (
    '{days: [mon, tue, wed, thu, fri], hours: "00:00-09:00", action: inactive}, '
    '{days: [mon, tue, wed, thu, fri], hours: "20:00-24:00", action: inactive}, '
    "{days: [sat, sun], action: inactive}"
)


def _tod(*dates: str) -> str:
    """Default active, inactive outside Mon-Fri 09:00-20:00 in London, and on each of `dates`."""
    holidays = "".join(f', {{date: "{day}", action: inactive}}' for day in dates)
    return document(
        "TodPolicy",
        "uk-weekdays",
        description='"UK weekdays"',
        timezone="Europe/London",
        default="active",
        rules=f"[{WEEKDAY_RULES}{holidays}]",
    )


def _project(project: Project, tod: str, policy: str = GB_SALES) -> None:
    spec = {"queue": 75674454, "status": "LIVE", "callingPolicy": "gb-sales"}
    rows = '[{VENDOR_URN: "R-1", FirstName: "N1", MobilePhone: "+44 20 7946 0000"}]'
    project.write(
        "manifests/calling.yaml",
        policy
        + tod
        + document("Queue", "willtest", qid=75674454, todPolicy="uk-weekdays")
        + dataset_doc("spring", "Spring 2026", **spec)
        + record_set_doc(rows=rows),
    )


def test_a_queue_policy_that_dials_on_a_holiday_is_refused_with_no_write(
    project: Project, clock: list[datetime]
) -> None:
    _project(project, _tod())
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/calling.yaml:36:10: Dataset/spring: 1 records in Europe/London are on queue "
        "75674454, whose policy 'UK weekdays' (Europe/London Mon-Fri 09:00-20:00) dials at 09:00 local on Fri "
        "2026-12-25, Christmas Day (GB-EAW@2026); CallingPolicy/gb-sales allows no calls there on holidays (give "
        "queue 75674454's TodPolicy a rule `date: 2026-12-25, action: inactive` (in its own zone; only outside the "
        "holiday window when the policy has one), with default: active and its hours written as inactive rules: the "
        "proof trusts an inactive rule only where no active rule covers the same time)\n"
    )
    assert project.writes(mark) == []


def test_inactive_rules_for_the_holidays_pass_and_the_plan_says_when_the_calendar_ends(
    project: Project, clock: list[datetime]
) -> None:
    _project(project, _tod("2026-12-25", "2026-12-28"))
    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.stderr
    assert (
        "  CallingPolicy/gb-sales [info]: holiday calendar GB-EAW@2026 ends on 2026-12-31, before this plan's proof "
        "does (2027-12-12): no later GB-EAW holiday is known to it (add GB-EAW@2027)\n"
    ) in planned.stdout


def test_a_listed_date_allows_only_the_holiday_window_less_the_margin(
    project: Project, clock: list[datetime]
) -> None:
    reduced = GB_SALES.replace("-20:00", "-20:15").replace(  # 09:00-20:00 once the margin is taken off
        "holidays: {calendars: [GB-EAW@2026]}",
        'holidays: {calendars: [GB-EAW@2026], dates: ["2026-12-24"], window: "10:00-14:00"}',
    )
    _project(project, _tod("2026-12-25", "2026-12-28"), reduced + "  marginMinutes: 15\n")
    mark = project.mark()
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/calling.yaml:37:10: Dataset/spring: 1 records in Europe/London are on queue "
        "75674454, whose policy 'UK weekdays' (Europe/London Mon-Fri 09:00-20:00) dials at 09:00 local on Thu "
        "2026-12-24, listed in holidays.dates; CallingPolicy/gb-sales allows 10:00-13:45 there on holidays (give "
        "queue 75674454's TodPolicy a rule `date: 2026-12-24, action: inactive` (in its own zone; only outside the "
        "holiday window when the policy has one), with default: active and its hours written as inactive rules: the "
        "proof trusts an inactive rule only where no active rule covers the same time)\n"
    )
    assert project.writes(mark) == []


def test_going_live_waits_past_the_holidays_in_the_records_zone(
    project: Project, clock: list[datetime]
) -> None:
    advisory = GB_SALES + "  enforcement: advisory\n"
    _project(project, _tod("2026-12-25", "2026-12-28"), advisory)
    clock[0] = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # 10:00 on Christmas Day in London
    mark = project.mark()
    deferred = project.cli("apply", "--auto-approve")
    assert deferred.exit_code == 1
    assert project.view.dataset().status == "HOLD"
    assert (
        "deferred: left on HOLD, it is Fri 10:00 in Europe/London, outside CallingPolicy/gb-sales (Fri 2026-12-25 is "
        "Christmas Day (GB-EAW@2026): no calls there); the window opens in every zone at 2026-12-29 09:00 UTC (Tue "
        "09:00 in Europe/London); apply again then"
    ) in deferred.stdout + deferred.stderr
    assert "ecnow_records.create" in [entry.op for entry in project.writes(mark)]  # loaded on HOLD
    clock[0] = datetime(2026, 12, 29, 10, 0, tzinfo=UTC)  # 10:00 on Tuesday in London
    mark = project.mark()
    live = project.cli("apply", "--auto-approve")
    assert live.exit_code == 0, live.stdout + live.stderr
    assert project.view.dataset().status == "LIVE"
    assert [entry.op for entry in project.writes(mark)] == ["ecnow_datasets.update"]


def test_a_cc_schedule_on_a_holiday_is_refused_with_no_write(project: Project, clock: list[datetime]) -> None:
    clock[0] = datetime(2026, 12, 22, 15, 0, tzinfo=UTC)  # schedules lie within 7 days of the plan
    members = (
        '[{customer-id: "10000001", schedule: "2026-12-25T10:00:00+00:00"}, '
        '{customer-id: "10000002", schedule: "2026-12-29T10:00:00+00:00"}]'
    )
    project.write(
        "manifests/members.yaml",
        GB_SALES
        + membership_doc(
            "winback", campaign=125, members=members, callingPolicy="gb-sales", zone="Europe/London"
        ),
    )
    mark = project.mark()
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: cannot plan: 1 problem\n"
        f"  {project.root}/manifests/members.yaml:17:13: CampaignMembership/winback: member 10000001 is scheduled "
        "for Fri 10:00 in Europe/London (2026-12-25T10:00:00+00:00), outside CallingPolicy/gb-sales (Fri 2026-12-25 "
        "is Christmas Day (GB-EAW@2026): no calls there) (schedule it inside the window in Europe/London, or leave "
        "it unscheduled)\n"
    )
    assert project.writes(mark) == []


def test_a_cc_campaigns_daily_window_is_reported_on_holidays_not_refused(
    project: Project, clock: list[datetime]
) -> None:
    project.view.add_campaign(150, "London", status=3, daily=("09:00", "17:00", "GMT0"))
    every_day = GB_SALES.replace(
        WEEKDAYS,
        "{mon: 08:00-21:00, tue: 08:00-21:00, wed: 08:00-21:00, "
        "thu: 08:00-21:00, fri: 08:00-21:00, sat: 08:00-21:00, sun: 08:00-21:00}",
    )
    project.write(
        "manifests/members.yaml",
        every_day
        + membership_doc(
            "london",
            campaign=150,
            members='[{customer-id: "10000001"}]',
            callingPolicy="gb-sales",
            zone="Europe/London",
        ),
    )
    planned = project.cli("plan")
    assert planned.exit_code == 0, planned.stderr
    assert (
        "  CampaignMembership/london [info]: campaign 150's daily window applies on every date: it cannot leave out "
        "the holidays of CallingPolicy/gb-sales in Europe/London (next: Fri 2026-12-25 is Christmas Day "
        "(GB-EAW@2026): no calls); schedules are held to them, but members without a schedule are dialled on a "
        "holiday unless the campaign is paused in CC that day\n"
    ) in planned.stdout
