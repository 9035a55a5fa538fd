"""A local, faithful stand-in for the 8x8 ContactNow API v2 and Contact Center dynamic-campaign API.

It imports nothing from the rest of `reconciler`. Entry points:

    build_state(db=None, seed=None) -> EmulatorState      # store (SQLite), settings, faults, request log
    create_app(state) -> Starlette                        # the ASGI app (mount in-process or serve)
    running_server(state=None, **build_kwargs)            # context manager yielding http://127.0.0.1:PORT
    serve(host, port, db, seed, faults=None)              # blocking uvicorn server
    SyncAsgiTransport(create_app(state))                  # the app behind a synchronous httpx.Client
    in_process(db) -> SyncAsgiTransport                   # the emulator of a store file, in-process
"""

from .app import build_state, create_app
from .server import running_server, serve
from .transport import SyncAsgiTransport


def in_process(db: str | None) -> SyncAsgiTransport:
    """An httpx transport to the emulator whose store is the SQLite file `db` (None: a fresh account in
    memory), running in this process."""
    return SyncAsgiTransport(create_app(build_state(db=db)))


__all__ = ["SyncAsgiTransport", "build_state", "create_app", "in_process", "running_server", "serve"]
