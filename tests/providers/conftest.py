"""Fixtures of the provider client tests: a scripted ContactNow, a recording sleep, and a client of the two."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.providers.contactnow.client import ContactNowClient

from .provider_fakes import CN_BASE, PASSWORD, USERNAME, FakeContactNow, Sleeps, policy


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def fake() -> FakeContactNow:
    return FakeContactNow()


@pytest.fixture
def client(fake: FakeContactNow, sleeps: Sleeps) -> Iterator[ContactNowClient]:
    with ContactNowClient(
        CN_BASE, USERNAME, PASSWORD, transport=fake.transport(), retry=policy(sleeps)
    ) as made:
        yield made
