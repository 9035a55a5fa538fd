"""PII canaries at full size (#5 item 13): 1,000 records of canary names, phones, emails and addresses.

With emulator faults (5xx and dropped connections on creates, so rows are re-read by key), rows the API
refuses (updates of records the dialler expired), validation errors (a value too long for its field, a bad phone,
an unquoted phone, a JSON-number phone) and out-of-band edits, nothing personal reaches the default output of
any format, the saved JSON plans, the drift reports, the logs (DEBUG, httpx and httpcore included) or the error
messages. `--show-values` proves the scan would see them. tests/e2e/test_drift_and_safety.py has the small
version; this one runs the failing paths too.
"""

from __future__ import annotations

import io
import logging
import re
import traceback
from collections.abc import Iterator

import pytest
from harness.project import Project
from support import COMPLETE, dataset_doc, record_set_doc
from typer.testing import CliRunner

from reconciler.cli import app

COUNT = 1000
FIELDS = [
    "FirstName",
    "LastName",
    "MobilePhone",
    "HomePhone",
    "Customer_Email",
    "Address1",
    "Address2",
    "Postcode",
]
CANARY = re.compile(r"(?i)qzv|canary\.example|07911[ -]?4\d{5}|079114\d{5}")
"""Every personal value below carries one of these marks; nothing else a run prints does."""

MANIFESTS = dataset_doc("people", "People", status="LIVE") + record_set_doc(
    "people-records",
    dataset="people",
    fields=f"[{', '.join(FIELDS)}]",
    source="people.csv",
    absent=COMPLETE,
)

pytestmark = pytest.mark.served  # its runs call the CLI directly, on the served emulator


def person(n: int) -> list[str]:
    return [
        f"Qzvfirst{n:04d}",
        f"Qzvlast-O'Brien{n:04d}",
        f"07911 4{n:05d}",
        f"079114{n:05d}",
        f"qzv.person{n:04d}@canary.example",
        f"{n} Qzv Lane, Flat {n % 7}",
        f"Qzvtown {n % 13}",
        f"QZV{n % 10} 1AA",
    ]


def people_csv(rows: list[list[str]]) -> str:
    lines = [",".join(["VENDOR_URN", *FIELDS])]
    lines += [",".join([f"P{n:04d}", *(f'"{value}"' for value in row)]) for n, row in enumerate(rows)]
    return "\n".join(lines) + "\n"


