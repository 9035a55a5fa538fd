"""Build the emulator: its state (store, settings, faults, request log) and the Starlette app serving it.

state = build_state(db="emu.sqlite")          # opens the store; seeds it only when new
app = create_app(state)                         # ContactNow under /contactnow, CC under /cc, admin under
                                                # /_emulator; everything behind the fault middleware
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from .admin import admin_routes
from .cc import cc_routes
from .contactnow import contactnow_routes
from .faults import FaultInjector, FaultMiddleware
from .requestlog import RequestLog
from .seed import load_seed
from .state import EmulatorState
from .store import Store

log = logging.getLogger(__name__)

CONTACTNOW_PREFIX = "/contactnow"
CC_PREFIX = "/cc"
ADMIN_PREFIX = "/_emulator"


class _Mount(Mount):
    """A Mount whose remainder takes any character. Starlette matches it with `.*`, which stops at a newline, so
    a path segment holding `%0A` (a customer id, say) missed every route and got a text/plain 404 that neither
    vendor sends; now the API's own handler answers it."""

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.path_regex = re.compile(self.path_regex.pattern, self.path_regex.flags | re.DOTALL)


def build_state(db: str | None = None, seed: str | Path | None = None) -> EmulatorState:
    """Open the store at `db` (None: in memory) and seed it if it is new (`seed` None: the default seed).

    A database file that was seeded before keeps its data; `seed` is then ignored.
    """
    store = Store.open(db)
    try:
        if not store.seeded:
            load_seed(store, seed)
        elif seed is not None:
            log.info("emulator database already seeded; the seed file is not loaded again")
    except BaseException:
        store.close()
        raise
    return EmulatorState(store=store, faults=FaultInjector(), log=RequestLog())


def create_app(state: EmulatorState) -> Starlette:
    """The emulator's ASGI app for `state`."""
    routes = [
        _Mount(CONTACTNOW_PREFIX, routes=contactnow_routes(state)),
        _Mount(CC_PREFIX, routes=cc_routes(state)),
        _Mount(ADMIN_PREFIX, routes=admin_routes(state)),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(FaultMiddleware, state=state)])
    app.state.emulator = state
    return app
