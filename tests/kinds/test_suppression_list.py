"""The SuppressionList kind, planned alone: its file, its key and its age are checked, and nothing is written."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fakes import FakeContactNow, target

from reconciler.errors import InputError, Location, PlanError
from reconciler.kinds.base import DesiredState
from reconciler.kinds.suppression_list import DesiredSuppressionList
from reconciler.planner import make_plan
from reconciler.suppression.importer import read_numbers
from reconciler.suppression.listfile import prefixes, write_list

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
KEY = "k" * 32
WHERE = Location("manifests/lists.yaml", 5, 3)


def _list(
    path: Path, kind: str = "registry", screened: date | None = date(2026, 11, 20)
) -> DesiredSuppressionList:
    return DesiredSuppressionList(
        "SuppressionList/tps",
        WHERE,
        type=kind,  # type: ignore[arg-type]
        path=path,
        shown="project/suppression/tps.hmac",
        key_env="SUPPRESSION_KEY",
        screened_at=screened,
        max_age=28 if kind == "registry" else None,
    )


def _plan(item: DesiredSuppressionList, *, now: datetime = NOW, key: str = KEY) -> list[str]:
    secrets = {"SUPPRESSION_KEY": key}
    try:
        planned = make_plan(
            DesiredState((item,)),
            target(FakeContactNow()),
            now=now,
            secret=lambda name: secrets.get(name, ""),
        )
    except PlanError as error:
        return [str(problem) for problem in error.problems]
    assert planned.plan.changes == ()
    return [item.message for item in planned.plan.observations]


@pytest.fixture
def listed(tmp_path: Path) -> Path:
    path = tmp_path / "tps.hmac"
    write_list(path, prefixes(["+447700900123", "+447700900124"], KEY.encode()), KEY.encode(), "GB")
    return path


def test_a_fresh_list_is_described_and_changes_nothing(listed: Path) -> None:
    assert _plan(_list(listed)) == [
        "registry list tps: 2 numbers, screened 2026-11-20 (16 days ago); usable until 2026-12-18"
    ]


def test_a_registry_list_past_max_age_is_refused_with_the_remedy(listed: Path) -> None:
    assert _plan(_list(listed), now=datetime(2026, 12, 19, 9, 0, tzinfo=UTC)) == [
        "manifests/lists.yaml:5:3: SuppressionList/tps: the list was screened on 2026-11-20, 29 days before "
        "this plan (2026-12-19); maxAge is 28d, so it expired after 2026-12-18 (take a fresh copy of "
        "the register and run `reconciler suppression import FILE --list tps --region <region>`, which rewrites "
        "the file and sets screenedAt)"
    ]


def test_internal_and_erasure_lists_never_expire(listed: Path) -> None:
    late = datetime(2030, 1, 1, tzinfo=UTC)
    assert _plan(_list(listed, "erasure", None), now=late) == ["erasure list tps: 2 numbers"]


def test_a_wrong_key_is_refused_naming_the_file(listed: Path) -> None:
    (problem,) = _plan(_list(listed), key="w" * 32)
    assert problem.startswith(
        "manifests/lists.yaml:5:3: SuppressionList/tps: list file project/suppression/tps.hmac was written with a "
        "different key than the one in SUPPRESSION_KEY"
    )


def test_an_unset_key_is_refused(listed: Path) -> None:
    (problem,) = _plan(_list(listed), key="")
    assert "environment variable SUPPRESSION_KEY is not set" in problem


def test_a_truncated_file_is_refused_naming_the_file(listed: Path) -> None:
    os.truncate(listed, listed.stat().st_size - 3)
    (problem,) = _plan(_list(listed))
    assert (
        "list file project/suppression/tps.hmac is truncated: its header counts 2 entries (80 bytes) but it "
        "holds 77 bytes" in problem
    )


def test_a_file_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tps.hmac"
    path.write_text("+447700900123\n")
    (problem,) = _plan(_list(path))
    assert "project/suppression/tps.hmac is not a suppression list file (no list header)" in problem
    assert "+447700900123" not in problem


def test_a_missing_file_names_the_command_that_writes_it(tmp_path: Path) -> None:
    (problem,) = _plan(_list(tmp_path / "none.hmac"))
    assert (
        "list file project/suppression/tps.hmac not found; write it with `reconciler suppression import` (or `harvest`)"
        in problem
    )


def test_hash_prefixes_are_the_first_8_bytes_of_hmac_sha256() -> None:
    import hmac

    numbers = ["+447700900123", "+12125550100"]
    for key in (KEY.encode(), b"x" * 100):
        expected = [int.from_bytes(hmac.digest(key, n.encode(), "sha256")[:8], "big") for n in numbers]
        assert prefixes(numbers, key).tolist() == expected


def test_a_file_of_customer_ids_is_refused_where_the_spec_says_phone(tmp_path: Path) -> None:
    path = tmp_path / "ids.hmac"
    write_list(path, prefixes(["10000002"], KEY.encode()), KEY.encode(), "ZZ", "customer-id")
    (problem,) = _plan(_list(path, "internal", None))
    assert problem.endswith(
        "list file project/suppression/tps.hmac holds customer-id values, but spec.values is phone; correct "
        "spec.values, or import the list again"
    )


@pytest.mark.parametrize("damage", ["deflate", "header", "end"])
def test_a_gzip_file_of_numbers_that_cannot_be_read_whole_is_refused_naming_it(
    tmp_path: Path, damage: str
) -> None:
    data = gzip.compress(b"phone\n" + b"".join(b"0770090%04d\n" % i for i in range(9_000)))
    broken = bytearray(data)
    if damage == "deflate":
        broken[200] ^= 0xFF
        broken[300] ^= 0xFF
    elif damage == "header":
        broken[2:] = b"junk" * 10
    else:
        del broken[-20:]
    path = tmp_path / "numbers.csv.gz"
    path.write_bytes(bytes(broken))
    with pytest.raises(InputError) as caught:
        read_numbers(path, "numbers.csv.gz", "GB", KEY.encode())
    assert [str(problem) for problem in caught.value.problems] == [
        "numbers.csv.gz: is not a valid gzip file (recompress it with gzip)"
    ]
