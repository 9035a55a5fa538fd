"""`reconciler emulator` fails in one line, and with its own exit code when the port is taken."""

from __future__ import annotations

import socket
from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli import app


def _run(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["emulator", *args])
    return result.exit_code, result.stderr.splitlines()[1:]  # after the "Emulator on ..." line


def test_a_bad_fault_spec_is_one_line() -> None:
    assert _run("--port", "0", "--fault", "bogus") == (
        1,
        [
            "Error: unknown fault kind 'bogus'; expected one of error, latency, rate_limit, reset, "
            "commit_then_fail, cc_item_error"
        ],
    )


def test_a_missing_seed_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "seed.yaml"
    assert _run("--port", "0", "--seed", str(missing)) == (
        1,
        [f"Error: No such file or directory: {missing}"],
    )


def test_a_port_in_use_exits_3() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["emulator", "--port", str(port)])
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: port {port} on 127.0.0.1 is in use (another emulator?); stop it, or pick another --port\n"
    )
