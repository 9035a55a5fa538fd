"""The US ZIP and Canadian postal code tables shipped with the reconciler (postcodes.yaml beside this module)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .shipped import shipped


@dataclass(frozen=True)
class PostcodeTables:
    """Each known key and the zones a postcode with it may be in (an empty tuple: it resolves nothing)."""

    zip3: dict[str, tuple[str, ...]]
    """A ZIP's first three digits ("005") -> zones."""
    zip5: dict[str, tuple[str, ...]]
    """ZIPs apart from their ZIP3 ("96799") -> zones; these win over the ZIP3."""
    ca: dict[str, tuple[str, ...]]
    """A Canadian postal code's first letter -> zones."""
    areas: dict[str, str]
    """Each ZIP3 and ZIP5 listed -> the entry it is listed under ("NY", "FL panhandle"), for messages and tests."""

    def zone_names(self) -> frozenset[str]:
        return frozenset(
            zone for table in (self.zip3, self.zip5, self.ca) for zones in table.values() for zone in zones
        )


def _expand(text: str, width: int) -> list[str]:
    """ "005 010-027" -> every code in the ranges, zero-padded to `width` digits."""
    codes: list[str] = []
    for part in text.split():
        low, _, high = part.partition("-")
        if len(low) != width or (high and len(high) != width):
            raise ValueError(f"postcodes.yaml: {part!r} is not a {width}-digit code or range")
        codes.extend(f"{code:0{width}d}" for code in range(int(low), int(high or low) + 1))
    return codes


@cache
def postcode_tables() -> PostcodeTables:
    """The shipped tables; a code listed twice is an error in the file."""
    data = shipped("postcodes.yaml")
    by_width: dict[int, dict[str, tuple[str, ...]]] = {3: {}, 5: {}}
    owner: dict[str, str] = {}
    for name, entry in data["us"].items():
        zones = tuple(sorted(entry["zones"]))
        for key, width in (("zip3", 3), ("zip5", 5)):
            for code in _expand(str(entry.get(key, "")), width):
                if code in owner:
                    raise ValueError(f"postcodes.yaml: {code} is listed under both {owner[code]} and {name}")
                owner[code] = str(name)
                by_width[width][code] = zones
    ca = {str(letter): tuple(sorted(zones)) for letter, zones in data["ca"].items()}
    return PostcodeTables(by_width[3], by_width[5], ca, owner)
