"""Source files of records and members: safe path resolution and streaming readers.

A source path is relative to the manifest that names it. It is refused when it is absolute, when `..` takes it
out of the project root, or when a symbolic link on the way resolves outside the root. All of this is decided
from the path and `lstat`/`readlink` alone: no file outside the root is ever opened.

Readers stream: CSV (UTF-8, a BOM tolerated, a header row, every value text, an empty field is "") and JSON
Lines (one object per line; a number becomes its JSON text, so 510456 becomes "510456"; nested values are
refused), either of them gzipped. They yield one row at a time and never hold a whole file. A physical line
longer than 1 MiB ends the file with a Problem, read no further than that 1 MiB.

The row reader is the reference, and names every problem with its line. Large sources are read in columns
instead (columns.read_columns), but only when that gives exactly the rows and values the row reader gives.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import os
import posixpath
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, Literal, cast

from isal import igzip, isal_zlib

from reconciler.errors import Location, Problem

log = logging.getLogger(__name__)

SOURCE_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".csv.gz", ".jsonl.gz", ".ndjson.gz")
MAX_JSON_LINE_BYTES = 1024 * 1024
MAX_CSV_LINE_BYTES = 1024 * 1024
"""A longer physical line is refused (and ends the file) before it is held in memory whole."""
MAX_PATH_CHARS = 1024
"""A longer source path is refused; messages show at most SHOWN_PATH_CHARS of a path."""
SHOWN_PATH_CHARS = 120
_CHUNK = 1024 * 1024


class SourcePathError(ValueError):
    """A source path that is refused; `reason` and `remedy` are ready for a Problem."""

    def __init__(self, reason: str, remedy: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.remedy = remedy


@dataclass(frozen=True)
class SourceFile:
    """A resolved source: `path` is the real, absolute file inside the root; `display` names it in messages."""

    path: Path
    display: str
    format: Literal["csv", "jsonl"]
    compressed: bool


@dataclass(frozen=True, slots=True)
class Cell:
    """One value of a row, as text. `number` marks an unquoted YAML number or a JSON number; `nested` names
    a mapping or list (refused), e.g. "a list"; `location` is set for inline (YAML) values."""

    text: str
    number: bool = False
    nested: str = ""
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class RawRow:
    """A row as read: where it starts, and its cells by column name (extra columns included). A plain str is
    a text cell with nothing more to say (every CSV value), kept plain because it is the common case."""

    location: Location
    cells: dict[str, str | Cell]


def resolve_source(text: str, manifest_dir: PurePosixPath, root: Path, root_display: str) -> SourceFile:
    """Resolve `text` (as written in a manifest in `manifest_dir`, relative to the root) without opening it.

    `root` must be the real (resolved) project root. Raises SourcePathError.
    """
    if "\x00" in text:
        raise SourcePathError("source path contains a NUL character", "write a plain relative path")
    if len(text) > MAX_PATH_CHARS:
        raise SourcePathError(
            f"source path is {len(text)} characters long; at most {MAX_PATH_CHARS} are allowed",
            "write a short path relative to this manifest, e.g. records/spring.csv",
        )
    shown = shown_path(text)
    if "\\" in text:
        raise SourcePathError(
            f'source path "{shown}" contains a backslash',
            "separate directories with /, e.g. records/spring.csv",
        )
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
        raise SourcePathError(
            f'source "{shown}" is a URL',
            "put the file in the project and write its path relative to this manifest",
        )
    if text.startswith(("/", "~")) or re.match(r"[A-Za-z]:", text):
        raise SourcePathError(
            f'source path "{shown}" is absolute',
            "write it relative to this manifest file, e.g. records/spring.csv",
        )
    lowered = text.lower()
    if not lowered.endswith(SOURCE_SUFFIXES):
        raise SourcePathError(
            f'source "{shown}" is not a .csv, .jsonl or .ndjson file',
            "use one of .csv, .jsonl, .ndjson, optionally gzipped (.csv.gz, .jsonl.gz, .ndjson.gz)",
        )
    joined = posixpath.normpath(posixpath.join(manifest_dir.as_posix(), text))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        raise SourcePathError(
            f'source path "{shown}" leads outside the project root',
            "keep source files inside the project directory",
        )
    root_text = str(root)
    real = os.path.realpath(os.path.join(root_text, joined))
    if not _inside(real, root_text):
        raise SourcePathError(
            f'source path "{shown}" leads outside the project root through a symbolic link',
            "copy the file into the project, or point the link at a file inside it",
        )
    if not os.path.isfile(real):
        if os.path.lexists(real):
            raise SourcePathError(f'source "{shown}" is not a regular file', "point source at a file")
        raise SourcePathError(
            f'source file "{shown}" not found',
            "check the path; it is relative to this manifest file",
        )
    stem = lowered.removesuffix(".gz")
    file_format: Literal["csv", "jsonl"] = "csv" if stem.endswith(".csv") else "jsonl"
    display = f"{root_display}/{joined}" if joined != "." else root_display
    return SourceFile(Path(real), display, file_format, lowered.endswith(".gz"))


def shown_path(text: str) -> str:
    """A path as messages show it: control and format characters escaped (so that a path cannot rewrite the
    terminal or reorder text), and at most SHOWN_PATH_CHARS characters."""
    escaped = "".join(
        char if unicodedata.category(char)[0] != "C" else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
    if len(escaped) > SHOWN_PATH_CHARS:
        escaped = escaped[: SHOWN_PATH_CHARS - 3] + "..."
    return escaped


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


GZIP_ERRORS = (gzip.BadGzipFile, EOFError, cast(type[Exception], isal_zlib.error))
"""What reading a .gz source raises when the file is not gzip, ends early, or holds a broken deflate stream
(igzip.BadGzipFile is gzip's; isal's stub types its error as an instance)."""


def gunzipped(raw: IO[bytes]) -> io.BufferedIOBase:
    """The bytes of the gzip stream `raw`, inflated by ISA-L: a quarter of zlib's CPU (0.11 against 0.40 s per
    340 MB of JSON Lines), spent on the thread that hands a source's pieces to their parsers. It raises what
    GZIP_ERRORS names."""
    unzipped: io.BufferedIOBase = igzip.IGzipFile(fileobj=raw, mode="rb")  # type: ignore[no-untyped-call]
    return unzipped


@contextmanager
def open_binary(source: SourceFile) -> Iterator[io.BufferedIOBase]:
    """Open a resolved source for reading bytes, refusing a final symbolic link (decompressing a .gz)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(source.path, flags)
    with os.fdopen(fd, "rb") as raw:
        if source.compressed:
            with gunzipped(raw) as unzipped:
                yield unzipped
        else:
            yield raw


