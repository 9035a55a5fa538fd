"""The plan's canonical form: deterministic, masked by default, and checksummed."""

from __future__ import annotations

from reconciler.plan.changes import Action, Change, FieldChange, Phase, RowSample
from reconciler.plan.plan import Plan, checksum, dumps


def _plan() -> Plan:
    sample = (RowSample("A-1", Action.UPDATE, (FieldChange("MobilePhone", "07700900001", "07700900002"),)),)
    changes = (
        Change(
            Action.UPDATE,
            "Dataset/spring",
            Phase.DATASET,
            (FieldChange("priority", "10", "50"),),
        ),
        Change(
            Action.UPDATE,
            "RecordSet/spring",
            Phase.RECORDS,
            counts={"update": 1},
            sample=sample,
            unit="records",
            tally={"change": 1},
        ),
    )
    return Plan(
        "emulator", changes, live_digests={"Dataset/spring": "abc"}, source_digests={"RecordSet/spring": "d"}
    )


def test_same_plan_gives_byte_identical_files() -> None:
    assert dumps(_plan().to_dict()) == dumps(_plan().to_dict())


def test_personal_values_are_masked_unless_shown() -> None:
    masked = dumps(_plan().to_dict())
    assert "07700900001" not in masked and "07700900002" not in masked
    assert '"before": "(sensitive)"' in masked
    assert '"after": "50"' in masked
    shown = dumps(_plan().to_dict(show_values=True))
    assert "07700900002" in shown


def test_checksum_detects_one_changed_byte() -> None:
    body = _plan().to_dict()
    assert body["checksum"] == checksum(body)
    body["changes"][0]["fields"][0]["after"] = "51"
    assert body["checksum"] != checksum(body)


def test_summary_keeps_resources_and_rows_apart() -> None:
    assert _plan().summary() == {
        "resources": {"create": 0, "change": 2, "irreversible": 0},
        "rows": {"create": 0, "change": 1, "remove": 0},
    }
