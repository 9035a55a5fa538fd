# ruff: noqa: E501  (the expected messages are exact and long)
"""Every fixture tree under tests/fixtures/manifests/ is named after the mistake it holds, and gives exactly
these problems: the full message, at the file, line and column, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import FIXTURES, problems

EXPECTED: dict[str, list[str]] = {
    "absent-complete-without-outcome": [
        "absent-complete-without-outcome/records.yaml:18:3: RecordSet/spring-records: absent policy complete needs an outcome (add the complete outcome code to set, e.g. absent: {policy: complete, outcome: 510456})",
        "absent-complete-without-outcome/records.yaml:19:3: RecordSet/spring-records: dedupe outcome is only used with policy complete (policy is report) (remove outcome, or set policy: complete)",
    ],
    "alias-bomb": [
        'alias-bomb/bomb.yaml:5:6: Dataset/lol: anchor "&a" is not allowed (write the value out in full; anchors and aliases are refused)',
        'alias-bomb/bomb.yaml:6:6: Dataset/lol: anchor "&b" is not allowed (write the value out in full; anchors and aliases are refused)',
        'alias-bomb/bomb.yaml:6:10: Dataset/lol: alias "*a" is not allowed (write the value out in full; anchors and aliases are refused)',
    ],
    "calling-holidays-invalid": [
        'calling-holidays-invalid/policies.yaml:10:17: CallingPolicy/gb-sales: holiday calendar "GB-EAW" is not a shipped calendar (name the dated calendars of the years the policy dials, e.g. GB-EAW@2026, GB-EAW@2027: a calendar holds one year\'s dates)',
        'calling-holidays-invalid/policies.yaml:10:25: CallingPolicy/gb-sales: holiday calendar "GB-EAW@2030" is not a shipped calendar (name one of the shipped calendars: AU-NATIONAL@2026, AU-NATIONAL@2027, GB-EAW@2026, GB-EAW@2027, US-FEDERAL@2026, US-FEDERAL@2027)',
        'calling-holidays-invalid/policies.yaml:10:38: CallingPolicy/gb-sales: holiday calendar "FR@2026" is not a shipped calendar (name one of the shipped calendars: AU-NATIONAL@2026, AU-NATIONAL@2027, GB-EAW@2026, GB-EAW@2027, US-FEDERAL@2026, US-FEDERAL@2027)',
        "calling-holidays-invalid/policies.yaml:11:13: CallingPolicy/gb-sales: holiday window 07:00-12:00 is outside the floor GB@2026-11 (08:00-21:00): it opens at 07:00, before the floor's 08:00 (narrow the window to lie inside the floor (a law's hours cannot be overridden))",
        'calling-holidays-invalid/policies.yaml:23:27: CallingPolicy/us-sales: dates "2026-02-30" is not a date (write YYYY-MM-DD, e.g. "2026-12-24")',
        'calling-holidays-invalid/policies.yaml:23:41: CallingPolicy/us-sales: dates "24/12/2026" is not a date (write YYYY-MM-DD, e.g. "2026-12-24")',
    ],
    "calling-window-outside-floor": [
        "calling-window-outside-floor/policies.yaml:8:10: CallingPolicy/us-sales: window mon 07:30-20:00 is outside the floor US-TCPA@2026-11 (08:00-21:00): it opens at 07:30, before the floor's 08:00 (narrow the window to lie inside the floor (a law's hours cannot be overridden))",
        "calling-window-outside-floor/policies.yaml:9:10: CallingPolicy/us-sales: window tue 09:00-21:30 is outside the floor US-TCPA@2026-11 (08:00-21:00): it ends at 21:30, after the floor's 21:00 (narrow the window to lie inside the floor (a law's hours cannot be overridden))",
        'calling-window-outside-floor/policies.yaml:18:10: CallingPolicy/au-sales: floor "AU" is not a shipped floor (name a dated floor, e.g. AU@2026-11: a floor\'s date pins the rules it stands for)',
        "calling-window-outside-floor/policies.yaml:30:10: CallingPolicy/au-sunday: window sun 10:00-16:00 is outside the floor AU@2026-11 (Mon-Fri 09:00-20:00, Sat 09:00-17:00): the floor allows no call on sun (narrow the window to lie inside the floor (a law's hours cannot be overridden))",
        'calling-window-outside-floor/policies.yaml:39:10: CallingPolicy/au-typos: windows.sat is not a span of local time such as "08:00-21:00" (write HH:MM-HH:MM with two-digit hours, e.g. "09:00-17:30")',
        'calling-window-outside-floor/policies.yaml:42:13: CallingPolicy/au-typos: zones.region "XX" is not a country the phone tables know (write an ISO 3166 code such as GB, US or AU)',
        "calling-window-outside-floor/policies.yaml:43:25: CallingPolicy/au-typos: precedence is not one of zone, postcode, phone",
        "calling-window-outside-floor/policies.yaml:49:1: CallingPolicy/gb-fallback: spec unresolved: fallback needs a fallback window (add fallback: {zone: America/New_York, window: 12:00-17:00})",
        'calling-window-outside-floor/policies.yaml:62:18: Dataset/spring: callingPolicy "uk-sales" is not the name of a CallingPolicy document (define a CallingPolicy with this metadata.name)',
    ],
    "campaign-status-invalid": [
        'campaign-status-invalid/campaigns.yaml:7:11: CcCampaign/winback: status "NEW" is not one of RUNNING, PAUSED, PURGED, STOPPED (RUNNING dials; PAUSED still dials what is queued; PURGED also flushes the queue; STOPPED is final)',
        'campaign-status-invalid/campaigns.yaml:15:11: CcCampaign/winback-again: status "paused" is not one of RUNNING, PAUSED, PURGED, STOPPED (did you mean "PAUSED"?)',
        'campaign-status-invalid/campaigns.yaml:16:17: CcCampaign/winback-again: acknowledge "start" is not one of run, stop',
        "campaign-status-invalid/campaigns.yaml:31:13: CcCampaign/spring-copy: campaign 126 already has its status declared by CcCampaign/spring (campaign-status-invalid/campaigns.yaml:21:9) (a campaign has one CcCampaign; remove one of them)",
    ],
    "credentials-in-project": [
        'credentials-in-project/reconciler.yaml:7:7: "username" would put a credential in the file (remove it and name the environment variable that holds it instead, e.g. usernameEnv: CONTACTNOW_USERNAME)',
        'credentials-in-project/reconciler.yaml:8:7: "password" would put a credential in the file (remove it and name the environment variable that holds it instead, e.g. passwordEnv: CONTACTNOW_PASSWORD)',
        "credentials-in-project/reconciler.yaml:14:17: contactCenter.tokenEnv is not an environment variable name (name the variable that holds the secret, e.g. CONTACTNOW_PASSWORD; never the secret itself)",
        "credentials-in-project/reconciler.yaml:15:3: target emulator is built in and cannot be redefined (give your target another name)",
        "credentials-in-project/reconciler.yaml:17:3: target staging uses plain http:// to a host that is not loopback (use https://, or set allowInsecureHttp: true on this target if you really mean it)",
        "credentials-in-project/reconciler.yaml:19:3: target empty names no API (add a contactnow block, a contactCenter block, or both)",
    ],
    "csv-duplicate-key": [
        'csv-duplicate-key/data/spring.csv:4:1: RecordSet/spring-records: duplicate VENDOR_URN "A-1"; it first appears at line 2 (each VENDOR_URN may appear once in a source)',
        "csv-duplicate-key/data/spring.csv:5:1: RecordSet/spring-records: row has no phone number (fill MobilePhone)",
        'csv-duplicate-key/data/spring.csv:6:1: RecordSet/spring-records: duplicate VENDOR_URN "A-2"; it first appears at line 3 (each VENDOR_URN may appear once in a source)',
        'csv-duplicate-key/data/spring.csv:7:1: RecordSet/spring-records: duplicate VENDOR_URN "A-1"; it first appears at line 2 (each VENDOR_URN may appear once in a source)',
    ],
    "csv-missing-key-column": [
        'csv-missing-key-column/data/spring.csv:1:1: RecordSet/spring-records: CSV header has no column "MobilePhone" (add the column, or stop managing this field)',
        'csv-missing-key-column/data/spring.csv:1:1: RecordSet/spring-records: CSV header has no column "VENDOR_URN" (did you mean "vendor_urn"?)',
    ],
    "dangling-dataset": [
        'dangling-dataset/records.yaml:14:12: RecordSet/spring-records: dataset "sprng" is not the name of a Dataset document (did you mean "spring"?)',
    ],
    "duplicate-address": [
        "duplicate-address/b.yaml:4:9: Dataset/spring: duplicate address; it is first defined at duplicate-address/a.yaml:4:9 (give each document of a kind its own metadata.name)",
    ],
    "duplicate-key": [
        'duplicate-key/datasets.yaml:10:3: Dataset/spring: duplicate key "priority" (it is already set at line 8; keep one)',
    ],
    "jsonl-problems": [
        "jsonl-problems/data/spring.jsonl:2:1: RecordSet/spring-records: FirstName must be text, not a JSON object (write a single value)",
        'jsonl-problems/data/spring.jsonl:3:1: RecordSet/spring-records: line is not a JSON object (write one object per line, e.g. {"a": "b"})',
        "jsonl-problems/data/spring.jsonl:4:1: RecordSet/spring-records: MobilePhone is a JSON number (write it as a JSON string so a leading 0 or + is kept as written)",
        "jsonl-problems/data/spring.jsonl:5:1: RecordSet/spring-records: line is not valid JSON (write one JSON object per line)",
        'jsonl-problems/data/spring.jsonl:7:1: RecordSet/spring-records: JSON object has the key "MobilePhone" twice (keep one)',
        'jsonl-problems/data/spring.jsonl:8:1: RecordSet/spring-records: duplicate VENDOR_URN "A-1"; it first appears at line 1 (each VENDOR_URN may appear once in a source)',
        "jsonl-problems/records.yaml:15:36: RecordSet/spring-records: field outcomecode is written by the dialler and cannot be managed (remove it from fields)",
    ],
    "missing-kind": [
        'missing-kind/datasets.yaml:1:1: missing required field "kind" (add kind: one of CallingPolicy, TodPolicy, Queue, Dataset, OutcomeCode, SuppressionList, RecordSet, CcCampaign, CampaignMembership)',
    ],
    "no-phone": [
        "no-phone/records.yaml:17:7: RecordSet/spring-records: row has no phone number (fill at least one of MobilePhone or HomePhone)",
        "no-phone/records.yaml:18:7: RecordSet/spring-records: row has no phone number (fill at least one of MobilePhone or HomePhone)",
        "no-phone/records.yaml:19:7: RecordSet/spring-records: row has no VENDOR_URN (every row needs a value for the key VENDOR_URN, unique in this source)",
        "no-phone/records.yaml:20:54: RecordSet/spring-records: MobilePhone is not a phone number (use 5 to 20 digits, with spaces, dashes, dots or brackets and a leading + if needed)",
        "no-phone/records.yaml:36:11: RecordSet/autumn-records: fields name no phone field (manage at least one of HomePhone, MobilePhone or WorkPhone: ContactNow refuses a record without a phone number)",
    ],
    "one-owner-each": [
        "one-owner-each/resources.yaml:23:12: RecordSet/spring-b: Dataset/spring already gets its records from RecordSet/spring-a (one-owner-each/resources.yaml:12:9) (a dataset has one RecordSet; merge them)",
        "one-owner-each/resources.yaml:40:13: CampaignMembership/winback-b: campaign 125 already gets its members from CampaignMembership/winback-a (one-owner-each/resources.yaml:30:9) (a campaign has one CampaignMembership; merge them)",
        'one-owner-each/resources.yaml:41:63: CampaignMembership/winback-b: duplicate customer-id "10000002"; it first appears at line 41, column 13 (each customer-id may appear once in a source)',
        "one-owner-each/resources.yaml:49:16: Dataset/spring-copy: same campaign and description as Dataset/spring (one-owner-each/resources.yaml:4:9), so both would match the same live dataset (change one description, or pin each to its dataset with id)",
    ],
    "outcome-code-twice": [
        'outcome-code-twice/outcomecodes.yaml:7:16: OutcomeCode/opted-out: description "Opted out" is already that of OutcomeCode/call-back (outcome-code-twice/outcomecodes.yaml:23:9) (each outcome code is described once: remove one of them, or tell them apart)',
        "outcome-code-twice/outcomecodes.yaml:16:12: OutcomeCode/opted-out-again: outcome 700001 is already pinned by OutcomeCode/opted-out (outcome-code-twice/outcomecodes.yaml:4:9) (each outcome code is described once: remove one of them, or tell them apart)",
        'outcome-code-twice/outcomecodes.yaml:32:1: OutcomeCode/undecided: missing required field "complete" (say whether a record given this code leaves the dialler: complete: true, or complete: false)',
    ],
    "priority-out-of-range": [
        "priority-out-of-range/datasets.yaml:8:13: Dataset/spring: priority 95 is above 90 (use 0 to 90)",
        "priority-out-of-range/datasets.yaml:17:13: Dataset/autumn: priority -1 is below 0 (use 0 to 90)",
    ],
    "python-object-tag": [
        'python-object-tag/datasets.yaml:5:7: Dataset/spring: explicit tag "!!python/object/apply:os.system" is not allowed (remove the tag; every value is read as text, and quotes keep it exactly as written)',
        'python-object-tag/more-tags.yaml:6:13: Dataset/spring: explicit tag "!custom" is not allowed (remove the tag; every value is read as text, and quotes keep it exactly as written)',
        'python-object-tag/more-tags.yaml:7:16: Dataset/spring: explicit tag "!!str" is not allowed (remove the tag; every value is read as text, and quotes keep it exactly as written)',
    ],
    "schedule-not-iso": [
        'schedule-not-iso/members.yaml:8:41: CampaignMembership/winback: schedule "next tuesday" is not an ISO 8601 date-time (write "2026-11-25T09:00:00+00:00", "+2d 09:00+00:00" or "+1d 09:00 local")',
        'schedule-not-iso/members.yaml:9:41: CampaignMembership/winback: schedule "2026-11-25T09:00:00" has no time zone (add a UTC offset such as +00:00 or Z)',
        'schedule-not-iso/members.yaml:10:41: CampaignMembership/winback: schedule "25/11/2026 09:00" is not an ISO 8601 date-time (write "2026-11-25T09:00:00+00:00", "+2d 09:00+00:00" or "+1d 09:00 local")',
        'schedule-not-iso/members.yaml:11:41: CampaignMembership/winback: schedule "+8d 09:00+00:00" is more than 7 days ahead (the Contact Center accepts +0d to +7d)',
        'schedule-not-iso/members.yaml:12:41: CampaignMembership/winback: schedule "+2d 9am" is not a relative schedule (write "+<days>d HH:MM<offset>" or "+<days>d HH:MM local", e.g. "+2d 09:00+00:00")',
    ],
    "several-broken-files": [
        "several-broken-files/manifests/a-records.yaml:9:3: RecordSet/spring-records: absent policy complete needs an outcome (add the complete outcome code to set, e.g. absent: {policy: complete, outcome: 510456})",
        "several-broken-files/manifests/b-datasets.yaml:8:13: Dataset/spring: priority 91 is above 90 (use 0 to 90)",
        "several-broken-files/manifests/b-datasets.yaml:9:10: Dataset/spring: queue must be a queue id or a queue name (write a qid such as 75674454, or a queue name)",
        "several-broken-files/manifests/b-datasets.yaml:14:9: Dataset/Autumn_2024: metadata.name \"Autumn_2024\" is not a valid name (use 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit)",
        'several-broken-files/manifests/b-datasets.yaml:15:1: Dataset/Autumn_2024: missing required field "description" (add its description, e.g. description: Spring renewals)',
        "several-broken-files/manifests/c-broken.yml:8:1: YAML syntax error while parsing a flow mapping: expected ',' or '}', but got '<stream end>' (fix the YAML at this position)",
        'several-broken-files/reconciler.yaml:3:24: manifest directory "extra" not found (create it, or fix manifests in reconciler.yaml)',
        'several-broken-files/reconciler.yaml:4:16: defaultTarget "prod" is not a target (define it under targets, or use one of: emulator)',
    ],
    "source-absolute-path": [
        'source-absolute-path/records.yaml:16:11: RecordSet/spring-records: source path "/etc/passwd.csv" is absolute (write it relative to this manifest file, e.g. records/spring.csv)',
    ],
    "source-and-rows": [
        "source-and-rows/records.yaml:13:1: RecordSet/both: spec has both source and rows (keep one: source for a file, or rows written inline)",
        "source-and-rows/records.yaml:23:1: RecordSet/neither: spec has neither source nor rows (add source: <file.csv> or rows: [...])",
        'source-and-rows/records.yaml:34:11: RecordSet/missing-file: source file "data/missing.csv.gz" not found (check the path; it is relative to this manifest file)',
    ],
    "source-escapes-root": [
        'source-escapes-root/records.yaml:16:11: RecordSet/spring-records: source path "../unknown-field/../../secrets.csv" leads outside the project root (keep source files inside the project directory)',
    ],
    "status-invalid": [
        'status-invalid/datasets.yaml:8:11: Dataset/spring: status "PAUSED" is not one of HOLD, LIVE, EXPIRED (HOLD keeps the dataset off the dialler, LIVE dials it, EXPIRED closes it for ever)',
        'status-invalid/datasets.yaml:17:11: Dataset/autumn: status "live" is not one of HOLD, LIVE, EXPIRED (did you mean "LIVE"?)',
    ],
    "unknown-field": [
        'unknown-field/datasets.yaml:8:3: Dataset/spring: unknown field "prority" (did you mean "priority"?)',
        'unknown-field/datasets.yaml:9:3: Dataset/spring: unknown field "colour" (allowed here: acknowledge, callingPolicy, campaign, description, id, movedFrom, priority, queue, status)',
    ],
    "unknown-kind": [
        'unknown-kind/datasets.yaml:2:7: unknown kind "DataSet" (did you mean "Dataset"?)',
        'unknown-kind/datasets.yaml:10:7: unknown kind "Printer" (use one of CallingPolicy, TodPolicy, Queue, Dataset, OutcomeCode, SuppressionList, RecordSet, CcCampaign, CampaignMembership)',
    ],
    "unquoted-phone": [
        "unquoted-phone/records.yaml:17:54: RecordSet/spring-records: MobilePhone is an unquoted number (quote the value so a leading 0 or + is kept as written)",
        "unquoted-phone/records.yaml:21:18: RecordSet/spring-records: HomePhone is an unquoted number (quote the value so a leading 0 or + is kept as written)",
        "unquoted-phone/records.yaml:22:17: RecordSet/spring-records: Postcode is an unquoted number (quote the value so a leading 0 or + is kept as written)",
    ],
    "vendor-owned-field": [
        "vendor-owned-field/records.yaml:15:8: RecordSet/spring-records: key URN is written by the dialler and cannot identify your records (use VENDOR_URN, the default, or a custom field that holds your own id)",
        "vendor-owned-field/records.yaml:16:11: RecordSet/spring-records: fields name no phone field (manage at least one of HomePhone, MobilePhone or WorkPhone: ContactNow refuses a record without a phone number)",
        "vendor-owned-field/records.yaml:16:23: RecordSet/spring-records: field notes is written by the dialler and cannot be managed (remove it from fields)",
        "vendor-owned-field/records.yaml:16:30: RecordSet/spring-records: field ProcessType is written by the dialler and cannot be managed (remove it from fields)",
        "vendor-owned-field/records.yaml:16:43: RecordSet/spring-records: field FirstName is listed twice (it is already item 1 of fields; keep one)",
    ],
    "wrong-type": [
        "wrong-type/datasets.yaml:6:13: Dataset/spring: campaign must be text, not a list",
        'wrong-type/datasets.yaml:8:13: Dataset/spring: priority "high" is not a whole number (use 0 to 90)',
        'wrong-type/datasets.yaml:9:7: Dataset/spring: id "3.5" is not a whole number',
        "wrong-type/datasets.yaml:10:16: Dataset/spring: acknowledge must be a list, not text (write it as [a, b] or as lines starting with -)",
    ],
    "yaml-syntax-error": [
        "yaml-syntax-error/datasets.yaml:9:1: YAML syntax error while parsing a flow sequence: expected ',' or ']', but got '<stream end>' (fix the YAML at this position)",
    ],
}


def test_every_fixture_tree_is_checked() -> None:
    trees = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())
    assert trees == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gives_exactly_its_problems(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    assert problems(Path(name)) == EXPECTED[name]


def test_several_broken_files_are_reported_together_and_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    found = problems(Path("several-broken-files"))
    files = {line.split(":", 1)[0] for line in found}
    assert files == {
        "several-broken-files/manifests/a-records.yaml",
        "several-broken-files/manifests/b-datasets.yaml",
        "several-broken-files/manifests/c-broken.yml",
        "several-broken-files/reconciler.yaml",
    }
    assert found == sorted(found, key=_position)


def _position(line: str) -> tuple[str, int, int]:
    file, row, column, _ = line.split(":", 3)
    return file, int(row), int(column)
