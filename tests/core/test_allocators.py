"""The CLI's allocator settings: set unless the environment has its own, and never an error where they do not apply."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

from reconciler import allocators


class _Libc:
    def __init__(self, calls: list[tuple[int, int]]) -> None:
        self.calls = calls

        def mallopt(param: int, value: int) -> int:
            calls.append((param, value))
            return 1

        self.mallopt = mallopt


def test_glibc_keeps_pieces_in_the_heap_and_jemalloc_decays_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(ctypes, "CDLL", lambda name: _Libc(calls))
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("_RJEM_MALLOC_CONF", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    allocators.tune()
    assert os.environ["_RJEM_MALLOC_CONF"] == "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0"
    assert calls == [(-1, 16 * 1024 * 1024), (-3, 16 * 1024 * 1024)]


@pytest.mark.parametrize("name", ["MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"])
def test_the_users_settings_win(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(ctypes, "CDLL", lambda name: _Libc(calls))
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv(name, "1")
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "dirty_decay_ms:0")
    allocators.tune()
    assert os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:0"
    assert calls == []


def test_a_c_library_without_mallopt_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Musl:
        pass

    monkeypatch.setattr(ctypes, "CDLL", lambda name: _Musl())
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    allocators.tune()  # no error


def test_the_real_c_library_takes_the_settings() -> None:
    """In a fresh process, with this machine's C library: the CLI's entry point runs them and --version answers."""
    done = subprocess.run(
        [sys.executable, "-c", "from reconciler.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        check=False,
        env={key: value for key, value in os.environ.items() if not key.startswith(("MALLOC_", "GLIBC_"))},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
