"""Fixtures of the CI tests: the jobs' dependencies (once a test run), and a user's repository with an emulator
and the comment APIs behind it (once a test), or with the comment APIs alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator import build_state, running_server

from .forge import running_forge
from .harness import Repo, dependencies_site, user_repository


@pytest.fixture(scope="session")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dependencies_site(tmp_path_factory.mktemp("jobs") / "site")


@pytest.fixture
def repo(tmp_path: Path, dependencies: Path) -> Iterator[Repo]:
    state = build_state()
    with running_server(state) as base_url, running_forge() as forge:
        root = tmp_path / "repo"
        user_repository(root, base_url)
        yield Repo(root, forge, dependencies, emulator=state)


@pytest.fixture
def bare_repo(tmp_path: Path, dependencies: Path) -> Iterator[Repo]:
    """An empty repository and the comment APIs: for jobs that run a stand-in `reconciler`."""
    with running_forge() as forge:
        root = tmp_path / "repo"
        root.mkdir()
        yield Repo(root, forge, dependencies)