class Runs:
    """CLI runs in-process with a DEBUG log handler on root, httpx and httpcore; everything kept."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.runner = CliRunner()
        self.texts: list[str] = []
        self.log = io.StringIO()

    def __call__(self, *args: str) -> tuple[int, str, str]:
        result = self.runner.invoke(app, [args[0], str(self.project.root), *args[1:]], catch_exceptions=True)
        self.texts += [result.stdout, result.stderr]
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            info = result.exc_info
            assert info is not None
            self.texts.append("".join(traceback.format_exception(*info)))
            pytest.fail(f"unexpected exception in {args}: {self.texts[-1]}")
        return result.exit_code, result.stdout, result.stderr

    def everything(self) -> str:
        files = [
            path.read_text(errors="replace")
            for path in sorted(self.project.root.rglob("*"))
            if path.is_file() and path.suffix not in (".csv", ".yaml", ".jsonl")
        ]
        return "\n".join([*self.texts, self.log.getvalue(), *files])


@pytest.fixture
def runs(project: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runs]:
    monkeypatch.setenv("RECONCILER_LOG", "DEBUG")
    monkeypatch.setenv("RECONCILER_BATCH_SIZE", "50")
    monkeypatch.setenv("RECONCILER_RETRY_BASE_SECONDS", "0")
    collected = Runs(project)
    handler = logging.StreamHandler(collected.log)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("httpx"), logging.getLogger("httpcore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield collected
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def hits(text: str) -> list[str]:
    return sorted(set(CANARY.findall(text)))


def test_1000_canary_records_through_faults_and_failures_leak_nothing(project: Project, runs: Runs) -> None:
    people = [person(n) for n in range(COUNT)]
    project.write("manifests/people.yaml", MANIFESTS)
    project.write("manifests/people.csv", people_csv(people))

    validated = runs("validate")
    assert validated[0] == 0, validated
    plan_file = project.root / "plan.json"
    for fmt in ("text", "json", "markdown"):
        assert runs("plan", "--format", fmt, "--out", str(plan_file))[0] == 0

    # Apply through faults: some creates are stored and then answered 503 or dropped (ambiguous: the rows are
    # re-read by key before anything is sent again).
    project.fault(
        "error:status=503:rate=0.2:seed=3:match=ecnow_records.create",
        "commit_then_fail:mode=drop:rate=0.2:seed=4:match=ecnow_records.create",
    )
    runs("apply", "--auto-approve")
    project.clear_faults()
    assert runs("apply", "--auto-approve")[0] == 0
    stored = sorted((r["VENDOR_URN"], r["FirstName"], r["MobilePhone"]) for r in project.view.records())
    assert stored == [(f"P{n:04d}", row[0], row[2]) for n, row in enumerate(people)]

    # Rows the API refuses: updates of 10 records the dialler marked EXPIRED ("Record id [N] is expired").
    project.view.set_records(*(f"P{n:04d}" for n in range(10)), ProcessType="EXPIRED")
    renamed = [[f"Qzvrenamed{n:04d}", *row[1:]] if n < 15 else row for n, row in enumerate(people)]
    project.write("manifests/people.csv", people_csv(renamed))
    code, stdout, _ = runs("apply", "--auto-approve")
    assert code == 1 and "10 rows failed" in stdout and "P0000: Record id [" in stdout
    assert sum(r["FirstName"].startswith("Qzvrenamed") for r in project.view.records()) == 5

    # Drift: canary values edited out of band, in every format, with reports.
    project.view.set_records(FirstName="Qzvchanged", Customer_Email="qzv@canary.example")  # every record
    project.view.set_records(*(f"P{n:04d}" for n in range(100)), Address1="Qzv Out of band")
    for fmt in ("text", "json", "markdown"):
        code, stdout, _ = runs("drift", "--format", fmt, "--report", str(project.root / f"drift-{fmt}.out"))
        assert code == 2
        code, _, _ = runs("plan", "--format", fmt, "--out", str(plan_file), "--allow-mass-update")
        assert code == 0  # every record changed out of band: restoring them all is a mass update

    # Validation errors on rows full of canary values.
    broken = [row[:] for row in people]
    broken[5][0] = "Qzv" * 20  # 60 characters: FirstName holds 50
    project.write("manifests/people.csv", people_csv(broken))
    code, _, stderr = runs("plan")
    assert (code, stderr.count("FirstName of record P0005 is 60 characters; the field holds 50")) == (1, 1)
    broken[5][0] = "Qzvfine"
    broken[7][2] = "07911 4Qzv"  # not a phone
    project.write("manifests/people.csv", people_csv(broken))
    code, _, stderr = runs("validate")
    assert code == 1 and "MobilePhone is not a phone number" in stderr
    project.write(
        "manifests/people.yaml",
        MANIFESTS.replace(
            "source: people.csv",
            "rows:\n    - {VENDOR_URN: P0001, MobilePhone: 079114000001, FirstName: Qzvinline}",
        ),
    )
    code, _, stderr = runs("validate")
    assert code == 1 and "MobilePhone is an unquoted number" in stderr
    project.write("manifests/people.yaml", MANIFESTS.replace("source: people.csv", "source: people.jsonl"))
    project.write(
        "manifests/people.jsonl",
        '{"VENDOR_URN": "P0001", "MobilePhone": 79114000001, "FirstName": "Qzvjson"}\n'
        '{"VENDOR_URN": "P0002", "MobilePhone": "07911 400002", "FirstName": ["Qzvlist"]}\n',
    )
    code, _, stderr = runs("validate")
    assert code == 1 and "MobilePhone is a JSON number" in stderr and "FirstName must be text" in stderr

    everything = runs.everything()
    assert "INFO httpx: HTTP Request: POST" in everything and "DEBUG httpcore.http11" in everything
    assert hits(everything) == []

    # The scan sees personal values when they are shown on purpose.
    project.write("manifests/people.yaml", MANIFESTS)
    project.write("manifests/people.csv", people_csv(people))
    code, stdout, _ = runs("plan", "--show-values", "--allow-mass-update")
    assert code == 0 and "Qzvfirst0000" in stdout and hits(stdout)
