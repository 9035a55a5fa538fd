"""Fixtures every test directory shares: the project harness (tests/harness/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.project import DEFAULT_MODE, FAST_SETTINGS, Project, open_project


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "served: the test needs the emulator on a real loopback server (it spawns the CLI as a process, or "
        "talks to the emulator over HTTP itself), whatever the harness's default mode",
    )


@pytest.fixture
def project(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Project]:
    """A project directory whose `local` target is a fresh emulator (default seed); the CLI runs on it."""
    mode = "served" if request.node.get_closest_marker("served") else DEFAULT_MODE
    with open_project(tmp_path, monkeypatch, mode=mode) as opened:
        yield opened


@pytest.fixture
def fast_settings(project: Project) -> None:
    """Small batches and short backoff (FAST_SETTINGS) for `project`: the fault, crash and concurrency tests."""
    project.setenv(**FAST_SETTINGS)
