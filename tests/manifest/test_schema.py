"""schemas/ is generated from the models, deterministically, and the committed copy is current."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.kinds import REGISTRY
from reconciler.schemas import write_all

from .helpers import SCHEMAS

NAMES = [
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


def test_committed_schemas_are_current(tmp_path: Path) -> None:
    written = write_all(tmp_path)
    assert [path.name for path in written] == NAMES
    for path in written:
        committed = SCHEMAS / path.name
        assert committed.exists() and committed.read_bytes() == path.read_bytes(), (
            "schemas/ is out of date: run `reconciler schema --out schemas/`"
        )


def test_schemas_are_deterministic_and_sorted(tmp_path: Path) -> None:
    first = [path.read_bytes() for path in write_all(tmp_path / "a")]
    second = [path.read_bytes() for path in write_all(tmp_path / "b")]
    assert first == second
    for text in first:
        assert text.endswith(b"}\n")
        data = json.loads(text)
        assert text.decode() == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_describes_the_envelope_and_the_yaml_names(tmp_path: Path) -> None:
    paths = {path.name: path for path in write_all(tmp_path)}
    dataset = json.loads(paths["dataset.schema.json"].read_text())
    assert dataset["required"] == ["apiVersion", "kind", "metadata", "spec"]
    assert dataset["properties"]["kind"]["const"] == "Dataset"
    assert dataset["properties"]["apiVersion"]["const"] == "reconciler/v1"
    spec = dataset["$defs"]["DatasetSpec"]
    assert spec["additionalProperties"] is False
    assert spec["properties"]["priority"]["maximum"] == 90
    assert spec["properties"]["status"]["enum"] == ["HOLD", "LIVE", "EXPIRED"]
    records = json.loads(paths["recordset.schema.json"].read_text())
    row = records["$defs"]["RecordSetSpec"]["properties"]["rows"]["anyOf"][0]["items"]
    assert row["properties"]["MobilePhone"] == {"type": "string"}
    assert row["properties"]["Postcode"] == {"type": "string"}
    project = json.loads(paths["project.schema.json"].read_text())
    contactnow = project["$defs"]["ContactNowTargetSpec"]["properties"]
    assert set(contactnow) == {
        "baseUrl",
        "region",
        "usernameEnv",
        "passwordEnv",
        "concurrency",
        "requestsPerSecond",
    }
    members = json.loads(paths["campaignmembership.schema.json"].read_text())
    assert "customer-id" in members["$defs"]["MemberSpec"]["properties"]


def test_plan_and_drift_schemas_name_the_registered_kinds(tmp_path: Path) -> None:
    paths = {path.name: path for path in write_all(tmp_path)}
    for name in ("plan.schema.json", "drift.schema.json"):
        change = json.loads(paths[name].read_text())["$defs"]["ChangeDocument"]["properties"]
        assert change["kind"]["enum"] == [
            "CallingPolicy",
            "TodPolicy",
            "Queue",
            "Dataset",
            "OutcomeCode",
            "SuppressionList",
            "RecordSet",
            "CcCampaign",
            "CampaignMembership",
        ]
        assert change["kind"]["enum"] == list(REGISTRY.names())
        assert change["address"]["pattern"] == (
            "^(CallingPolicy|TodPolicy|Queue|Dataset|OutcomeCode|SuppressionList|RecordSet|CcCampaign|CampaignMembership)/[a-z0-9][a-z0-9._-]{0,62}$"
        )
        assert change["phase"]["enum"] == [5, 6, 7, 10, 20, 24, 25, 27, 30, 40]
    for kind in REGISTRY:
        assert kind.schema_file in paths
