"""Contact Center campaign status (API-CONTRACT-2.md A): the vendor's twelve status codes, the five states they
fall into, the vendor's transition graph between states, and who moves a campaign into each code.

The codes say who moved the campaign: an operator's action (a click in the vendor's UI, or the status API),
the campaign's own schedule, or the dialler finishing every record. Nothing here reads or writes: the
CcCampaign kind plans with it, and the membership kind checks a campaign's code against it.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum


class CampaignState(StrEnum):
    """The five states of the vendor's graph. The four a manifest can ask for are also the values the status
    change takes (`{"status": "RUNNING"}`); NEW is only ever read."""

    NEW = "NEW"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    PURGED = "PURGED"
    STOPPED = "STOPPED"

    @property
    def label(self) -> str:
        """How messages name it: Running, Paused..."""
        return self.value.title()


class Mover(StrEnum):
    """Who puts a campaign into a status code."""

    OPERATOR = "operator"
    """An operator's action: the vendor's UI or the status API (codes 0 New, 1, 3, 5, 8 and 10)."""
    SCHEDULE = "schedule"
    """The campaign's own schedule (codes 2, 4, 7, 9 and 11)."""
    DIALLER = "dialler"
    """The dialler, once every record is done (code 6 Completed)."""


STATUS_NAMES: dict[int, str] = {
    0: "New",
    1: "Manual Started",
    2: "Scheduled",
    3: "Manual Running",
    4: "Schedule Running",
    5: "Manual Stopped",
    6: "Completed",
    7: "Schedule Stopped",
    8: "Manual Paused",
    9: "Schedule Paused",
    10: "Manual Purged",
    11: "Schedule Purged",
}
"""Every status code of `GET /api/stats/campaigns/{id}.json`, by the vendor's name for it [doc]."""

_S = CampaignState
STATE_OF: dict[int, CampaignState] = {
    0: _S.NEW,
    2: _S.NEW,
    1: _S.RUNNING,
    3: _S.RUNNING,
    4: _S.RUNNING,
    8: _S.PAUSED,
    9: _S.PAUSED,
    10: _S.PURGED,
    11: _S.PURGED,
    5: _S.STOPPED,
    6: _S.STOPPED,
    7: _S.STOPPED,
}
"""The state of each code (API-CONTRACT-2.md A's groups)."""

MOVED_BY: dict[int, Mover] = {
    **dict.fromkeys((0, 1, 3, 5, 8, 10), Mover.OPERATOR),
    **dict.fromkeys((2, 4, 7, 9, 11), Mover.SCHEDULE),
    6: Mover.DIALLER,
}

TRANSITIONS: dict[CampaignState, tuple[CampaignState, ...]] = {
    _S.NEW: (_S.RUNNING,),
    _S.RUNNING: (_S.PAUSED, _S.STOPPED),
    _S.PAUSED: (_S.RUNNING, _S.PURGED, _S.STOPPED),
    _S.PURGED: (_S.RUNNING, _S.STOPPED),
    _S.STOPPED: (),
}
"""The vendor's graph [doc]: New -> Running; Running <-> Paused; Paused -> Purged -> Running; Running, Paused or
Purged -> Stopped, which is final. Nothing else."""

OPERATOR_CODE: dict[CampaignState, int] = {_S.RUNNING: 3, _S.PAUSED: 8, _S.PURGED: 10, _S.STOPPED: 5}
"""The code a status change leaves a campaign in: the manual one of the state [choice]."""


def state_of(code: int) -> CampaignState | None:
    """The state of a status code; None for a code the vendor does not document."""
    return STATE_OF.get(code)


def describe(code: int) -> str:
    """A status code as messages give it: `Paused (status 9, Schedule Paused)`."""
    state = STATE_OF.get(code)
    name = STATUS_NAMES.get(code, "undocumented")
    return f"{state.label if state else 'Unknown'} (status {code}, {name})"


def path(start: CampaignState, goal: CampaignState) -> tuple[CampaignState, ...] | None:
    """The states a campaign passes through from `start` to reach `goal`, `goal` included: the shortest way
    through the graph (each is unique); () when it is there already; None when the graph has no way."""
    if start is goal:
        return ()
    came_from: dict[CampaignState, CampaignState] = {}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for following in TRANSITIONS[state]:
            if following in came_from or following is start:
                continue
            came_from[following] = state
            if following is goal:
                steps = [goal]
                while steps[-1] in came_from and came_from[steps[-1]] is not start:
                    steps.append(came_from[steps[-1]])
                return tuple(reversed(steps))
            queue.append(following)
    return None
