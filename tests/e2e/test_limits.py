"""Each API's write concurrency and request budget, set in reconciler.yaml, as the emulator saw them arrive."""

from __future__ import annotations

import itertools

import pytest
from support import dataset_doc, record_set_doc

from reconciler.emulator.faults import apply_spec

from .conftest import Estate, project_file

SLOW_CREATES = "latency:ms=150:match=ecnow_records.create"
"""Each create is answered 150 ms after it arrives."""


def limited(estate: Estate, limits: str, count: int = 600) -> None:
    """A project whose ContactNow block carries `limits`, and `count` new records (6 creates of 100 rows)."""
    text = project_file(estate.base_url).replace(
        "usernameEnv: CN_USER", f"usernameEnv: CN_USER\n              {limits}"
    )
    estate.write("reconciler.yaml", text)
    estate.write(
        "manifests/spring.yaml",
        dataset_doc() + record_set_doc(fields="[FirstName, MobilePhone, Testy]", source="records.csv"),
    )
    lines = ["VENDOR_URN,FirstName,MobilePhone,Testy"]
    lines += [f"U{n:04d},Ann{n},07700900{n:03d},t" for n in range(count)]
    estate.write("manifests/records.csv", "\n".join(lines) + "\n")


def slow_create_arrivals(estate: Estate, limits: str) -> list[float]:
    """Apply 600 records in 6 creates of 100, each answered after 150 ms; when each create arrived."""
    limited(estate, limits)
    apply_spec(estate.state, SLOW_CREATES)
    applied = estate.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert estate.sql("SELECT count(*) FROM cn_records") == [(600,)]
    return [entry.time for entry in estate.state.log.entries() if entry.op == "ecnow_records.create"]


@pytest.fixture(autouse=True)
def batches_of_100(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_BATCH_SIZE", "100")


def test_concurrency_1_sends_one_create_at_a_time(estate: Estate) -> None:
    arrivals = slow_create_arrivals(estate, "concurrency: 1")
    assert len(arrivals) == 6
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.15, gaps  # each waited for the answer to the one before


def test_concurrency_3_keeps_three_creates_in_flight(estate: Estate) -> None:
    arrivals = slow_create_arrivals(estate, "concurrency: 3")
    assert len(arrivals) == 6
    assert arrivals[2] - arrivals[0] < 0.15  # the third arrived before the first was answered
    assert arrivals[3] - arrivals[0] >= 0.15  # the fourth waited for a free slot


def test_requests_per_second_spaces_every_request(estate: Estate) -> None:
    limited(estate, "requestsPerSecond: 8")
    mark = estate.mark()
    applied = estate.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    contactnow = [entry for entry in estate.state.log.entries(mark) if entry.path.startswith("/contactnow/")]
    assert len(contactnow) >= 10  # a login, reads, a dataset create, 6 record creates
    gaps = [later.time - earlier.time for earlier, later in itertools.pairwise(contactnow)]
    assert min(gaps) >= 0.12, gaps  # 1/8 s apart, less a little clock rounding
    cc = [entry for entry in estate.state.log.entries(mark) if entry.path.startswith("/cc")]
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
def test_bad_limits_are_refused_with_their_place(estate: Estate, limits: str, problem: str) -> None:
    limited(estate, limits)
    result = estate.cli("plan")
    assert result.exit_code == 1
    place = estate.root / "reconciler.yaml"
    assert result.stderr == f"Error: invalid manifests: 1 problem\n  {place}:{problem}\n"
    assert estate.state.log.entries() == []
