"""schemas/ holds every published schema, generated from the models, and the committed copies are current."""

from __future__ import annotations

from pathlib import Path

from reconciler.schemas import write_all

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_every_committed_schema_is_current(tmp_path: Path) -> None:
    written = write_all(tmp_path)
    assert [path.name for path in written] == [
        "callingpolicy.schema.json",
        "campaignmembership.schema.json",
        "cccampaign.schema.json",
        "dataset.schema.json",
        "drift.schema.json",
        "outcomecode.schema.json",
        "plan.schema.json",
        "project.schema.json",
        "queue.schema.json",
        "recordset.schema.json",
        "suppressionlist.schema.json",
        "todpolicy.schema.json",
    ]
    assert sorted(path.name for path in SCHEMAS.glob("*.json")) == [path.name for path in written]
    for path in written:
        assert (SCHEMAS / path.name).read_bytes() == path.read_bytes(), (
            "schemas/ is out of date: run `reconciler schema --out schemas/`"
        )
