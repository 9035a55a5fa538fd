"""The test harness: one way to put a project in front of the emulator and run the reconciler on it.

- `harness.project`: `Project` (a project directory whose `local` target is the emulator; the CLI in-process or
  as a real process; the request log, faults, settings through environment variables) and its modes.
- `harness.probe`: ASGI instrumentation in front of the emulator: an arrival hook and requests in flight.
- `harness.process`: `EmulatorProcess`, `python -m reconciler.emulator` as a child process (tests, benchmarks).
- `harness.cost`: what an action cost, counted rather than timed (Python calls, bytes read, peak memory).

The `project` fixture (tests/conftest.py) opens a `Project` for a test. This package imports nothing from pytest
at its top, so that the benchmarks (scripts) can use `harness.process`.
"""
