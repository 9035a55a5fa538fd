"""The JSON documents plan and drift write are the machine contract: they match the schemas in schemas/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harness.project import Project
from jsonschema import Draft202012Validator

from reconciler.plan.plan import checksum, dumps

from .test_members import membership
from .test_records import rows, setup

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(name: str, document: dict[str, Any]) -> list[str]:
    return sorted(error.message for error in validator(name).iter_errors(document))


def every_kind(project: Project) -> None:
    setup(project, rows(12), status="LIVE", absent="{policy: complete, outcome: '510456'}")
    project.write(
        "manifests/members.yaml", membership(["{customer-id: 10000001}", "{customer-id: 10000002}"])
    )


def test_plans_and_drift_reports_match_their_schemas(project: Project) -> None:
    every_kind(project)
    first = project.cli("plan", "--format", "json")
    assert first.exit_code == 0, first.stderr
    plan = json.loads(first.stdout)
    assert [change["address"] for change in plan["changes"]] == [
        "Dataset/spring",
        "RecordSet/spring-records",
        "CampaignMembership/winback",
    ]
    assert errors("plan.schema.json", plan) == []

    assert project.cli("apply", "--auto-approve").exit_code == 0
    simulated = project.http.post("/_emulator/simulate", json={"steps": 8, "seed": 7})
    assert simulated.status_code == 200
    project.view.set_dataset(project.view.dataset(), priority=77)
    # Drop a record the dialler left open, so that the absent policy has one to complete.
    still_open = [row["VENDOR_URN"] for row in project.view.records() if row["ProcessType"] != "COMPLETE"]
    kept = [row for row in rows(12) if row[0] != still_open[-1]]
    setup(project, kept, status="LIVE", absent="{policy: complete, outcome: '510456'}")
    saved = project.root / "plan.json"
    second = project.cli("plan", "--out", str(saved), "--show-values")
    assert second.exit_code == 0, second.stderr
    body = json.loads(saved.read_text())
    assert {item["category"] for item in body["observations"]} >= {"churn"}
    assert body["changes"][1]["counts"] == {"complete": 1, "unchanged": 11}
    assert errors("plan.schema.json", body) == []

    report = project.root / "drift.json"
    assert project.cli("drift", "--report", str(report)).exit_code == 2
    drift = json.loads(report.read_text())
    assert drift["drift"] is True
    assert errors("drift.schema.json", drift) == []
    printed = project.cli("drift", "--format", "json")
    assert errors("drift.schema.json", json.loads(printed.stdout)) == []


def test_the_schemas_are_strict(project: Project) -> None:
    every_kind(project)
    plan = json.loads(project.cli("plan", "--format", "json").stdout)
    plan["surprise"] = 1
    del plan["summary"]
    plan["changes"][0]["action"] = "?"
    assert errors("plan.schema.json", plan) == [
        "'?' is not one of ['+', '~', '-', '-/+', '!']",
        "'summary' is a required property",
        "Additional properties are not allowed ('surprise' was unexpected)",
    ]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda body: body.update(version=1), "version: Input should be 2"),
        (
            lambda body: body["changes"][0].update(phase=15),
            "changes.0.phase: Input should be 5, 6, 7, 10, 20, 24, 25, 27, 30 or 40",
        ),
        (lambda body: body.pop("observed"), "observed: Field required"),
    ],
)
def test_a_plan_file_outside_the_schema_is_refused_before_any_write(
    project: Project, edit: Any, reason: str
) -> None:
    every_kind(project)
    saved = project.root / "plan.json"
    assert project.cli("plan", "--out", str(saved)).exit_code == 0
    body = json.loads(saved.read_text())
    edit(body)
    body["checksum"] = checksum(body)  # a well-formed file from a different or broken writer
    saved.write_text(dumps(body))
    mark = project.mark()
    refused = project.cli("apply", "--plan", str(saved), "--auto-approve")
    assert refused.exit_code == 1
    assert f"{saved} does not match the plan schema: {reason}" in refused.stderr
    assert "schemas/plan.schema.json describes the format" in refused.stderr
    assert project.writes(mark) == []
