"""database.php tod_policy, tod_rules and queues update: create, read and update, each refusal's text, and
which queue dials when (the emulator's choice of rule order)."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.emulator.contactnow_tod import TodClock

from .conftest import Emulator


def _policy(emulator: Emulator, **row: str) -> str:
    body = {"description": "UK hours", "default": "inactive", "timezone": "Europe/London", **row}
    created = emulator.database("tod_policy", "create", body=[body])
    assert created["bad"] == 0, created
    return str(created["key"])


def test_a_policy_is_created_read_and_updated(emulator: Emulator) -> None:
    uid = _policy(emulator)
    assert emulator.database("tod_policy", "read", uid=uid)["list"] == [
        {"uid": uid, "description": "UK hours", "default": "inactive", "timezone": "Europe/London"}
    ]
    updated = emulator.database("tod_policy", "update", body=[{"uid": uid, "timezone": "America/New_York"}])
    assert (updated["total"], updated["bad"]) == (1, 0)
    assert emulator.database("tod_policy", "read", uid=uid)["list"][0]["timezone"] == "America/New_York"


def test_each_bad_policy_row_is_refused_with_its_reason(emulator: Emulator) -> None:
    cases = [
        ({"description": "", "default": "active", "timezone": "Europe/London"}, "Missing description"),
        ({"description": "x", "default": "on", "timezone": "Europe/London"}, "Invalid default [on]"),
        ({"description": "x", "default": "active", "timezone": "GMT+1"}, "Invalid timezone [GMT+1]"),
    ]
    for row, error in cases:
        answer = emulator.database("tod_policy", "create", body=[row])
        assert (answer["total"], answer["bad"], answer["error"]) == (0, 1, error)
    answer = emulator.database("tod_policy", "update", body=[{"uid": "987", "default": "active"}])
    assert answer["error"] == "Policy [987] does not exist."
    assert emulator.database("tod_policy", "read")["list"] == []


def test_rules_are_created_without_a_key_and_read_by_policy(emulator: Emulator) -> None:
    uid = _policy(emulator)
    other = _policy(emulator, description="Other")
    rule = {
        "policy": uid,
        "rule": "1",
        "days": "Mon,Tue",
        "date": "",
        "start": "09:00",
        "end": "19:59",
        "action": "active",
    }
    created = emulator.database("tod_rules", "create", body=[rule, {**rule, "policy": other}])
    assert created == {"success": True, "account_id": "10278", "total": 2, "bad": 0}
    assert emulator.database("tod_rules", "read", policy=uid)["list"] == [rule]
    assert len(emulator.database("tod_rules", "read")["list"]) == 2
    again = emulator.database("tod_rules", "create", body=[rule])
    assert again["error"] == f"Rule [1] of policy [{uid}] already exists."
    changed = emulator.database("tod_rules", "update", body=[{**rule, "end": "20:59"}])
    assert changed["bad"] == 0
    assert emulator.database("tod_rules", "read", policy=uid)["list"][0]["end"] == "20:59"


def test_each_bad_rule_row_is_refused_with_its_reason(emulator: Emulator) -> None:
    uid = _policy(emulator)
    good = {
        "policy": uid,
        "rule": "1",
        "days": "Mon",
        "date": "",
        "start": "09:00",
        "end": "19:59",
        "action": "active",
    }
    cases = [
        ({"policy": "555"}, "Policy [555] does not exist."),
        ({"rule": "0"}, "Invalid rule [0]"),
        ({"days": "Monday"}, "Invalid days [Monday]"),
        ({"days": "", "date": "2026-13-01"}, "Invalid date [2026-13-01]"),
        ({"days": "Mon", "date": "2026-12-25"}, "A rule needs days or a date, not both"),
        ({"days": ""}, "A rule needs days or a date, not both"),
        ({"start": "9:00"}, "Invalid time [9:00]"),
        ({"end": "24:00"}, "Invalid time [24:00]"),
        ({"start": "20:00"}, "Invalid time [20:00-19:59]"),
        ({"action": "on"}, "Invalid action [on]"),
    ]
    for change, error in cases:
        answer = emulator.database("tod_rules", "create", body=[{**good, **change}])
        assert (answer["bad"], answer["error"]) == (1, error), change
    answer = emulator.database("tod_rules", "update", body=[good])
    assert answer["error"] == f"Rule [1] of policy [{uid}] does not exist."
    assert emulator.database("tod_rules", "read")["list"] == []


def test_a_queue_takes_a_policy_and_a_caller_id(emulator: Emulator) -> None:
    uid = _policy(emulator)
    answer = emulator.database(
        "queues", "update", body=[{"qid": "829603", "tod": uid, "callerid": "+441632960001"}]
    )
    assert (answer["total"], answer["bad"]) == (1, 0)
    queue = next(q for q in emulator.database("queues", "read")["list"] if q["qid"] == "829603")
    assert (queue["tod"], queue["callerid"]) == (uid, "+441632960001")
    cases = [
        ({"qid": "1"}, "Queue [1] does not exist."),
        ({"qid": "829603", "tod": "4242"}, "Unknown tod policy [4242]"),
        ({"qid": "829603", "callerid": "0845 CALL NOW"}, "Invalid callerid [0845 CALL NOW]"),
    ]
    for row, error in cases:
        refused = emulator.database("queues", "update", body=[row])
        assert (refused["bad"], refused["error"]) == (1, error)
    queue = next(q for q in emulator.database("queues", "read")["list"] if q["qid"] == "829603")
    assert (queue["tod"], queue["callerid"]) == (uid, "+441632960001")


def test_the_first_rule_that_covers_a_moment_decides_else_the_default(emulator: Emulator) -> None:
    uid = _policy(emulator)
    rows = [
        {
            "policy": uid,
            "rule": "1",
            "days": "",
            "date": "2026-12-25",
            "start": "00:00",
            "end": "23:59",
            "action": "inactive",
        },
        {
            "policy": uid,
            "rule": "2",
            "days": "Mon,Tue,Wed,Thu,Fri",
            "date": "",
            "start": "09:00",
            "end": "19:59",
            "action": "active",
        },
    ]
    assert emulator.database("tod_rules", "create", body=rows)["bad"] == 0
    assert emulator.database("queues", "update", body=[{"qid": "829603", "tod": uid}])["bad"] == 0
    with emulator.state.store.transaction() as conn:
        clock = TodClock(conn)

    def at(text: str) -> float:
        return datetime.fromisoformat(text).astimezone(UTC).timestamp()

    assert clock.dials(829603, at("2026-12-07T09:00:00+00:00"))  # Monday 09:00 London
    assert clock.dials(829603, at("2026-12-07T19:59:59+00:00"))  # the end minute is included
    assert not clock.dials(829603, at("2026-12-07T20:00:00+00:00"))
    assert not clock.dials(829603, at("2026-12-07T08:59:00+00:00"))
    assert not clock.dials(829603, at("2026-12-12T12:00:00+00:00"))  # Saturday: the default
    assert not clock.dials(829603, at("2026-12-25T12:00:00+00:00"))  # a Friday, but rule 1 comes first
    assert clock.dials(75674454, at("2026-12-25T03:00:00+00:00"))  # no policy: any time
