"""A local, faithful stand-in for the 8x8 ContactNow API v2 and Contact Center dynamic-campaign API.

It imports nothing from the rest of `reconciler`. Entry points:

    build_state(db=None, seed=None) -> EmulatorState      # store (SQLite), settings, faults, request log
    create_app(state) -> Starlette                        # the ASGI app (mount in-process or serve)
    running_server(state=None, **build_kwargs)            # context manager yielding http://127.0.0.1:PORT
    serve(host, port, db, seed, faults=None)              # blocking uvicorn server
"""

from .app import build_state, create_app
from .server import running_server, serve

__all__ = ["build_state", "create_app", "running_server", "serve"]
