"""Fixtures of the reliability and security suite (issue #5).

Sections: each helper adds its own fixtures below its own heading and never edits another's.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------------------ SECURITY
# The e2e estate (a real emulator on loopback, a project whose `local` target points at it, the CLI
# in-process) is the base of the idempotence, stale-plan, threshold, secret and PII tests.
from e2e.conftest import WRITE_OPS, Estate, Result, estate, project_file

__all__ = ["WRITE_OPS", "Estate", "Result", "estate", "project_file"]

# --------------------------------------------------------------------------------------------- FAULTS
# The fault lab (faultlab.py): the same real emulator on loopback, plus fast retry and batch settings through
# environment variables, the CLI as a real process (kill -9, two at once), and an arrival hook.
from .faultlab import lab  # noqa: F401  (the fixture)
