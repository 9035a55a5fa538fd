"""How apply's progress reaches a person: each change's result as a line, and a live bar with rows per second
and time left on a terminal, or one quiet line per tenth done elsewhere (a CI log). It decides nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TextIO

from ..apply.steps import ChangeResult, Outcome
from ..text import shown
from .plan_text import MESSAGE_LIMIT

MAX_FAILURE_LINES = 20
"""Refused rows listed in full; the rest are named by key or customer id only."""


class Reporter:
    """Prints each change's result; shows progress bars on a terminal and quiet log lines elsewhere."""

    def __init__(self, stream: TextIO, *, plain: bool = False) -> None:
        self.stream = stream
        self.tty = stream.isatty() and not plain
        """A live bar on a terminal, unless asked for plain lines (NO_COLOR: no terminal codes at all)."""

    def result(self, result: ChangeResult) -> None:
        mark = {Outcome.APPLIED: "ok", Outcome.FAILED: "FAILED", Outcome.SKIPPED: "skipped"}[result.outcome]
        self.stream.write(f"  {result.address}: {mark}: {shown(result.detail, MESSAGE_LIMIT)}\n")
        for line in result.failures[:MAX_FAILURE_LINES]:
            self.stream.write(f"      {shown(line, MESSAGE_LIMIT)}\n")
        if (
            len(result.failures) > MAX_FAILURE_LINES
        ):  # the rest by key or customer id only: every one is named
            rest = ", ".join(shown(line.split(":", 1)[0]) for line in result.failures[MAX_FAILURE_LINES:])
            self.stream.write(f"      ... and {len(result.failures) - MAX_FAILURE_LINES} more: {rest}\n")
        self.stream.flush()

    def progress(self, label: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
        return self._bar(label, total) if self.tty else self._lines(label, total)

    @contextmanager
    def _bar(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """A live bar on the terminal: done/total, percent, rows per second and time left."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
        )
        console = Console(file=self.stream, force_terminal=True)
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(label, total=total, rate="")

            def advance(rows: int) -> None:
                bar.advance(task, rows)
                speed = bar.tasks[0].speed
                bar.update(task, rate=f"{speed:,.0f}/s" if speed else "")

            yield advance

    def reading(self, label: str) -> AbstractContextManager[Callable[[int], None]]:
        """A counter of rows read (how many will come is not known) with rows per second, on a terminal only:
        a long live read then shows that it moves. Elsewhere it prints nothing."""
        return self._reading(label) if self.tty else nullcontext(_ignore)

    @contextmanager
    def _reading(self, label: str) -> Iterator[Callable[[int], None]]:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}: {task.completed:,.0f} rows read"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
        )
        console = Console(file=self.stream, force_terminal=True)
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(label, total=None, rate="")

            def advance(rows: int) -> None:
                bar.advance(task, rows)
                speed = bar.tasks[0].speed
                bar.update(task, rate=f"{speed:,.0f} rows/s" if speed else "")

            yield advance

    @contextmanager
    def _lines(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """Quiet log lines elsewhere (CI): one per tenth done, with the rate and the time left."""
        done = [0, 0]
        step = max(1, total // 10)
        started = time.monotonic()

        def advance(rows: int) -> None:
            done[0] += rows
            if done[0] - done[1] >= step or done[0] >= total:
                done[1] = done[0]
                elapsed = max(time.monotonic() - started, 1e-9)
                rate = done[0] / elapsed
                left = f", about {(total - done[0]) / rate:.0f} s left" if done[0] < total and rate else ""
                self.stream.write(f"  {label}: {done[0]}/{total} ({rate:,.0f}/s{left})\n")
                self.stream.flush()

        yield advance


def _ignore(rows: int) -> None:
    return None
