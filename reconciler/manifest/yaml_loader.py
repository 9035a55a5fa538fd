"""Read YAML into plain nodes that remember where every value was written.

Safety first: the file is read as UTF-8 text under a size cap, and ruamel.yaml's parser is driven event by event
so that anything refused (explicit tags, anchors, aliases, nesting too deep, too many documents) is refused
before any value is built, let alone expanded. An alias bomb never gets the chance to grow.

Every scalar keeps its exact source text. Plain `null`, `Null`, `NULL`, `~` and the empty value become None;
nothing else is typed here. The models decide what a value must be.
"""

from __future__ import annotations

import io
import logging
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.reader import ReaderError

from reconciler.errors import Location, Problem
from reconciler.text import UNSAFE_REMEDY, unsafe

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
"""A YAML file larger than this is refused: records belong in a CSV or JSONL source."""
MAX_DOCUMENTS = 1000
"""Documents in one file."""
MAX_DEPTH = 32
"""Nested mappings and lists."""

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_STANDARD_TAG = "tag:yaml.org,2002:"


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar as written. `value` is None for a plain null; `plain` is False when it was quoted or a block."""

    text: str
    value: str | None
    plain: bool
    location: Location


@dataclass(frozen=True, slots=True)
class Mapping:
    """A mapping in source order. A duplicate key is reported and only its first value kept."""

    entries: tuple[tuple[Scalar, Node], ...]
    location: Location

    def get(self, key: str) -> Node | None:
        for name, value in self.entries:
            if name.text == key:
                return value
        return None

    def key(self, key: str) -> Scalar | None:
        for name, _ in self.entries:
            if name.text == key:
                return name
        return None


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple[Node, ...]
    location: Location


Node = Scalar | Mapping | Sequence


@dataclass(frozen=True)
class YamlDocument:
    """One document of a file. `root` is None for an empty document; `complete` is False when a refused
    construct (an alias, a non-text key) means its content cannot be trusted for further checks."""

    root: Node | None
    location: Location
    problems: tuple[Problem, ...] = ()
    complete: bool = True


@dataclass(frozen=True)
class YamlFile:
    """The documents of one file, and the problems that belong to the file rather than to one document."""

    documents: tuple[YamlDocument, ...]
    problems: tuple[Problem, ...] = ()


def to_data(node: Node | None) -> object:
    """Plain Python data for pydantic: str | None for scalars, dict and list for collections."""
    if node is None:
        return None
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Mapping):
        return {key.text: to_data(value) for key, value in node.entries}
    return [to_data(item) for item in node.items]


def describe(node: Node | None) -> str:
    """What kind of value a node is, in words, for messages that must not echo the value."""
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return "empty"
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    return "text"


def load_yaml_file(path: Path, display: str) -> YamlFile:
    """Read and compose one YAML file; `display` is the file name used in every Location."""
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device would block or never end
            return YamlFile(
                (), (Problem("not a regular file", Location(display), remedy="replace it with a YAML file"),)
            )
        size = status.st_size
        if size > MAX_FILE_BYTES:
            return YamlFile((), (_too_big(display, size),))
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return YamlFile((), (Problem(f"cannot read the file: {exc.strerror or exc}", Location(display)),))
    if len(data) > MAX_FILE_BYTES:
        return YamlFile((), (_too_big(display, len(data)),))
    return parse_yaml(data, display)


def parse_yaml(data: bytes, display: str) -> YamlFile:
    """Compose YAML bytes (UTF-8, a BOM tolerated) into documents of nodes."""
    if len(data) > MAX_FILE_BYTES:
        return YamlFile((), (_too_big(display, len(data)),))
    text, problem = _decode(data, display)
    if problem is not None:
        return YamlFile((), (problem,))
    composer = _Composer(display)
    try:
        composer.run(_events(text))
    except _Stop:
        pass
    except MarkedYAMLError as exc:
        composer.fail(_syntax_problem(exc, display))
    except ReaderError as exc:
        composer.fail(_reader_problem(exc, text, display))
    except YAMLError as exc:  # any other parser complaint, reported without a location inside the file
        composer.fail(Problem(f"YAML syntax error: {exc}", Location(display, 1, 1)))
    return composer.result()


def _events(text: str) -> Iterator[Event]:
    yaml = YAML(typ="safe", pure=True)
    return iter(yaml.parse(io.StringIO(text)))


def _too_big(display: str, size: int) -> Problem:
    mib = MAX_FILE_BYTES // (1024 * 1024)
    return Problem(
        f"file is {size / (1024 * 1024):.1f} MiB; a YAML file may hold at most {mib} MiB",
        Location(display),
        remedy="put records or members in a CSV or JSONL file and point spec.source at it",
    )


def _decode(data: bytes, display: str) -> tuple[str, Problem | None]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return "", Problem(
            "file is not UTF-8 text",
            Location(display, line, column),
            remedy="save the file as UTF-8",
        )


def _syntax_problem(exc: MarkedYAMLError, display: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    location = Location(display, mark.line + 1, mark.column + 1) if mark is not None else Location(display)
    problem = (exc.problem or "invalid YAML").strip()
    context = (exc.context or "").strip()
    reason = f"YAML syntax error {context}: {problem}" if context else f"YAML syntax error: {problem}"
    return Problem(reason, location, remedy="fix the YAML at this position")


def _reader_problem(exc: ReaderError, text: str, display: str) -> Problem:
    position = exc.position if isinstance(exc.position, int) else 0
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return Problem(
        "file contains a control character YAML does not allow",
        Location(display, line, column),
        remedy="remove it, or write it as an escape inside a double-quoted value",
    )


def _tag_text(tag: str) -> str:
    if tag.startswith(_STANDARD_TAG):
        return "!!" + tag[len(_STANDARD_TAG) :]
    return tag


class _Stop(Exception):
    """Composition of the file stops here; the reason is already recorded."""


@dataclass
class _Frame:
    """A collection being composed."""

    location: Location
    is_mapping: bool
    items: list[Node] = field(default_factory=list)
    entries: list[tuple[Scalar, Node]] = field(default_factory=list)
    pending_key: Scalar | None = None
    seen: dict[str, int] = field(default_factory=dict)
    key_is_collection: bool = False


class _Composer:
    """Turns parse events into nodes, refusing what the manifest language does not allow."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.documents: list[YamlDocument] = []
        self.file_problems: list[Problem] = []
        self._stack: list[_Frame] = []
        self._doc_problems: list[Problem] = []
        self._doc_location = Location(display, 1, 1)
        self._doc_root: Node | None = None
        self._doc_complete = True
        self._in_document = False

    def _loc(self, event: Event) -> Location:
        mark = event.start_mark
        return Location(self.display, mark.line + 1, mark.column + 1)

    def run(self, events: Iterator[Event]) -> None:
        for event in events:
            self._handle(event)

    def _handle(self, event: Event) -> None:
        if isinstance(event, DocumentStartEvent):
            if len(self.documents) >= MAX_DOCUMENTS:
                self.file_problems.append(
                    Problem(
                        f"file holds more than {MAX_DOCUMENTS} documents",
                        self._loc(event),
                        remedy="split it into several files",
                    )
                )
                raise _Stop
            self._in_document = True
            self._doc_location = self._loc(event)
            self._doc_problems = []
            self._doc_root = None
            self._doc_complete = True
            return
        if isinstance(event, DocumentEndEvent):
            self._end_document()
            return
        if isinstance(event, AliasEvent):
            self._doc_problems.append(
                Problem(
                    f'alias "*{event.anchor}" is not allowed',
                    self._loc(event),
                    remedy="write the value out in full; anchors and aliases are refused",
                )
            )
            self._doc_complete = False
            self._end_document()
            raise _Stop
        if isinstance(event, ScalarEvent | CollectionStartEvent):
            self._check_properties(event)
        if isinstance(event, ScalarEvent):
            self._add(self._scalar(event))
        elif isinstance(event, MappingStartEvent | SequenceStartEvent):
            if len(self._stack) >= MAX_DEPTH:
                self._doc_problems.append(
                    Problem(
                        f"values are nested more than {MAX_DEPTH} levels deep",
                        self._loc(event),
                        remedy="flatten the structure; no manifest needs this depth",
                    )
                )
                self._doc_complete = False
                self._end_document()
                raise _Stop
            self._stack.append(_Frame(self._loc(event), isinstance(event, MappingStartEvent)))
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            frame = self._stack.pop()
            node: Node
            if frame.is_mapping:
                node = Mapping(tuple(frame.entries), frame.location)
            else:
                node = Sequence(tuple(frame.items), frame.location)
            self._add(node)

    def _check_properties(self, event: ScalarEvent | CollectionStartEvent) -> None:
        if event.tag is not None:
            self._doc_problems.append(
                Problem(
                    f'explicit tag "{_tag_text(str(event.tag))}" is not allowed',
                    self._loc(event),
                    remedy="remove the tag; every value is read as text, and quotes keep it exactly as written",
                )
            )
            if isinstance(event, CollectionStartEvent):
                self._doc_complete = False  # a tagged mapping or list asks for an object: validate no further
        if event.anchor is not None:
            self._doc_problems.append(
                Problem(
                    f'anchor "&{event.anchor}" is not allowed',
                    self._loc(event),
                    remedy="write the value out in full; anchors and aliases are refused",
                )
            )

    def _scalar(self, event: ScalarEvent) -> Scalar:
        text = str(event.value)
        found = unsafe(text)
        if found:
            self._doc_problems.append(
                Problem(
                    f"a value holds a control or bidirectional character ({', '.join(found)})",
                    self._loc(event),
                    remedy=UNSAFE_REMEDY,
                )
            )
        # A tagged value (`!!str 0770`) is refused by _check_properties; it is not also an unquoted number.
        plain = event.style is None and event.tag is None
        value = None if plain and text in _NULLS else text
        return Scalar(text, value, plain, self._loc(event))

    def _add(self, node: Node) -> None:
        if not self._stack:
            self._doc_root = node
            return
        frame = self._stack[-1]
        if not frame.is_mapping:
            frame.items.append(node)
            return
        if frame.pending_key is None and not frame.key_is_collection:
            if isinstance(node, Scalar):
                frame.pending_key = node
            else:
                self._doc_problems.append(
                    Problem(
                        f"a key must be text, not {describe(node)}",
                        node.location,
                        remedy="write a plain name before the colon",
                    )
                )
                self._doc_complete = False
                frame.key_is_collection = True
            return
        key = frame.pending_key
        frame.pending_key = None
        if key is None:  # the value of a refused key
            frame.key_is_collection = False
            return
        if (
            isinstance(node, Scalar)
            and node.plain
            and node.text == ""
            and node.location.line != key.location.line
        ):
            # An empty value is placed by the parser at the next token; point at its key instead.
            node = Scalar(node.text, node.value, node.plain, key.location)
        first = frame.seen.get(key.text)
        if first is not None:
            self._doc_problems.append(
                Problem(
                    f'duplicate key "{key.text}"',
                    key.location,
                    remedy=f"it is already set at line {first}; keep one",
                )
            )
            return
        frame.seen[key.text] = key.location.line
        frame.entries.append((key, node))

    def _end_document(self) -> None:
        if not self._in_document:
            return
        self._in_document = False
        while self._stack:  # composition stopped early: keep what was read, for the document's address
            frame = self._stack.pop()
            if frame.is_mapping:
                self._add(Mapping(tuple(frame.entries), frame.location))
            else:
                self._add(Sequence(tuple(frame.items), frame.location))
        self.documents.append(
            YamlDocument(self._doc_root, self._doc_location, tuple(self._doc_problems), self._doc_complete)
        )

    def fail(self, problem: Problem) -> None:
        """A syntax error ends the file: what was composed before it is kept but not validated."""
        self._doc_complete = False
        self._end_document()
        self.documents = [
            YamlDocument(doc.root, doc.location, doc.problems, complete=False) for doc in self.documents
        ]
        self.file_problems.append(problem)

    def result(self) -> YamlFile:
        self._end_document()
        return YamlFile(tuple(self.documents), tuple(self.file_problems))


NUMBER_LIKE = re.compile(
    r"""[-+]?(
        0[xX][0-9a-fA-F_]+
      | 0[oObB][0-7_]+
      | [0-9][0-9_,]*(:[0-5]?[0-9])*(\.[0-9_]*)?([eE][-+]?[0-9]+)?
      | \.[0-9][0-9_]*([eE][-+]?[0-9]+)?
      | \.(inf|Inf|INF|nan|NaN|NAN)
    )""",
    re.VERBOSE,
)
"""What a YAML 1.1 or 1.2 reader could take for a number (and so drop a leading 0 or +)."""


def looks_like_number(scalar: Scalar) -> bool:
    """True for a plain (unquoted) scalar that some YAML reader would read as a number."""
    return scalar.plain and scalar.value is not None and NUMBER_LIKE.fullmatch(scalar.text) is not None
