"""The CLI's allocator setting: set unless the environment has its own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reconciler import allocators


def test_jemalloc_gives_memory_back_within_half_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    allocators.tune()
    assert os.environ["_RJEM_MALLOC_CONF"] == "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0"


def test_the_users_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "dirty_decay_ms:0")
    allocators.tune()
    assert os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:0"


def test_the_cli_entry_point_sets_it_before_polars_loads() -> None:
    """In a fresh process: polars reads the setting when it loads, so the CLI must set it first."""
    code = (
        "import os, sys; from reconciler import cli; assert 'polars' not in sys.modules;"
        " cli.app = lambda: print(os.environ['_RJEM_MALLOC_CONF']); cli.main()"
    )
    env = {key: value for key, value in os.environ.items() if key != "_RJEM_MALLOC_CONF"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0\n",
        "",
    )
