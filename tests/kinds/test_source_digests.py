"""The desired state's source digests, worked out on a thread: the same digests, read when the plan needs them."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from reconciler.kinds import desired_state, load_project
from reconciler.kinds.base import SourceDigests

PROJECT = """\
apiVersion: reconciler/v1
kind: Dataset
metadata: {name: spring}
spec: {campaign: Willtest, description: spring}
---
apiVersion: reconciler/v1
kind: RecordSet
metadata: {name: spring}
spec: {dataset: spring, fields: [FirstName, MobilePhone], source: spring.csv}
"""


def test_a_source_file_digest_is_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_text("apiVersion: reconciler/v1\nkind: Project\n")
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "spring.yaml").write_text(PROJECT)
    data = b"VENDOR_URN,FirstName,MobilePhone\nR1,Ann,07700900001\n"
    (tmp_path / "manifests" / "spring.csv").write_bytes(data)
    state = desired_state(load_project(tmp_path, check_sources=False))
    assert dict(state.source_digests) == {"RecordSet/spring": hashlib.sha256(data).hexdigest()}
    assert dict(state.restrict(["Dataset/spring"]).source_digests) == {}
    assert dict(state.restrict(["RecordSet/spring"]).source_digests) == dict(state.source_digests)


def test_digests_run_on_a_thread_and_are_waited_for_when_read() -> None:
    release = threading.Event()
    seen: list[str] = []

    def slow() -> str:
        seen.append(threading.current_thread().name)
        release.wait(10)
        return "d1"

    digests = SourceDigests.start({"RecordSet/a": slow, "Dataset/b": lambda: None})
    only = digests.only(["RecordSet/a"])
    release.set()
    assert dict(digests) == {"RecordSet/a": "d1"}  # a None digest is left out
    assert dict(only) == {"RecordSet/a": "d1"}
    assert seen == ["source-digest_0"]  # once, not again for `only`


def test_an_error_raises_where_the_digests_are_read() -> None:
    def broken() -> str:
        raise PermissionError("spring source")

    digests = SourceDigests.start({"RecordSet/a": broken})
    with pytest.raises(PermissionError, match="spring source"):
        len(digests)
