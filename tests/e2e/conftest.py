"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from harness.project import Project

from reconciler import cli


@pytest.fixture
def clock(project: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The engine's clock and the emulator's, for the CLI runs of a test: both read `clock[0]` when asked, so a
    test moves time by setting it (it starts at Mon 2026-12-07 15:00 UTC)."""
    now = [datetime(2026, 12, 7, 15, 0, tzinfo=UTC)]
    make = cli._engine
    monkeypatch.setattr(cli, "_engine", lambda settings: replace(make(settings), clock=lambda: now[0]))

    def emulator_now() -> float:
        return now[0].timestamp()

    project.state.clock = emulator_now
    yield now
