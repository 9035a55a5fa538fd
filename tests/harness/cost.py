"""What an action cost, counted rather than timed, so that a bound on it holds however busy the machine is.

    cost = measure(lambda: load_project(root))
    assert cost.calls < 100_000           # Python function calls: no blow-up (an alias expanded, a quadratic scan)
    assert cost.read_bytes < 32 * MIB     # bytes this process read: a 1 GiB file was not read through
    assert cost.peak_bytes < 2 * MIB      # peak memory Python allocated (tracemalloc)

Each count is the same on every run of the same code on the same input, whatever the load: calls come from a
trace hook (a global one only: no line events), bytes read from the kernel's count for the process
(/proc/self/io `rchar`: every read(2), whichever thread or library made it), memory from tracemalloc. The action
runs twice, once counted and once traced, since tracemalloc would also trace every call of the hook and make the
pair many times slower than both apart; it must do the same both times. Code imported for the first time inside
the action adds its own calls, so bounds leave room for that. A tracer already installed (coverage, a debugger)
is put back afterwards.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

MIB = 1024 * 1024
_IO = Path("/proc/self/io")


@dataclass(frozen=True)
class Cost:
    calls: int
    """Python function calls made in this thread (a generator's resumptions count as calls too)."""
    read_bytes: int
    """Bytes this process read (files, pipes, sockets) while the action ran."""
    peak_bytes: int
    """The most memory Python held for the action at once (tracemalloc)."""


def read_so_far() -> int:
    """Bytes this process has read since it started (Linux: /proc/self/io)."""
    for line in _IO.read_text().splitlines():
        name, _, value = line.partition(":")
        if name == "rchar":
            return int(value)
    raise RuntimeError(f"{_IO} has no rchar line")


def measure(action: Callable[[], object]) -> Cost:
    """Run `action` twice: once counting its calls and the bytes read, once tracing its peak memory."""
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        calls += 1  # a global trace function only hears "call": returning None asks for no more of the frame

    read_before = read_so_far()
    tracer = sys.gettrace()
    sys.settrace(count)
    try:
        action()
    finally:
        sys.settrace(tracer)
    read_bytes = read_so_far() - read_before
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Cost(calls, read_bytes, peak)
