"""Apply's progress: quiet log lines when stdout is not a terminal (CI), a live bar with rate and time left when it is."""

from __future__ import annotations

import io
import re
import time

import pytest
from harness.project import Project
from support import dataset_doc, record_set_doc

from reconciler.render.progress import Reporter

LINE = re.compile(r"  RecordSet/spring-records: create: (\d+)/1000 \(([\d,]+)/s(, about (\d+) s left)?\)")


def test_apply_in_ci_prints_a_line_per_tenth_with_rate_and_time_left(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_BATCH_SIZE", "100")
    project.write(
        "manifests/spring.yaml",
        dataset_doc() + record_set_doc(fields="[FirstName, MobilePhone, Testy]", source="records.csv"),
    )
    rows = [f"U{n:04d},Ann{n},07700900{n:03d},t" for n in range(1000)]
    project.write(
        "manifests/records.csv", "\n".join(["VENDOR_URN,FirstName,MobilePhone,Testy", *rows]) + "\n"
    )
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    found = [LINE.fullmatch(line) for line in applied.stdout.splitlines() if "create: " in line]
    assert all(found), applied.stdout
    matches = [match for match in found if match is not None]
    assert [int(match[1]) for match in matches] == list(range(100, 1001, 100))
    assert all(int(match[2].replace(",", "")) > 0 for match in matches)
    assert [match[3] is not None for match in matches] == [True] * 9 + [False]  # no time left at the end
    assert "\x1b[" not in applied.stdout  # no terminal codes in a log


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_shows_done_total_rate_and_time_left() -> None:
    terminal = _Terminal()
    reporter = Reporter(terminal)
    with reporter.progress("RecordSet/spring-records: create", 1000) as advance:
        for _ in range(4):
            advance(100)
            time.sleep(0.15)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    assert "RecordSet/spring-records: create" in shown
    assert "400/1000" in shown
    assert re.search(r" 40% .* [\d,]+/s 0:00:\d\d", shown), shown
    assert "\x1b[" in terminal.getvalue()  # drawn with terminal codes, and erased at the end (transient)
