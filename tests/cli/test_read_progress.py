"""Long live reads show that they move: on a terminal, a counter of rows read with rows per second; elsewhere,
nothing. The engine tells the counter every batch of rows the record and member diffs read."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support import dataset_doc, membership_doc, record_set_doc, write_file

from reconciler.emulator import in_process
from reconciler.engine import Acknowledgements, Engine, Scope
from reconciler.providers.base import Progress
from reconciler.render.progress import Reporter
from reconciler.settings import Settings


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_counter_shows_rows_read() -> None:
    terminal = _Terminal()
    with Reporter(terminal).reading("RecordSet/spring: live records") as advance:
        advance(50_000)
        advance(25_000)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    assert "RecordSet/spring: live records: 75,000 rows read" in shown


def test_off_a_terminal_and_under_no_color_nothing_is_drawn() -> None:
    for stream, plain in ((io.StringIO(), False), (_Terminal(), True)):
        with Reporter(stream, plain=plain).reading("RecordSet/spring: live records") as advance:
            advance(10)
        assert stream.getvalue() == ""


def test_the_engine_counts_every_live_row_it_reads(tmp_path: Path) -> None:
    documents = (
        dataset_doc()
        + record_set_doc(source="spring.csv")
        + membership_doc(members="[{customer-id: 10000000}]")
    )
    write_file(tmp_path, "manifests/all.yaml", documents)
    rows = [f"A{n},Name{n},0770090{n:04d}" for n in range(30)]
    write_file(
        tmp_path, "manifests/spring.csv", "\n".join(["VENDOR_URN,FirstName,MobilePhone", *rows]) + "\n"
    )
    seen: dict[str, int] = {}

    @contextmanager
    def reading(label: str) -> Iterator[Progress]:
        seen[label] = 0

        def advance(rows: int) -> None:
            seen[label] += rows

        yield advance

    engine = Engine(
        Settings(consistency_seconds=0), embedded=lambda store: in_process(str(store)), reading=reading
    )
    engine.apply(
        tmp_path, None, Scope(), Acknowledgements(), approve=lambda body, saved: True, reporter=_Quiet()
    )
    seen.clear()
    engine.plan(tmp_path, None, Scope())
    assert seen == {
        "RecordSet/spring-records: live records": 30,
        "CampaignMembership/winback: live members": 1,
    }


class _Quiet:
    def result(self, result: object) -> None:
        return None

    @contextmanager
    def progress(self, label: str, total: int) -> Iterator[Progress]:
        yield lambda rows: None
