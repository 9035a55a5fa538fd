"""The test harness: one way to put a project in front of the emulator and run the reconciler on it.

- `harness.project`: `Project` (a project directory whose `local` target is the emulator; the CLI in-process or
  as a real process; the request log, faults, settings through environment variables) and its modes.
- `harness.probe`: ASGI instrumentation in front of the emulator: requests in flight.
- `harness.cost`: what an action cost, counted rather than timed (Python calls, bytes read, peak memory).

The `project` fixture (tests/conftest.py) opens a `Project` for a test.
"""
