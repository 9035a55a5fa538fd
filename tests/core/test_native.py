"""The CLI's settings of the native libraries: set unless the environment has its own."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reconciler import native

JEMALLOC = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0"


def test_jemalloc_keeps_freed_pages_a_second_and_blas_runs_on_the_callers_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    native.tune()
    assert os.environ["_RJEM_MALLOC_CONF"] == JEMALLOC
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"


def test_the_users_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "dirty_decay_ms:0")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    native.tune()
    assert os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:0"
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"


def test_the_cli_entry_point_sets_them_before_polars_and_numpy_load() -> None:
    """In a fresh process: polars and numpy read the settings when they load, so the CLI must set them first."""
    code = (
        "import os, sys; from reconciler import cli; assert 'polars' not in sys.modules;"
        " assert 'numpy' not in sys.modules;"
        " cli.app = lambda: print(os.environ['_RJEM_MALLOC_CONF'], os.environ['OPENBLAS_NUM_THREADS']); cli.main()"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("_RJEM_MALLOC_CONF", "OPENBLAS_NUM_THREADS")
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{JEMALLOC} 1\n", "")
