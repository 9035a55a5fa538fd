"""The emulator's admin API, mounted under `/_emulator/`. It is never part of the vendor surface.

    GET    /_emulator/health                 {"ok": true}
    GET    /_emulator/log[?since=SEQ&op=OP]  {"entries": [...], "last_seq": N}   (redacted request log)
    DELETE /_emulator/log                    204, the log is emptied (seq numbers keep counting)
    GET    /_emulator/faults                 {"seed": S, "rules": [{kind, spec, rate, ..., seen, fired}]}
    POST   /_emulator/faults                 add rules; body: a spec string, a rule object, a list of either,
                                             or {"specs": [...], "seed": S, "replace": true}  -> 200 as GET
    DELETE /_emulator/faults                 204, every rule removed
    GET    /_emulator/settings               {"token_lifetime": s, "read_lag": s, "json_style": STYLE}
    POST   /_emulator/settings               {"token_lifetime"?: s, "read_lag"?: s, "json_style"?: STYLE}
                                             -> 200 as GET; STYLE: compact, spaced, pretty, php (jsonstyle.py)
    POST   /_emulator/simulate               {"steps": N, "seed": S, "tick_seconds": T}  -> counts of what the
                                             dialler changed (the clock moves T seconds a step; default 0)

A bad body answers 400 `{"error": "..."}`. The admin API takes no credentials: the emulator binds loopback.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import jsonbody
from .faults import FaultSpecError, specs_from_json
from .jsonstyle import STYLES, is_style
from .simulation import simulate

if TYPE_CHECKING:
    from .state import EmulatorState

log = logging.getLogger(__name__)

MAX_SIMULATION_STEPS = 1_000_000


class AdminError(ValueError):
    """A bad admin request; the message is returned to the caller."""


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return jsonbody.loads(raw)
    except jsonbody.BodyError:
        raise AdminError("the body is not valid JSON") from None


def _int_arg(value: Any, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise AdminError(f"{name} must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise AdminError(f"{name} must be an integer") from None
    if number < minimum:
        raise AdminError(f"{name} must be at least {minimum}")
    return number


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdminError(f"{name} must be a number of seconds")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise AdminError(f"{name} must be a non-negative number of seconds")
    return seconds


def _style(value: Any) -> str:
    if not is_style(value):
        raise AdminError(f"json_style must be one of {', '.join(STYLES)}")
    return value


def admin_routes(state: EmulatorState) -> list[BaseRoute]:
    """The admin routes, to be mounted under `/_emulator`."""

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def get_log(request: Request) -> Response:
        try:
            since = _int_arg(request.query_params.get("since", "0"), "since")
        except AdminError as exc:
            return _error(str(exc))
        op = request.query_params.get("op") or None
        entries = [e.to_dict() for e in state.log.entries(since, op=op)]
        return JSONResponse({"entries": entries, "last_seq": state.log.last_seq})

    async def clear_log(request: Request) -> Response:
        state.log.clear()
        return Response(status_code=204)

    def faults_view() -> JSONResponse:
        return JSONResponse({"seed": state.faults.seed, "rules": state.faults.rules()})

    async def get_faults(request: Request) -> Response:
        return faults_view()

    async def add_faults(request: Request) -> Response:
        try:
            payload = await _json_body(request)
            seed: int | None = None
            replace = False
            if isinstance(payload, dict) and ("seed" in payload or "replace" in payload):
                payload = dict(payload)
                if "seed" in payload:
                    seed = _int_arg(payload.pop("seed"), "seed")
                replace = bool(payload.pop("replace", False))
                if not payload:
                    payload = []
            specs = specs_from_json(payload)
        except (AdminError, FaultSpecError) as exc:
            return _error(str(exc))
        if replace:
            state.faults.clear()
        for spec in specs:
            state.faults.add(spec)
        if seed is not None:
            state.faults.reseed(seed)
        return faults_view()

    async def clear_faults(request: Request) -> Response:
        state.faults.clear()
        return Response(status_code=204)

    def settings_view() -> JSONResponse:
        settings = state.settings
        return JSONResponse(
            {
                "token_lifetime": settings.token_lifetime,
                "read_lag": settings.read_lag,
                "json_style": settings.json_style,
            }
        )

    async def get_settings(request: Request) -> Response:
        return settings_view()

    async def set_settings(request: Request) -> Response:
        try:
            payload = await _json_body(request)
            if not isinstance(payload, dict):
                raise AdminError("expected a JSON object")
            unknown = sorted(set(payload) - {"token_lifetime", "read_lag", "json_style"})
            if unknown:
                raise AdminError(
                    f"unknown setting(s) {', '.join(unknown)}; allowed: json_style, read_lag, token_lifetime"
                )
            values: dict[str, float | str] = {
                name: _style(value) if name == "json_style" else _seconds(value, name)
                for name, value in payload.items()
            }
        except AdminError as exc:
            return _error(str(exc))
        for name, value in values.items():
            setattr(state.settings, name, value)
        log.info(
            "emulator settings changed: %s",
            ", ".join(f"{k}={v:g}s" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()),
        )
        return settings_view()

    async def run_simulation(request: Request) -> Response:
        try:
            payload = await _json_body(request)
            if not isinstance(payload, dict):
                raise AdminError("expected a JSON object")
            unknown = sorted(set(payload) - {"steps", "seed", "tick_seconds"})
            if unknown:
                raise AdminError(f"unknown field(s) {', '.join(unknown)}; allowed: seed, steps, tick_seconds")
            steps = _int_arg(payload.get("steps", 1), "steps")
            if steps > MAX_SIMULATION_STEPS:
                raise AdminError(f"steps must be at most {MAX_SIMULATION_STEPS}")
            seed = _int_arg(payload.get("seed", 0), "seed")
            tick = _int_arg(payload.get("tick_seconds", 0), "tick_seconds")
        except AdminError as exc:
            return _error(str(exc))
        counts = await run_in_threadpool(lambda: simulate(state, steps, seed, tick_seconds=tick))
        return JSONResponse(counts.to_dict())

    return [
        Route("/health", health, methods=["GET"]),
        Route("/log", get_log, methods=["GET"]),
        Route("/log", clear_log, methods=["DELETE"]),
        Route("/faults", get_faults, methods=["GET"]),
        Route("/faults", add_faults, methods=["POST"]),
        Route("/faults", clear_faults, methods=["DELETE"]),
        Route("/settings", get_settings, methods=["GET"]),
        Route("/settings", set_settings, methods=["POST"]),
        Route("/simulate", run_simulation, methods=["POST"]),
    ]
