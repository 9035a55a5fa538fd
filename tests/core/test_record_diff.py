"""The streaming record diff agrees with a straightforward dict-based reference diff, and says exact things."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.diff.records import RecordWork, diff_records
from reconciler.model.normalize import normalize
from reconciler.model.state import LiveRecord, Policy
from reconciler.plan.changes import Action

from .helpers import record_set

FIELDS = ("VENDOR_URN", "FirstName", "MobilePhone")


def _reference(
    desired: list[dict[str, str]], live: list[LiveRecord]
) -> tuple[set[str], dict[str, int], set[int]]:
    """Creates, updates (key -> id) and absent open ids, computed the obvious way."""
    wanted = {row["VENDOR_URN"]: row for row in desired}
    first: dict[str, LiveRecord] = {}
    absent: set[int] = set()
    for record in sorted(live, key=lambda item: item.id):
        if record.key not in wanted:
            if not record.closed:
                absent.add(record.id)
            continue
        first.setdefault(record.key, record)
    updates = {
        key: record.id
        for key, record in first.items()
        if any(
            normalize(name, record.values.get(name)) != normalize(name, wanted[key].get(name))
            for name in FIELDS
        )
    }
    return set(wanted) - set(first), updates, absent


keys = st.sampled_from([f"U{number}" for number in range(30)])
names = st.sampled_from(["Ann", "Bob", "", " Ann "])
phones = st.sampled_from(["07700900001", "07700 900001", "07700900002", ""])


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(keys, st.tuples(names, phones), max_size=25),
    st.lists(st.tuples(keys, names, phones, st.sampled_from(["New Prospect", "COMPLETE"])), max_size=30),
)
def test_streaming_diff_matches_reference(
    source: dict[str, tuple[str, str]], live_rows: list[tuple[str, str, str, str]]
) -> None:
    desired = [
        {"VENDOR_URN": key, "FirstName": name, "MobilePhone": phone} for key, (name, phone) in source.items()
    ]
    live = [
        LiveRecord(number, key, {"VENDOR_URN": key, "FirstName": name, "MobilePhone": phone}, process)
        for number, (key, name, phone, process) in enumerate(live_rows, start=1)
    ]
    result = diff_records(
        record_set(desired, absent=Policy("complete", "510456")), FIELDS, iter(live), dataset_id=7
    )
    creates, updates, absent = _reference(desired, live)
    work = result.change.work if result.change else RecordWork("Dataset/spring")
    assert isinstance(work, RecordWork)
    assert set(work.create_keys) == creates
    assert {key: record_id for key, (record_id, _) in work.updates.items()} == updates
    assert set(work.complete_ids) == absent


def test_counts_sample_and_field_counts_are_exact() -> None:
    desired = [
        {"VENDOR_URN": "A", "FirstName": "Ann", "MobilePhone": "07700900001"},
        {"VENDOR_URN": "B", "FirstName": "Bob", "MobilePhone": "07700 900002"},
        {"VENDOR_URN": "C", "FirstName": "Cy", "MobilePhone": "07700900003"},
    ]
    live = [
        LiveRecord(1, "A", {"VENDOR_URN": "A", "FirstName": "Anne", "MobilePhone": "07700900001"}),
        LiveRecord(2, "B", {"VENDOR_URN": "B", "FirstName": "Bob", "MobilePhone": "07700900002"}),
        LiveRecord(3, "Z", {"VENDOR_URN": "Z", "FirstName": "Zed", "MobilePhone": "07700900009"}),
        LiveRecord(4, "B", {"VENDOR_URN": "B", "FirstName": "Bob", "MobilePhone": "07700900002"}),
    ]
    result = diff_records(record_set(desired), FIELDS, iter(live), dataset_id=7)
    assert result.change is not None
    assert dict(result.change.counts) == {"create": 1, "update": 1, "unchanged": 1}
    assert dict(result.change.field_counts) == {"FirstName": 1}
    assert [(row.key, row.action) for row in result.change.sample] == [
        ("C", Action.CREATE),
        ("A", Action.UPDATE),
    ]
    assert [(item.field, item.before, item.after) for item in result.change.sample[1].fields] == [
        ("FirstName", "Anne", "Ann")
    ]
    messages = {item.category: item.message for item in result.observations}
    assert messages["duplicates"] == (
        "1 keys have more than one live record (1 extra records: B); set spec.dedupe to complete them"
    )
    assert messages["unmanaged"] == (
        "1 live records have no VENDOR_URN in the source and are left alone (absent: ignore)"
    )
    assert result.live_rows == 4


def test_closed_duplicates_are_not_reported_again() -> None:
    """After `dedupe: complete` has completed the extra records, the next plan has nothing to suggest."""
    desired = [{"VENDOR_URN": "B", "FirstName": "Bob", "MobilePhone": "07700900002"}]
    values = {"VENDOR_URN": "B", "FirstName": "Bob", "MobilePhone": "07700900002"}
    live = [
        LiveRecord(2, "B", values, process_type="HOLD: New Prospect"),
        LiveRecord(4, "B", values, process_type="COMPLETE", outcome="510456"),
        LiveRecord(5, "B", values, process_type="EXPIRED"),
    ]
    result = diff_records(record_set(desired), FIELDS, iter(live), dataset_id=7)
    assert result.change is None
    assert [item.message for item in result.observations] == [
        "dialler state of 3 live records: 1 COMPLETE, 1 EXPIRED, 1 HOLD: New Prospect, 1 with an outcome"
    ]


def test_empty_date_and_spacing_are_not_changes() -> None:
    desired = [{"VENDOR_URN": "A", "callback": "", "MobilePhone": "07700 900 001"}]
    live = [
        LiveRecord(
            1, "A", {"VENDOR_URN": "A", "callback": "0000-00-00 00:00:00", "MobilePhone": "07700900001"}
        )
    ]
    result = diff_records(
        record_set(desired, ("callback", "MobilePhone")),
        ("VENDOR_URN", "callback", "MobilePhone"),
        iter(live),
        dataset_id=1,
    )
    assert result.change is None
    assert result.counts == {"create": 0, "update": 0, "unchanged": 1}


def test_dataset_that_does_not_exist_yet_creates_every_row() -> None:
    desired = [{"VENDOR_URN": f"K{n}", "FirstName": "x", "MobilePhone": "1"} for n in range(3)]
    result = diff_records(record_set(desired), FIELDS, None, dataset_id=None)
    assert result.change is not None
    assert result.change.action is Action.CREATE
    assert dict(result.change.counts) == {"create": 3}
    assert result.live_digest == "absent"
