"""ContactNow time-of-day policies, their rules, and the queue fields that use them (API-CONTRACT-2.md C, D).

Policies (`database.php?method=tod_policy`): read (filter `uid`), create (rows `description`, `default`
active|inactive, `timezone` an IANA name; `key` is the uid of the last one made [choice]) and update (`uid`
required). Rules (`method=tod_rules`): read (filter `policy`; without it every rule), create and update, each row
naming `policy` and `rule` (the rule's number in its policy); `days` ("Mon,Tue") or `date` (YYYY-MM-DD), one of
the two; `start` and `end` as HH:MM, the end minute included; `action` active|inactive. A rule create answers no
key [doc]. Queues (`method=queues` update [choice]): rows `qid` required, `tod` (0: none, else a policy uid) and
`callerid` (digits, an optional leading +).

A bad row is refused with its reason and the others go on, as every ContactNow write does. Error texts
[choice]: `Policy [N] does not exist.`, `Invalid timezone [X]`, `Invalid default [X]`, `Missing description`,
`Rule [R] of policy [P] already exists.`, `Rule [R] of policy [P] does not exist.`, `Invalid rule [X]`,
`Invalid days [X]`, `Invalid date [X]`, `A rule needs days or a date, not both`, `Invalid time [X]`,
`Invalid action [X]`, `Queue [N] does not exist.`, `Unknown tod policy [N]`, `Invalid callerid [X]`.

Enforcement [choice, used by the dialler simulation]: a queue with `tod` 0 dials at any time; otherwise, at a
moment read in the policy's zone, the first rule by number that covers the date (or weekday) and the minute
decides, and the policy's default decides when none does.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Sequence
from zoneinfo import ZoneInfo, available_timezones

from .contactnow_core import Call, Envelope, Listing, Row, RowError, parse_int, small_listing, write_rows

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ACTIONS = ("active", "inactive")
POLICY_FIELDS = ("uid", "description", "default", "timezone")
RULE_FIELDS = ("policy", "rule", "days", "date", "start", "end", "action")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_CALLERID = re.compile(r"^\+?[0-9]{6,15}$")
_ZONES = frozenset(available_timezones())

# -- policies ----


def read_tod_policies(call: Call) -> Listing:
    columns = 'uid, description, "default", timezone'
    return _listing(call, "tod_policy", f"{columns} FROM cn_tod_policies", POLICY_FIELDS, "uid", "uid")


def _policy_values(row: dict[str, str], *, creating: bool) -> dict[str, object]:
    values: dict[str, object] = {}
    if "description" in row or creating:
        description = row.get("description", "")
        if not description.strip():
            raise RowError("Missing description")
        values["description"] = description
    if "default" in row or creating:
        default = row.get("default", "")
        if default not in ACTIONS:
            raise RowError(f"Invalid default [{default}]")
        values['"default"'] = default
    if "timezone" in row or creating:
        zone = row.get("timezone", "")
        if zone not in _ZONES:
            raise RowError(f"Invalid timezone [{zone}]")
        values["timezone"] = zone
    return values


def create_tod_policies(call: Call, rows: Sequence[Row]) -> Envelope:
    def create(conn: sqlite3.Connection, row: dict[str, str]) -> int | None:
        values = _policy_values(row, creating=True)
        cursor = conn.execute(
            f"INSERT INTO cn_tod_policies({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )
        return cursor.lastrowid

    return write_rows(call, rows, create)


def update_tod_policies(call: Call, rows: Sequence[Row]) -> Envelope:
    def update(conn: sqlite3.Connection, row: dict[str, str]) -> None:
        uid = _policy(conn, row.get("uid", ""))
        values = _policy_values(row, creating=False)
        if values:
            assignments = ", ".join(f"{column} = ?" for column in values)
            conn.execute(f"UPDATE cn_tod_policies SET {assignments} WHERE uid = ?", (*values.values(), uid))

    return write_rows(call, rows, update)


def _policy(conn: sqlite3.Connection, given: str) -> int:
    uid = parse_int(given)
    if uid is None or conn.execute("SELECT 1 FROM cn_tod_policies WHERE uid = ?", (uid,)).fetchone() is None:
        raise RowError(f"Policy [{given}] does not exist.")
    return uid


# -- rules ----


def read_tod_rules(call: Call) -> Listing:
    columns = 'policy, rule, days, date, start, "end", action'
    return _listing(call, "tod_rule", f"{columns} FROM cn_tod_rules", RULE_FIELDS, "policy", "policy, rule")


def _listing(call: Call, element: str, source: str, names: Sequence[str], key: str, order: str) -> Listing:
    """The rows of `source` ("columns FROM table", given back as `names`), filtered by the argument `key` when
    given."""
    sql = f"SELECT {source}"
    params: list[object] = []
    given = call.args.get(key)
    if given is not None:
        sql += f" WHERE {key} = ?"
        params.append(parse_int(given))
    with call.store.reader() as reader:
        found = reader.all(f"{sql} ORDER BY {order}", params)
    return small_listing(element, [dict(zip(names, (str(v) for v in r), strict=True)) for r in found])


def _rule_values(row: dict[str, str]) -> dict[str, str]:
    days = row.get("days", "").strip()
    on = row.get("date", "").strip()
    names = [name.strip() for name in days.split(",") if name.strip()]
    if any(name not in WEEKDAYS for name in names):
        raise RowError(f"Invalid days [{days}]")
    if on:
        try:
            dt.date.fromisoformat(on)
        except ValueError:
            raise RowError(f"Invalid date [{on}]") from None
    if bool(names) == bool(on):
        raise RowError("A rule needs days or a date, not both")
    start, end = row.get("start", "").strip(), row.get("end", "").strip()
    for text in (start, end):
        if not _TIME.fullmatch(text):
            raise RowError(f"Invalid time [{text}]")
    if end < start:
        raise RowError(f"Invalid time [{start}-{end}]")
    action = row.get("action", "")
    if action not in ACTIONS:
        raise RowError(f"Invalid action [{action}]")
    return {"days": ",".join(names), "date": on, "start": start, "end": end, "action": action}


def _rule_key(conn: sqlite3.Connection, row: dict[str, str]) -> tuple[int, int]:
    policy = _policy(conn, row.get("policy", ""))
    given = row.get("rule", "")
    rule = parse_int(given)
    if rule is None or rule < 1:
        raise RowError(f"Invalid rule [{given}]")
    return policy, rule


def _write_rules(call: Call, rows: Sequence[Row], *, creating: bool) -> Envelope:
    def write(conn: sqlite3.Connection, row: dict[str, str]) -> None:
        policy, rule = _rule_key(conn, row)
        exists = conn.execute(
            "SELECT 1 FROM cn_tod_rules WHERE policy = ? AND rule = ?", (policy, rule)
        ).fetchone()
        if creating and exists:
            raise RowError(f"Rule [{rule}] of policy [{policy}] already exists.")
        if not creating and not exists:
            raise RowError(f"Rule [{rule}] of policy [{policy}] does not exist.")
        values = _rule_values(row)
        conn.execute(
            'INSERT OR REPLACE INTO cn_tod_rules(policy, rule, days, date, start, "end", action)'
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (policy, rule, *values.values()),
        )

    return write_rows(call, rows, write)


def create_tod_rules(call: Call, rows: Sequence[Row]) -> Envelope:
    return _write_rules(call, rows, creating=True)


def update_tod_rules(call: Call, rows: Sequence[Row]) -> Envelope:
    return _write_rules(call, rows, creating=False)


# -- queues ----


def update_queues(call: Call, rows: Sequence[Row]) -> Envelope:
    def update(conn: sqlite3.Connection, row: dict[str, str]) -> None:
        given = row.get("qid", "")
        qid = parse_int(given)
        if qid is None or conn.execute("SELECT 1 FROM cn_queues WHERE qid = ?", (qid,)).fetchone() is None:
            raise RowError(f"Queue [{given}] does not exist.")
        changes: dict[str, object] = {}
        if "tod" in row:
            tod = parse_int(row["tod"])
            known = tod is not None and (
                tod == 0 or conn.execute("SELECT 1 FROM cn_tod_policies WHERE uid = ?", (tod,)).fetchone()
            )
            if not known:
                raise RowError(f"Unknown tod policy [{row['tod']}]")
            changes["tod"] = tod
        if "callerid" in row:
            if not _CALLERID.fullmatch(row["callerid"]):
                raise RowError(f"Invalid callerid [{row['callerid']}]")
            changes["callerid"] = row["callerid"]
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            conn.execute(f"UPDATE cn_queues SET {assignments} WHERE qid = ?", (*changes.values(), qid))

    return write_rows(call, rows, update)


# -- enforcement ----


class TodClock:
    """Whether each queue may dial at a moment, by the choice in the module docstring; policies and rules are
    read once, when it is made."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.queue_tod = {int(q): int(t or 0) for q, t in conn.execute("SELECT qid, tod FROM cn_queues")}
        self.policies = {
            int(uid): (ZoneInfo(zone), default == "active")
            for uid, default, zone in conn.execute('SELECT uid, "default", timezone FROM cn_tod_policies')
        }
        self.rules: dict[int, list[tuple[str, str, str, str, bool]]] = {}
        for policy, days, on, start, end, action in conn.execute(
            'SELECT policy, days, date, start, "end", action FROM cn_tod_rules ORDER BY policy, rule'
        ):
            self.rules.setdefault(int(policy), []).append((days, on, start, end, action == "active"))

    def dials(self, qid: int, moment: float) -> bool:
        uid = self.queue_tod.get(qid, 0)
        if uid == 0 or uid not in self.policies:
            return True
        zone, default = self.policies[uid]
        local = dt.datetime.fromtimestamp(moment, zone)
        day, weekday, minute = local.date().isoformat(), WEEKDAYS[local.weekday()], local.strftime("%H:%M")
        for days, on, start, end, active in self.rules.get(uid, []):
            covers = on == day if on else weekday in days.split(",")
            if covers and start <= minute <= end:
                return active
        return bool(default)
