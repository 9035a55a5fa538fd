"""A served emulator on loopback and a project whose `local` target points at it, for CLI tests where the
transport or the credentials matter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import dataset_doc, membership_doc, record_set_doc, write_file

from reconciler.emulator import build_state, running_server
from reconciler.emulator.state import EmulatorState

PROJECT = """\
apiVersion: reconciler/v1
kind: Project
defaultTarget: local
targets:
  local:
    contactnow: {{baseUrl: '{url}/contactnow/', usernameEnv: CN_USER, passwordEnv: CN_PASS}}
    contactCenter: {{baseUrl: '{url}/cc', tenantEnv: CC_TENANT, tokenEnv: CC_TOKEN}}
"""
CREDENTIALS = {"CN_USER": "demo", "CN_PASS": "demo-password", "CC_TENANT": "demo", "CC_TOKEN": "demo-token"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, EmulatorState]]:
    state = build_state()
    with running_server(state) as url:
        root = tmp_path / "project"
        write_file(root, "reconciler.yaml", PROJECT.format(url=url))
        documents = dataset_doc() + record_set_doc(source="spring.csv") + membership_doc(members="[]")
        write_file(root, "manifests/all.yaml", documents)
        write_file(root, "manifests/spring.csv", "VENDOR_URN,FirstName,MobilePhone\nA-1,Ann,07700900001\n")
        yield root, state
