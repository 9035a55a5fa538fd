"""Secret canaries (#5 item 12): credentials never reach any output, in any form.

The emulator is given canary credentials with characters that URL-encode (`+ / = &`): a ContactNow user and
password, a Contact Center tenant and token, and a pre-issued ContactNow token (it travels in URLs). Wrong
canaries are used for the failing paths. Everything a run produces is scanned for the raw, percent-encoded
(quote, quote_plus) and base64 (`Basic tenant:token`) forms: stdout, stderr, log output (a DEBUG root handler
and plain DEBUG handlers on httpx and httpcore), exception text and tracebacks, plan files and reports.
Every token the emulator issued during the test (read back from its store) is scanned for too. One run uses a
real subprocess with RECONCILER_LOG=DEBUG so that the CLI's own logging configuration is exercised.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from harness.project import Project, open_project
from support import dataset_doc, membership_doc, record_set_doc
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.emulator.faults import apply_spec
from reconciler.providers.contactnow.client import ContactNowClient

CN_USER = "canary.cn+User/1=&u"
CN_PASS = "Canary+Pass/word=1&x"
CC_TENANT = "canary-tenant+T/2=&t"
CC_TOKEN = "CcCanary+Tok/en=3&y"
CN_TOKEN = "CnCanary+Tok/en=4&z"
WRONG_PASS = "Wrong+CanaryPass/5=&w"
WRONG_TOKEN = "Wrong+CcCanaryTok/6=&v"

MANIFESTS = (
    dataset_doc(status="LIVE")
    + record_set_doc(source="records.csv")
    + membership_doc(source="members.csv", absent="remove")
)

pytestmark = pytest.mark.served  # real sockets: resets, timeouts and httpx/httpcore logging


def forms(secret: str) -> set[str]:
    """The raw secret and every encoding a URL, a form body or a log line could carry it in."""
    encoded = {quote(secret, safe=""), quote(secret), quote_plus(secret, safe=""), quote_plus(secret)}
    return {secret} | encoded | {text.lower() for text in encoded if "%" in text}


def basic(user: str, secret: str) -> set[str]:
    raw = f"{user}:{secret}".encode()
    return {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}


def canaries(issued: list[str]) -> set[str]:
    found = set()
    for secret in (CN_PASS, CC_TOKEN, CN_TOKEN, WRONG_PASS, WRONG_TOKEN, *issued):
        found |= forms(secret)
    for user in (CC_TENANT, CN_USER):
        for secret in (CC_TOKEN, WRONG_TOKEN, CN_PASS, WRONG_PASS):
            found |= basic(user, secret)
    return found


class Capture:
    """Every log record at DEBUG: through the root logger and through plain handlers on httpx and httpcore."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setLevel(logging.DEBUG)
        self.handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.records = 0

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def capture() -> Iterator[Capture]:
    captured = Capture()
    loggers = [logging.getLogger(), logging.getLogger("httpx"), logging.getLogger("httpcore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(captured.handler)
    try:
        yield captured
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(captured.handler)
            logger.setLevel(level)


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """An emulator that knows only the canary credentials, and a project whose target names them."""
    with open_project(tmp_path, monkeypatch, mode="served") as project:
        project.setenv(
            CN_USER=CN_USER,
            CN_PASS=CN_PASS,
            CC_TENANT=CC_TENANT,
            CC_TOKEN=CC_TOKEN,
            RECONCILER_CONSISTENCY_SECONDS="0",
            RECONCILER_RETRY_ATTEMPTS="2",
            RECONCILER_RETRY_BASE_SECONDS="0",
            RECONCILER_LOG="DEBUG",
        )
        view = project.view
        view.add_user(CN_USER, CN_PASS, "555")
        view.add_tenant(CC_TENANT, CC_TOKEN)
        view.add_token(CN_TOKEN, CN_USER, time.time() + 3600)
        view.remove_user("demo")
        view.remove_tenant("demo")
        project.write("manifests/spring.yaml", MANIFESTS)
        rows = ["VENDOR_URN,FirstName,MobilePhone", *(f"K{n:03d},Name{n},07700900{n:03d}" for n in range(50))]
        project.write("manifests/records.csv", "\n".join(rows) + "\n")
        project.write(
            "manifests/members.csv", "\n".join(["customer-id", *map(str, range(10000000, 10000020))])
        )
        yield project


def issued_tokens(project: Project) -> list[str]:
    """Every ContactNow token the emulator holds now (the canary one, unless a test removed it)."""
    return project.view.tokens()


class Runs:
    """CLI runs in-process; every output, exception and traceback kept for the scan."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.runner = CliRunner()
        self.outputs: list[str] = []
        self.codes: list[int] = []

    def __call__(self, *args: str) -> tuple[int, str, str]:
        result = self.runner.invoke(app, [args[0], str(self.project.root), *args[1:]], catch_exceptions=True)
        self.outputs += [result.stdout, result.stderr]
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            info = result.exc_info
            assert info is not None
            self.outputs.append("".join(traceback.format_exception(*info)))
            pytest.fail(f"unexpected exception in {args}: {type(result.exception).__name__}")
        self.codes.append(result.exit_code)
        return result.exit_code, result.stdout, result.stderr


def files_text(root: Path) -> str:
    """Every file the runs wrote under the project (plans, reports, locks), as text."""
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix not in (".csv", ".yaml"):
            parts.append(f"== {path}\n" + path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def assert_no_canary(text: str, issued: list[str]) -> None:
    hits = sorted(canary for canary in canaries(issued) if canary in text)
    assert hits == [], f"{len(hits)} secret forms leaked"


def test_plan_apply_drift_and_failures_leak_no_credential(
    canary: Project, capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Runs(canary)
    plan_file = canary.root / "plan.json"
    for fmt in ("text", "json", "markdown"):
        assert run("plan", "--format", fmt, "--out", str(plan_file))[0] == 0
    assert run("apply", "--plan", str(plan_file), "--auto-approve")[0] == 0
    assert run("apply", "--auto-approve")[0] == 0
    canary.view.set_dataset(canary.view.dataset(), priority=12)
    for fmt in ("text", "json", "markdown"):
        code, _, _ = run("drift", "--format", fmt, "--report", str(canary.root / f"drift.{fmt}"))
        assert code == 2

    # Stale plan: the saved plan was applied already.
    code, _, stderr = run("apply", "--plan", str(plan_file), "--auto-approve")
    assert (code, stderr.splitlines()[0]) == (
        1,
        "Error: stale plan refused: 14 problems",
    )  # 3 + 10 + "and 1 more"

    # Invalid manifest.
    canary.write("manifests/broken.yaml", "apiVersion: reconciler/v1\nkind: Dataset\nmetadata: {name: x}\n")
    code, _, stderr = run("plan")
    assert (code, stderr.splitlines()[0]) == (1, "Error: invalid manifests: 1 problem")
    (canary.root / "manifests/broken.yaml").unlink()

    # Bad ContactNow password, then a bad Contact Center token (401).
    monkeypatch.setenv("CN_PASS", WRONG_PASS)
    code, _, stderr = run("plan")
    assert code == 1 and "Authentication failure" in stderr
    monkeypatch.setenv("CN_PASS", CN_PASS)
    monkeypatch.setenv("CC_TOKEN", WRONG_TOKEN)
    code, stdout, _ = run("drift")  # drift reports what it could not read, beside the rest
    assert code == 1 and "HTTP 401" in stdout
    monkeypatch.setenv("CC_TOKEN", CC_TOKEN)

    # A rejected token: the client fetches a new one (issued by the emulator) and retries.
    canary.view.remove_tokens()
    assert run("plan")[0] == 0

    # 5xx on every request until retries run out; then a 5xx after a write was sent (ambiguous).
    rule = apply_spec(canary.state, "error:status=503")
    code, _, stderr = run("plan")
    assert code == 1 and "HTTP 503" in stderr
    canary.state.faults.clear()
    canary.write("manifests/records.csv", "VENDOR_URN,FirstName,MobilePhone\nK900,New,07700900900\n")
    apply_spec(canary.state, "error:status=502:match=ecnow_records.create,ecnow_records.read:after=1")
    code, _, _ = run("apply", "--auto-approve", "--allow-mass-complete")
    assert code == 1
    canary.state.faults.clear()

    # Timeouts: every read waits longer than the client's timeout; and a connection reset.
    monkeypatch.setattr(
        "reconciler.targets.ContactNowClient", functools.partial(ContactNowClient, timeout=0.2)
    )
    apply_spec(canary.state, "latency:ms=600:match=ecnow_datasets.read")
    code, _, stderr = run("plan")
    assert code == 1 and "ReadTimeout" in stderr
    canary.state.faults.clear()
    apply_spec(canary.state, "reset:match=cc.read")
    code, _, stderr = run("plan")
    assert code == 1
    canary.state.faults.clear()
    assert rule

    issued = issued_tokens(canary)
    assert len(issued) == 1 and issued[0] != CN_TOKEN, "the emulator issued a fresh token after the removal"
    logged = capture.text
    assert "HTTP Request: POST" in logged and "httpcore" in logged and "token=***" in logged
    assert_no_canary("\n".join(run.outputs), issued)
    assert_no_canary(logged, issued)
    assert_no_canary(files_text(canary.root), issued)


def test_a_real_subprocess_with_debug_logging_leaks_no_credential(canary: Project) -> None:
    """The CLI's own logging setup (RECONCILER_LOG=DEBUG, basicConfig on stderr), in a fresh interpreter."""
    plan_file = canary.root / "plan.json"
    environment = dict(os.environ)

    def cli(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from reconciler.cli import main; main()", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**environment, **overrides},
            check=False,
        )

    planned = cli("plan", str(canary.root), "--out", str(plan_file))
    applied = cli("apply", str(canary.root), "--plan", str(plan_file), "--auto-approve")
    refused = cli("plan", str(canary.root), CN_PASS=WRONG_PASS)
    unauthorised = cli("drift", str(canary.root), CC_TOKEN=WRONG_TOKEN)
    assert (planned.returncode, applied.returncode, refused.returncode, unauthorised.returncode) == (
        0,
        0,
        1,
        1,
    )
    stderr = planned.stderr + applied.stderr
    assert "DEBUG httpcore.connection: connect_tcp.started" in stderr
    assert "INFO httpx: HTTP Request: POST" in stderr
    assert "token=***" in stderr
    issued = issued_tokens(canary)
    assert issued == [CN_TOKEN]
    texts = [p.stdout + p.stderr for p in (planned, applied, refused, unauthorised)]
    assert_no_canary("\n".join(texts), issued)
    assert_no_canary(files_text(canary.root), issued)
