"""The legal floors shipped with the reconciler (floors.yaml beside this module), by their dated names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .hours import DAYS, WeekHours, parse_span
from .shipped import shipped


@dataclass(frozen=True)
class Floor:
    """A named, dated floor: its hours and the text it is based on."""

    name: str
    source: str
    hours: WeekHours


@cache
def floors() -> dict[str, Floor]:
    """Every shipped floor by name (e.g. "US-TCPA@2026-11")."""
    data = shipped("floors.yaml")
    found: dict[str, Floor] = {}
    for name, entry in data.items():
        spans = {DAYS.index(day): [parse_span(text)] for day, text in entry["hours"].items()}
        found[str(name)] = Floor(str(name), str(entry["source"]), WeekHours.of(spans))
    return found
