"""The emulator as a child process: `python -m reconciler.emulator` on a free loopback port, for the tests that
restart it and for the benchmarks (scripts, which put tests/ on sys.path to import this).

    with EmulatorProcess(db=path) as emulator:       # started, and answering /_emulator/health
        httpx.get(f"{emulator.base_url}/_emulator/health")
        emulator.process.pid                           # e.g. for /proc/PID/status

The emulator is started on port 0 and says which port the system gave it in its log (server.LISTENING), so no
other process can take the port between choosing and binding it. Its log (stderr) goes to a temporary file,
shown when it fails to start.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(rb"emulator listening on (http://[^/\s]+)/")


class EmulatorProcess:
    """`python -m reconciler.emulator` in a child process on a free loopback port, until `stop()`."""

    def __init__(
        self,
        *,
        db: str | Path | None = None,
        seed: str | Path | None = None,
        faults: tuple[str, ...] = (),
        ready_seconds: float = 20.0,
    ) -> None:
        command = [sys.executable, "-m", "reconciler.emulator", "--host", "127.0.0.1", "--port", "0"]
        if db is not None:
            command += ["--db", str(db)]
        if seed is not None:
            command += ["--seed", str(seed)]
        for spec in faults:
            command += ["--fault", spec]
        self.ready_seconds = ready_seconds
        self.base_url = ""
        """http://127.0.0.1:PORT, once `wait_ready` has returned."""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=self._log
        )

    def log(self) -> str:
        """What the emulator has logged so far."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def wait_ready(self) -> str:
        """Wait until the emulator answers its health check; returns its base URL."""
        deadline = time.monotonic() + self.ready_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.process.returncode}: {self.log()}")
            if not self.base_url:
                self._log.seek(0)
                found = _LISTENING.search(self._log.read())
                self.base_url = found.group(1).decode() if found else ""
            if self.base_url and self._healthy():
                return self.base_url
            time.sleep(0.05)
        raise RuntimeError(f"the emulator did not become ready in {self.ready_seconds:g} s: {self.log()}")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/_emulator/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        """Terminate the emulator (kill it if it does not stop) and close its log. Safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> EmulatorProcess:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
