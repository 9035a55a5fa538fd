"""The data files shipped beside these modules (floors, holiday calendars, postcode tables), read as YAML."""

from __future__ import annotations

from importlib import resources
from typing import Any


def shipped(name: str) -> Any:
    """The parsed content of the data file `name` (e.g. "floors.yaml") of this package."""
    from ruamel.yaml import YAML

    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)
