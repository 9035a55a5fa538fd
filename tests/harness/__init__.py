"""The test harness: instruments that let a test say what happened without a clock.

- `harness.probe`: ASGI instrumentation in front of the emulator: requests in flight.
- `harness.cost`: what an action cost, counted rather than timed (Python calls, bytes read, peak memory).

This package imports nothing from pytest at its top.
"""
