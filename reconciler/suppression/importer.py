"""Reading a file of phone numbers into a list file: CSV or one number per line, gzip too, a chunk at a time.

Every value is normalised to E.164 in the list's region (phones.py), hashed with the list's key and kept as its
64-bit prefix; only the prefixes are held (8 bytes a number), never the text. A value that is not a phone
number stops the import before anything is written, naming the file and the line of each (never the value);
`skip_invalid` leaves such lines out and counts them instead.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import InputError, Location, Problem
from ..manifest.sources import GZIP_ERRORS, gunzipped
from .listfile import prefixes
from .phones import e164

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

CHUNK_LINES = 500_000
SHOWN_INVALID = 10
"""Lines named in the error when values cannot be read as phone numbers (the rest are counted)."""
_NUMBER_COLUMNS = ("phone", "number", "telephone", "tel", "msisdn", "e164", "mobile")


@dataclass
class ReadNumbers:
    """What an import read: the prefixes, and how many lines were numbers, blank or not numbers."""

    hashes: npt.NDArray[np.uint64]
    numbers: int = 0
    blank: int = 0
    invalid: int = 0
    invalid_lines: list[int] = field(default_factory=list)


@contextmanager
def _text(path: Path) -> Iterator[IO[str]]:
    with path.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream: IO[bytes] = gunzipped(raw) if gzipped else raw  # type: ignore[assignment]
        yield io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")


def _is_csv(path: Path) -> bool:
    return path.name.lower().removesuffix(".gz").endswith(".csv")


def _rows(path: Path, shown: str, column: str | None) -> Iterator[tuple[int, str]]:
    """(line, value) of every number of the file, in order; a gzip file that cannot be read whole is refused."""
    try:
        yield from _numbers(path, shown, column)
    except GZIP_ERRORS:
        raise InputError(
            [Problem("is not a valid gzip file", Location(shown), remedy="recompress it with gzip")]
        ) from None


def _numbers(path: Path, shown: str, column: str | None) -> Iterator[tuple[int, str]]:
    with _text(path) as text:
        if not _is_csv(path):
            for line, value in enumerate(text, start=1):
                yield line, value.rstrip("\r\n")
            return
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            return
        index = _column(header, column, shown)
        for row in reader:
            yield reader.line_num, row[index] if index < len(row) else ""


def _column(header: list[str], column: str | None, shown: str) -> int:
    folded = [name.strip().casefold() for name in header]
    if column is not None:
        if column.casefold() in folded:
            return folded.index(column.casefold())
        raise InputError(
            [
                Problem(
                    f"has no column {column!r}",
                    Location(shown, 1, 1),
                    remedy=f"name one of its {len(header)} columns with --column",
                )
            ]
        )
    if len(header) == 1:
        return 0
    for index, name in enumerate(folded):
        if any(word in name for word in _NUMBER_COLUMNS):
            return index
    raise InputError(
        [
            Problem(
                f"has {len(header)} columns and none is named like a phone number column",
                Location(shown, 1, 1),
                remedy="name the column of numbers with --column",
            )
        ]
    )


def customer_ids(values: pl.Series) -> pl.Series:
    """Each value as a CRM customer id (digits, as written), or null."""
    return values.str.strip_chars().str.extract(r"^([0-9]{1,20})$")


def read_numbers(
    path: Path,
    shown: str,
    region: str | None,
    key: bytes,
    *,
    column: str | None = None,
    skip_invalid: bool = False,
) -> ReadNumbers:
    """Every number of the file at `path` (named `shown` in messages) as a hash prefix: E.164 phone numbers of
    `region`, or CRM customer ids when `region` is None. Raises InputError naming the lines (never the values)
    that are not such values, unless `skip_invalid`."""
    import numpy as np
    import polars as pl

    parts: list[npt.NDArray[np.uint64]] = []
    result = ReadNumbers(np.zeros(0, dtype=np.uint64))
    rows = _rows(path, shown, column)
    while chunk := list(islice(rows, CHUNK_LINES)):
        lines = pl.Series([line for line, _ in chunk], dtype=pl.UInt64)
        values = pl.Series([value for _, value in chunk], dtype=pl.String)
        blank = values.str.strip_chars() == ""
        numbers = customer_ids(values) if region is None else e164(values, region)
        bad = numbers.is_null() & ~blank
        result.blank += int(blank.sum())
        if bad.any():
            result.invalid += int(bad.sum())
            room = SHOWN_INVALID - len(result.invalid_lines)
            result.invalid_lines += lines.filter(bad).head(max(room, 0)).to_list()
        good = numbers.drop_nulls()
        result.numbers += len(good)
        if not result.invalid or skip_invalid:
            parts.append(prefixes(good.to_list(), key))
    if result.invalid and not skip_invalid:
        problems = [
            Problem(
                "is not a CRM customer id (digits only; value not shown)"
                if region is None
                else f"is not a phone number of {region} or in international form (value not shown)",
                Location(shown, line, 1),
            )
            for line in result.invalid_lines
        ]
        more = result.invalid - len(problems)
        last = problems[-1]
        tail = f"; {more:,} more lines like these" if more else ""
        problems[-1] = Problem(
            last.reason + tail,
            last.location,
            remedy="fix or remove these lines, check --region, or pass --skip-invalid to leave them out and "
            "count them",
        )
        raise InputError(problems)
    result.hashes = np.concatenate(parts) if parts else result.hashes
    return result
