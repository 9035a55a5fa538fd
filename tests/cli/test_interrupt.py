"""An interrupted apply (Ctrl-C) says what it wrote and what it did not, and exits 130."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from support import dataset_doc, record_set_doc, write_file

from reconciler.apply.steps import ChangeResult
from reconciler.emulator import in_process
from reconciler.engine import Acknowledgements, Engine, Scope
from reconciler.errors import ApplyInterrupted
from reconciler.providers.base import Progress
from reconciler.settings import Settings


class CtrlC:
    """A reporter whose operator presses Ctrl-C as soon as `address` is reported."""

    def __init__(self, address: str) -> None:
        self.address = address

    def result(self, result: ChangeResult) -> None:
        if result.address == self.address:
            raise KeyboardInterrupt

    def progress(self, label: str, total: int) -> AbstractContextManager[Progress]:
        @contextmanager
        def counter() -> Iterator[Progress]:
            yield lambda rows: None

        return counter()


def _project(root: Path) -> None:
    documents = ""
    for name, count in (("alpha", 120), ("beta", 80)):
        documents += dataset_doc(name, name.title()) + record_set_doc(
            f"{name}-records", dataset=name, source=f"{name}.csv"
        )
        rows = [f"{name[0].upper()}{n},Name{n},0770090{n:04d}" for n in range(count)]
        write_file(
            root, f"manifests/{name}.csv", "\n".join(["VENDOR_URN,FirstName,MobilePhone", *rows]) + "\n"
        )
    write_file(root, "manifests/all.yaml", documents)


def test_an_interrupted_apply_reports_what_was_written(tmp_path: Path) -> None:
    _project(tmp_path)
    engine = Engine(Settings(consistency_seconds=0), embedded=lambda store: in_process(str(store)))

    def approve(body: dict[str, Any], saved: bool) -> bool:
        return True

    with pytest.raises(ApplyInterrupted) as stopped:
        engine.apply(
            tmp_path,
            None,
            Scope(),
            Acknowledgements(),
            approve=approve,
            reporter=CtrlC("RecordSet/alpha-records"),
        )
    assert str(stopped.value) == (
        "Interrupted: 3 of 4 changes finished, and 120 of 200 planned rows were written before the interrupt.\n"
        "Not finished: RecordSet/beta-records.\n"
        "What was written stays. Plan again to see what remains; apply finishes the job without creating "
        "anything twice."
    )
    remaining = engine.plan(tmp_path, None, Scope())
    assert [(change.address, dict(change.counts)) for change in remaining.plan.changes] == [
        ("RecordSet/beta-records", {"create": 80})
    ]
