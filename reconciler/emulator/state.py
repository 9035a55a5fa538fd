"""The state every part of the emulator shares: the store, run-time settings, faults and the request log.

`create_app` (app.py) builds one EmulatorState and hands it to every route. Handlers describe the logical
operation they served on `request.state` so the request log can record it:

    request.state.op = "ecnow_records.create"   # script-independent name: "<method>.<action>", "token.get",
                                                # "cc.add", "cc.read", "cc.delete", "cc.status", "cc.campaign",
                                                # "outcomecodes.read"
    request.state.rows = 1000                   # rows in the request body (writes), if any
    request.state.result = "success"            # or "bad=3", "error=Invalid token", "207", ...
    request.state.committed = True              # set by a handler once its write is stored (for commit-then-fail)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .jsonstyle import JsonStyle
from .view import StoreView

if TYPE_CHECKING:
    from .faults import FaultInjector
    from .requestlog import RequestLog
    from .store import Store

TWELVE_HOURS = 12 * 60 * 60


@dataclass
class Settings:
    """Run-time settings an admin call may change while the server runs."""

    token_lifetime: float = TWELVE_HOURS
    """Seconds a ContactNow token stays valid."""
    read_lag: float = 0.0
    """Seconds a newly created record stays invisible to reads."""
    json_style: JsonStyle = "compact"
    """How JSON answers are laid out and escaped (jsonstyle.py): compact, spaced, pretty or php."""


@dataclass
class EmulatorState:
    store: Store
    faults: FaultInjector
    log: RequestLog
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], float] = time.time

    @property
    def view(self) -> StoreView:
        """The store in the vendor APIs' terms, for tests and benchmarks: reads and out-of-band changes."""
        return StoreView(self.store)
