"""Each API's write concurrency and request budget, set in reconciler.yaml, as the emulator saw them arrive."""

from __future__ import annotations

import time

import pytest
from harness.probe import Watch
from harness.project import Project, project_file
from support import dataset_doc, record_set_doc

SLOW_CREATES = "latency:ms=150:match=ecnow_records.create"
"""Each create is answered 150 ms after it arrives: long enough for a client that does not wait to send more."""


def limited(project: Project, limits: str, count: int = 600) -> None:
    """A project whose ContactNow block carries `limits`, and `count` new records (6 creates of 100 rows)."""
    text = project_file(project.base_url).replace(
        "usernameEnv: CN_USER", f"usernameEnv: CN_USER\n              {limits}"
    )
    project.write("reconciler.yaml", text)
    project.write(
        "manifests/spring.yaml",
        dataset_doc() + record_set_doc(fields="[FirstName, MobilePhone, Testy]", source="records.csv"),
    )
    lines = ["VENDOR_URN,FirstName,MobilePhone,Testy"]
    lines += [f"U{n:04d},Ann{n},07700900{n:03d},t" for n in range(count)]
    project.write("manifests/records.csv", "\n".join(lines) + "\n")


def apply_creates(project: Project, limits: str, *, hold_until: int = 0) -> Watch:
    """Apply 600 records in 6 creates of 100; what the emulator saw of the creates in flight."""
    limited(project, limits)
    with project.in_flight("ecnow_records.create", hold_until=hold_until) as creates:
        applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert len(project.view.records()) == 600
    assert creates.arrived == 6
    return creates


@pytest.fixture(autouse=True)
def batches_of_100(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_BATCH_SIZE", "100")


def test_concurrency_1_sends_one_create_at_a_time(project: Project) -> None:
    project.fault(SLOW_CREATES)
    creates = apply_creates(project, "concurrency: 1")
    assert creates.peak == 1  # each waited for the answer to the one before


def test_concurrency_3_keeps_three_creates_in_flight(project: Project) -> None:
    # Each create is held until the third arrives: a client that sends three at once shows all three in flight
    # together, however slowly it sends them.
    creates = apply_creates(project, "concurrency: 3", hold_until=3)
    assert creates.peak == 3  # three in flight, and never a fourth before one was answered


def test_requests_per_second_spaces_every_request(project: Project) -> None:
    limited(project, "requestsPerSecond: 8")
    mark = project.mark()
    started = time.time()  # the emulator stamps arrivals with time.time() too
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    contactnow = [entry for entry in project.log(mark) if entry.path.startswith("/contactnow/")]
    assert len(contactnow) >= 10  # a login, reads, a dataset create, 6 record creates
    # The n-th request (from 0) cannot leave before n/8 s after the first, and so cannot arrive earlier than n/8 s
    # after the run started (less a little clock rounding); a slow machine only makes it later.
    early = [
        (n, entry.time - started) for n, entry in enumerate(contactnow) if entry.time - started < n * 0.12
    ]
    assert early == []
    cc = [entry for entry in project.log(mark) if entry.path.startswith("/cc")]
    assert cc == []  # no memberships: nothing goes to Contact Center


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (
            "concurrency: 0",
            "9:20: contactnow.concurrency is below 1 (use 1 to 16 write requests in flight (the default is 4))",
        ),
        (
            "concurrency: 17",
            "9:20: contactnow.concurrency is above 16 (use 1 to 16 write requests in flight (the default is 4))",
        ),
        (
            "requestsPerSecond: 0",
            "9:26: contactnow.requestsPerSecond is not above 0 (give a number above 0 and at most 1000, e.g. "
            "requestsPerSecond: 10, or remove it)",
        ),
        (
            "requestsPerSecond: lots",
            "9:26: contactnow.requestsPerSecond is not a number (give a number above 0 and at most 1000, e.g. "
            "requestsPerSecond: 10, or remove it)",
        ),
    ],
)
def test_bad_limits_are_refused_with_their_place(project: Project, limits: str, problem: str) -> None:
    limited(project, limits)
    result = project.cli("plan")
    assert result.exit_code == 1
    place = project.root / "reconciler.yaml"
    assert result.stderr == f"Error: invalid manifests: 1 problem\n  {place}:{problem}\n"
    assert project.log() == []