def file_digest(source: SourceFile) -> str:
    """sha256 hex of the file's bytes, as stored (compressed bytes for .gz)."""
    import hashlib

    digest = hashlib.sha256()
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    with os.fdopen(os.open(source.path, flags), "rb") as raw:
        for chunk in iter(lambda: raw.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_rows(source: SourceFile, required: tuple[str, ...]) -> Iterator[RawRow | Problem]:
    """Stream the rows of a source. `required` columns must be in a CSV header. A Problem that ends the file
    (unreadable, bad header, not UTF-8) is the last item; row problems are yielded and reading goes on."""
    try:
        with open_binary(source) as stream:
            if source.format == "csv":
                yield from _read_csv(stream, source.display, required)
            else:
                yield from _read_jsonl(stream, source.display)
    except GZIP_ERRORS:
        yield Problem(
            "source is not a valid gzip file", Location(source.display), remedy="recompress it with gzip"
        )
    except OSError as exc:
        yield Problem(
            f"cannot read the source: {exc.strerror or type(exc).__name__}", Location(source.display)
        )


CSV_FIELD_LIMIT = csv.field_size_limit()
"""The longest value the row reader accepts (characters); the columnar reader takes no line longer (in bytes)."""


class _NotUtf8(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _LineTooLong(Exception):
    """A physical line longer than MAX_CSV_LINE_BYTES."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _text_lines(stream: io.BufferedIOBase) -> Iterator[str]:
    """Decode line by line, so that a bad byte is reported on its own line. A line is never read past
    MAX_CSV_LINE_BYTES: a longer one raises _LineTooLong, so a file with no newline cannot fill memory."""
    lines = iter(partial(stream.readline, MAX_CSV_LINE_BYTES + 1), b"")
    for number, raw in enumerate(lines, 1):
        if len(raw) > MAX_CSV_LINE_BYTES and not raw.endswith(b"\n"):
            raise _LineTooLong(number)
        line = raw[len(codecs.BOM_UTF8) :] if number == 1 and raw.startswith(codecs.BOM_UTF8) else raw
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8(number) from None


def _read_csv(
    stream: io.BufferedIOBase, display: str, required: tuple[str, ...]
) -> Iterator[RawRow | Problem]:
    reader = csv.reader(_text_lines(stream), strict=True)
    header: list[str] | None = None
    last_line = 0
    try:
        for values in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if not values or (len(values) == 1 and values[0] == "" and header is not None):
                continue
            location = Location(display, first_line, 1)
            if header is None:
                header = values
                problems = check_header(header, required, location)
                if problems:
                    yield from problems
                    return
                continue
            if len(values) != len(header):
                yield Problem(
                    f"row has {len(values)} values but the header has {len(header)} columns",
                    location,
                    remedy="check for a missing or extra comma; quote a value that contains a comma",
                )
                continue
            yield RawRow(location, dict(zip(header, values, strict=True)))
    except _LineTooLong as exc:
        yield Problem(
            "line is longer than 1 MiB",
            Location(display, exc.line, 1),
            remedy="one record per line; check for a missing line break or an unclosed quote",
        )
        return
    except _NotUtf8 as exc:
        yield Problem(
            "source is not UTF-8 text", Location(display, exc.line, 1), remedy="save the file as UTF-8"
        )
        return
    except csv.Error as exc:
        yield Problem(
            f"CSV syntax error: {exc}",
            Location(display, last_line + 1, 1),
            remedy="check the quoting from this line on",
        )
        return
    if header is None:
        yield Problem(
            "CSV file has no header row",
            Location(display, 1, 1),
            remedy=f"start the file with the column names, e.g. {','.join(required) or 'VENDOR_URN,MobilePhone'}",
        )


def check_header(header: list[str], required: tuple[str, ...], location: Location) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(f'CSV header has column "{name}" twice', location, remedy="keep one"))
        seen.add(name)
    for name in required:
        if name not in seen:
            problems.append(
                Problem(
                    f'CSV header has no column "{name}"',
                    location,
                    remedy=_close(name, header) or "add the column, or stop managing this field",
                )
            )
    return problems


def _close(name: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    from .validation import suggest

    guess = suggest(name, candidates)
    return f'did you mean "{guess}"?' if guess else None


class _Number(str):
    """A JSON number, kept as its JSON text."""

    __slots__ = ()


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _read_jsonl(stream: io.BufferedIOBase, display: str) -> Iterator[RawRow | Problem]:
    line_number = 0
    while True:
        line = stream.readline(MAX_JSON_LINE_BYTES + 1)
        if not line:
            return
        line_number += 1
        location = Location(display, line_number, 1)
        if len(line) > MAX_JSON_LINE_BYTES and not line.endswith(b"\n"):
            # The file ends here: finding the next line would mean reading all of a line that may be gigabytes.
            yield Problem(
                "line is longer than 1 MiB", location, remedy="one JSON object per line, one record each"
            )
            return
        if line_number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            yield Problem("line is not UTF-8 text", location, remedy="save the file as UTF-8")
            continue
        if not text.strip():
            continue
        try:
            data = json.loads(
                text,
                object_pairs_hook=_object,
                parse_int=_Number,
                parse_float=_Number,
                parse_constant=_no_constant,
            )
        except _DuplicateKeyError as exc:
            yield Problem(f'JSON object has the key "{exc.key}" twice', location, remedy="keep one")
            continue
        except (ValueError, RecursionError):
            yield Problem("line is not valid JSON", location, remedy="write one JSON object per line")
            continue
        if not isinstance(data, dict):
            yield Problem(
                "line is not a JSON object", location, remedy='write one object per line, e.g. {"a": "b"}'
            )
            continue
        yield RawRow(location, {key: _cell(value) for key, value in data.items()})


def _cell(value: object) -> str | Cell:
    if isinstance(value, _Number):
        return Cell(str.__str__(value), number=True)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return Cell("", nested="a JSON array" if isinstance(value, list) else "a JSON object")
