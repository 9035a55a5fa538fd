"""Serving: running_server in a thread, and `python -m reconciler.emulator` as a separate process."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from harness.process import EmulatorProcess

from reconciler.emulator import build_state, running_server

from .conftest import DEMO_PASSWORD, DEMO_USER


def _token(base_url: str) -> str:
    response = httpx.get(
        f"{base_url}/contactnow/token.php",
        params={"action": "get", "username": DEMO_USER, "password": DEMO_PASSWORD},
    )
    return str(response.json()["token"])


def test_running_server_serves_and_stops() -> None:
    with running_server() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base_url}/_emulator/health").status_code == 200
        assert len(_token(base_url)) == 40
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/_emulator/health", timeout=2)


def test_running_server_with_a_given_state_leaves_it_open(tmp_path: Path) -> None:
    state = build_state(str(tmp_path / "e.sqlite"))
    try:
        with running_server(state) as base_url:
            _token(base_url)
        assert len(state.view.tokens()) == 1
    finally:
        state.store.close()


def test_running_server_passes_build_arguments(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("contactnow: {users: [{username: x, password: y, account_id: '7'}]}")
    with running_server(db=str(tmp_path / "e.sqlite"), seed=str(seed)) as base_url:
        response = httpx.get(
            f"{base_url}/contactnow/token.php", params={"action": "get", "username": "x", "password": "y"}
        )
        assert response.json()["success"] is True


def test_data_in_a_db_file_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "emulator.sqlite")
    with EmulatorProcess(db=db) as first:
        token = _token(first.base_url)
        params: dict[str, str | int] = {"token": token, "format": "json", "raw": 1}
        created = httpx.post(
            f"{first.base_url}/contactnow/ecnow.php",
            params={**params, "method": "ecnow_datasets", "action": "create"},
            json=[{"import_table": "Willtest", "description": "kept"}],
        ).json()
        dataset = created["key"]
        httpx.post(
            f"{first.base_url}/contactnow/ecnow.php",
            params={**params, "method": "ecnow_records", "action": "create"},
            json=[{"dataset": dataset, "MobilePhone": "07700900001", "Testy": "still here"}],
        )
    with EmulatorProcess(db=db) as second:
        assert _token(second.base_url) == token  # tokens are stored too
        read = httpx.get(
            f"{second.base_url}/contactnow/ecnow.php",
            params={
                "token": token,
                "format": "json",
                "method": "ecnow_records",
                "action": "read",
                "dataset": dataset,
            },
        ).json()
        assert [(r["MobilePhone"], r["Testy"]) for r in read["list"]] == [("07700900001", "still here")]


def test_process_takes_a_seed_and_fault_specs(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("contactnow: {users: [{username: x, password: y, account_id: '7'}]}")
    with EmulatorProcess(seed=str(seed), faults=("error:status=503:match=ecnow_datasets.*",)) as proc:
        token = httpx.get(
            f"{proc.base_url}/contactnow/token.php",
            params={"action": "get", "username": "x", "password": "y"},
        ).json()["token"]
        response = httpx.get(
            f"{proc.base_url}/contactnow/ecnow.php",
            params={"token": token, "method": "ecnow_datasets", "action": "read", "format": "json"},
        )
        assert response.status_code == 503


def test_port_0_takes_a_free_port_and_the_log_names_it() -> None:
    with EmulatorProcess() as first, EmulatorProcess() as second:
        ports = {urlsplit(first.base_url).port, urlsplit(second.base_url).port}
        assert len(ports) == 2 and 0 not in ports
        assert f"emulator listening on {first.base_url}/" in first.log()
        assert httpx.get(f"{second.base_url}/_emulator/health").status_code == 200
