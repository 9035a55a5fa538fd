"""HTTP client for the 8x8 ContactNow API v2 (token.php, ecnow.php, database.php).

It knows URLs, the token, paging, retries and the envelope, and returns wire models (wire.py). It knows
nothing of plans. Every call sends `format=json`.

- Reads are POSTs whose arguments (the token included) are form fields, so no token appears in a URL.
- Writes (`create`/`update`) send the rows as a raw JSON array body with `raw=1`; their arguments, the token
  included, go in the query string (httpx logs URLs: the log filter of reconciler.redact scrubs it).
- An envelope error "Invalid token", "Expired token" or "Unknown token" gets one new token and one retry of
  that call. `token_fetches` counts every token.php?action=get the client made.
- `success: false` raises ApiError whose `.message` is the vendor's `error` text (AuthError for
  "Authentication failure"). A write with `bad > 0` is not an exception: it returns a WriteResult.
- Creates are not idempotent: after an ambiguous failure they raise AmbiguousWriteError (see providers.http.retry)
  and the caller must re-read by key before it tries again.
"""

from __future__ import annotations

import json
import logging
import operator
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import httpx
import ijson
import msgspec

from reconciler.errors import ApiError, AuthError
from reconciler.providers.http.body import PIECE_BYTES as PIECES_DEFAULT
from reconciler.providers.http.body import ArrayPieces, BodyReader, BrokenBody
from reconciler.providers.http.rate import RateBudget
from reconciler.providers.http.retry import RetryPolicy
from reconciler.providers.http.session import HttpSession, SessionClient
from reconciler.redact import register_secret

from .wire import CampaignField, OutcomeCode, Queue, WireDataset, WriteResult, text

if TYPE_CHECKING:
    import polars as pl

__all__ = ["MAX_WRITE_ROWS", "TOKEN_ERRORS", "ContactNowClient"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

TOKEN_ERRORS: Final = frozenset({"Invalid token", "Expired token", "Unknown token"})
"""Envelope errors after which the client gets a new token and retries the call once."""
AUTHENTICATION_FAILURE: Final = "Authentication failure"
MAX_WRITE_ROWS: Final = 1000
"""Rows one ecnow_records create may carry."""

_TOKEN_SCRIPT = "token.php"  # noqa: S105 (a script name, not a secret)
_ECNOW = "ecnow.php"
_DATABASE = "database.php"


class _TokenRejected(Exception):
    """An envelope said the token is not (or no longer) valid."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _is_true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return False


def _int(value: Any, *, what: str, url: str) -> int:
    if value is None or value == "":
        return 0
    try:
        return int(text(value))
    except (TypeError, ValueError):
        raise ApiError(f"ContactNow answered a non-integer {what}", url=url) from None


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    return text(value)


def _rows_of(listing: Any, *, url: str) -> list[Mapping[str, Any]]:
    """The rows of an envelope's `list`: an array, or (PHP-style) an object of rows, or one row."""
    if listing is None or listing == "":
        return []
    if isinstance(listing, list):
        rows = listing
    elif isinstance(listing, dict):
        values = list(listing.values())
        rows = values if values and all(isinstance(value, dict) for value in values) else [listing]
    else:
        raise ApiError("ContactNow answered a `list` that is neither an array nor an object", url=url)
    if not all(isinstance(row, dict) for row in rows):
        raise ApiError("ContactNow answered a `list` whose rows are not objects", url=url)
    return rows


class _TextPage(msgspec.Struct):
    """A records page whose values are all text (what ContactNow sends): decoded without a dict per value."""

    success: bool | int | str | None = None
    rows: list[dict[str, str]] | None = msgspec.field(default=None, name="list")


_TEXT_PAGE = msgspec.json.Decoder(_TextPage)


_ANY_JSON = msgspec.json.Decoder(float_hook=Decimal)
_LIST_START = b'"list":['
PIECE_BYTES = PIECES_DEFAULT
"""About this much of a records body is decoded at a time."""

_BrokenBody = BrokenBody


class _Shape(Generic[_T]):
    """What a records body is decoded into: text rows, or columns of chosen fields."""

    def piece(self, data: bytes | memoryview) -> _T | None:
        """A JSON array of rows decoded; None when `data` is not one."""
        raise NotImplementedError

    def page(self, body: bytes) -> _T | None:
        """The rows of a whole `{"success": true, "list": [...]}` envelope; None for anything else."""
        raise NotImplementedError

    def of_rows(self, rows: list[dict[str, str]]) -> _T:
        raise NotImplementedError

    def size(self, value: _T) -> int:
        raise NotImplementedError

    def ids(self, value: _T) -> list[str]:
        """The `id` of every row."""
        raise NotImplementedError

    def keep(self, value: _T, start: int) -> _T:
        """The rows from position `start` on."""
        raise NotImplementedError

    def general(self, data: bytes | memoryview) -> _T | None:
        """Any JSON array of objects (numbers and nulls become text), or None."""
        try:
            rows = _ANY_JSON.decode(data)
        except msgspec.MsgspecError:
            return None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            return None
        try:
            return self.of_rows([_text_row(row) for row in rows])
        except TypeError:
            return None


class _TextRows(_Shape[list[dict[str, str]]]):
    def piece(self, data: bytes | memoryview) -> list[dict[str, str]] | None:
        try:
            return _TEXT_ROWS.decode(data)
        except msgspec.MsgspecError:
            return self.general(data)

    def page(self, body: bytes) -> list[dict[str, str]] | None:
        try:
            page = _TEXT_PAGE.decode(body)
        except msgspec.MsgspecError:
            return None
        return page.rows if page.rows is not None and _is_true(page.success) else None

    def of_rows(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return rows

    def size(self, value: list[dict[str, str]]) -> int:
        return len(value)

    def ids(self, value: list[dict[str, str]]) -> list[str]:
        return [row.get("id", "") for row in value]

    def keep(self, value: list[dict[str, str]], start: int) -> list[dict[str, str]]:
        return value[start:]


class _Columns(_Shape[list[list[str]]]):
    """Columns of the named fields, matched without regard to case ("" where a row lacks one), decoded
    without a Python object for the fields nobody reads. A piece where a field is missing or not text takes
    the general path (every row folded)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.folded = [name.casefold() for name in names]
        slots = [f"f{i}" for i in range(len(names))]
        row = msgspec.defstruct(
            "_Row",
            [(slot, str | None, None) for slot in slots],
            rename=dict(zip(slots, names, strict=True)),
            gc=False,
        )
        page = msgspec.defstruct(
            "_Page",
            [("success", bool | int | str | None, None), ("rows", list[row] | None, None)],  # type: ignore[valid-type]
            rename={"rows": "list"},
        )
        self._rows = msgspec.json.Decoder(list[row])  # type: ignore[valid-type]
        self._page = msgspec.json.Decoder(page)
        self._getters = [operator.attrgetter(slot) for slot in slots]

    def _columns(self, rows: list[Any]) -> list[list[str]] | None:
        columns = []
        for getter in self._getters:
            column = list(map(getter, rows))
            if None in column:
                return None
            columns.append(column)
        return columns

    def piece(self, data: bytes | memoryview) -> list[list[str]] | None:
        try:
            rows = self._rows.decode(data)
        except msgspec.MsgspecError:
            return self.general(data)
        columns = self._columns(rows) if rows else [[] for _ in self.names]
        return columns if columns is not None else self.general(data)

    def page(self, body: bytes) -> list[list[str]] | None:
        try:
            page: Any = self._page.decode(body)
        except msgspec.MsgspecError:
            return None
        if page.rows is None or not _is_true(page.success):
            return None
        return self._columns(page.rows) if page.rows else [[] for _ in self.names]

    def of_rows(self, rows: list[dict[str, str]]) -> list[list[str]]:
        folded = [{name.casefold(): value for name, value in row.items()} for row in rows]
        return [[row.get(name, "") for row in folded] for name in self.folded]

    def size(self, value: list[list[str]]) -> int:
        return len(value[0]) if value else 0

    def ids(self, value: list[list[str]]) -> list[str]:
        return value[self.folded.index("id")]

    def keep(self, value: list[list[str]], start: int) -> list[list[str]]:
        return [column[start:] for column in value]


class _Frames(_Shape["pl.DataFrame"]):
    """The columns of `_Columns` as a polars frame (columns named as given, every value text).

    A piece is first read by polars as JSON lines, its `},{` seams turned into line ends. That reading holds
    the GIL only to copy the piece, so the diff runs beside it; msgspec decoding holds it throughout. It is
    exact for what the API documents, objects whose values are all strings: a seam inside a string leaves that
    line's string unterminated, so such a piece fails to read, and a field missing or null in any row shows
    as a null. Either sends the piece the `_Columns` way."""

    def __init__(self, names: Sequence[str]) -> None:
        import polars as pl

        self._columns = _Columns(names)
        self._schema = dict.fromkeys(names, pl.String)
        self._id = names[self._columns.folded.index("id")]

    def _frame(self, columns: list[list[str]]) -> pl.DataFrame:
        import polars as pl

        return pl.DataFrame(dict(zip(self._schema, columns, strict=True)), schema=self._schema)

    def piece(self, data: bytes | memoryview) -> pl.DataFrame | None:
        import polars as pl

        lines = bytes(data[1:-1]).replace(b"},{", b"}\n{")
        try:
            frame = pl.read_ndjson(lines, schema=self._schema)
        except pl.exceptions.PolarsError:
            frame = None
        if frame is not None and frame.height and not any(frame.null_count().row(0)):
            return frame
        columns = self._columns.piece(data)
        return None if columns is None else self._frame(columns)

    def page(self, body: bytes) -> pl.DataFrame | None:
        columns = self._columns.page(body)
        return None if columns is None else self._frame(columns)

    def of_rows(self, rows: list[dict[str, str]]) -> pl.DataFrame:
        return self._frame(self._columns.of_rows(rows))

    def size(self, value: pl.DataFrame) -> int:
        return value.height

    def ids(self, value: pl.DataFrame) -> list[str]:
        return value.get_column(self._id).to_list()

    def keep(self, value: pl.DataFrame, start: int) -> pl.DataFrame:
        return value.slice(start)


class _Pieces(Generic[_T]):
    """Cuts a streamed `{..., "list": [{...}, {...}, ...], ...}` body into pieces of rows (see
    providers.http.body). The envelope around the list (success, error) is decoded with the last rows, from the
    head kept aside and the tail."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        shape: _Shape[_T],
        *,
        url: str,
        check: Callable[[Mapping[str, Any]], None],
    ) -> None:
        self._chunks = chunks
        self._shape = shape
        self._url = url
        self._check = check

    def __iter__(self) -> Iterator[_T]:
        cutter = ArrayPieces(self._chunks, _LIST_START, self._shape.piece, piece_bytes=PIECE_BYTES)
        yield from cutter
        if cutter.head is None:
            yield from self._whole(cutter.rest)
            return
        yield from self._last(cutter.head, cutter.rest)

    def _last(self, head: bytes, rest: bytes) -> Iterator[_T]:
        body = head + rest
        rows = self._shape.page(body)
        if rows is None:
            yield from self._whole(body)
        elif self._shape.size(rows):
            yield rows

    def _whole(self, body: bytes) -> Iterator[_T]:
        try:
            envelope = json.loads(body, parse_float=Decimal)
        except ValueError:
            raise _BrokenBody from None
        if not isinstance(envelope, dict):
            raise ApiError("ContactNow answered JSON that is not an envelope object", url=self._url)
        self._check(envelope)
        rows = [_text_row(row) for row in _rows_of(envelope.get("list"), url=self._url)]
        if rows:
            yield self._shape.of_rows(rows)


_TEXT_ROWS = msgspec.json.Decoder(list[dict[str, str]])


def _text_row(row: Mapping[str, Any]) -> dict[str, str]:
    return {str(key): text(value) for key, value in row.items()}


class ContactNowClient(SessionClient):
    """A thread-safe client for one ContactNow account. Use it as a context manager, or call `close()`."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        rate: RateBudget | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        register_secret(password)
        self._session = HttpSession(
            base_url,
            service="ContactNow",
            transport=transport,
            timeout=timeout,
            retry=retry,
            rate=rate,
            allow_insecure_http=allow_insecure_http,
        )
        self._username = username
        self._password = password
        self._token: str | None = None
        self._token_lock = threading.Lock()
        self.token_fetches = 0
        """How many times the client asked token.php for a token (the first time included)."""

    # ------------------------------------------------------------------------------------------ reads

    def campaign_tables(self) -> list[str]:
        """The names of the campaign tables."""
        rows = self._read(_ECNOW, "campaign_tables", {})
        return [text(row.get("name")) for row in rows]

    def campaign_fields(self, table: str) -> list[CampaignField]:
        """The fields of one campaign table, standard and custom."""
        rows = self._read(_ECNOW, "campaign_fields", {"table": table})
        return [CampaignField.from_row(row) for row in rows]

    def queues(self) -> list[Queue]:
        """Every queue of the contact centre (callers skip qid 999 and 505050: not real queues)."""
        return [Queue.from_row(row) for row in self._read(_DATABASE, "queues", {})]

    def outcome_codes(self) -> list[OutcomeCode]:
        """Every outcome code (database.php outcomecodes)."""
        return [OutcomeCode.from_row(row) for row in self._read(_DATABASE, "outcomecodes", {})]

    def datasets(
        self,
        *,
        table: str | None = None,
        dataset: int | str | None = None,
        description: str | None = None,
        state: str | None = None,
    ) -> list[WireDataset]:
        """Datasets matching every filter given (none: all datasets of the account)."""
        filters: dict[str, str] = {}
        if table is not None:
            filters["table"] = table
        if dataset is not None:
            filters["dataset"] = str(dataset)
        if description is not None:
            filters["description"] = description
        if state is not None:
            filters["state"] = state
        return [WireDataset.from_row(row) for row in self._read(_ECNOW, "ecnow_datasets", filters)]

    def iter_records(
        self,
        *,
        dataset: int | None = None,
        table: str | None = None,
        search: Mapping[str, str] | None = None,
        exact: bool = False,
        page_size: int = 10_000,
    ) -> Iterator[dict[str, str]]:
        """Every matching record, in id order, as text values; read in pages and parsed as it streams.

        Pages use `limit`/`start` with `sort=id`; the read stops at the first short page. A page whose body
        breaks part way is fetched again and resumes after the last id already yielded.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        filters = self._record_filters(dataset=dataset, table=table, search=search, exact=exact)
        start = 0
        while True:
            page = {**filters, "limit": str(page_size), "start": str(start), "sort": "id"}
            count = 0
            for row in self._stream_records(page):
                count += 1
                yield row
            if count != page_size:
                return
            start += count

    def iter_record_frames(
        self, names: Sequence[str], *, dataset: int | None = None, table: str | None = None
    ) -> Iterator[pl.DataFrame]:
        """The records of `iter_records` in one streamed request, as polars frames of the columns `names`
        (matched without regard to case; "" where a row lacks one; every value text), a piece of a few MB at a
        time. `names` must include id."""
        folded = [name.casefold() for name in names]
        if "id" not in folded or len(set(folded)) != len(folded):
            raise ValueError("names must include id, each name once")
        filters = self._record_filters(dataset=dataset, table=table, search=None, exact=False)
        yield from self._stream_pieces({**filters, "sort": "id"}, _Frames(names))

    def _stream_pieces(self, filters: Mapping[str, str], shape: _Shape[_T]) -> Iterator[_T]:
        """One streamed read, decoded a piece at a time; token renewal and resume after a broken body (rows up
        to the last id already handed on are skipped when the body is read again)."""
        action = "ecnow_records.read"
        url = self._session.url_for(_ECNOW, {"method": "ecnow_records", "action": "read"})
        policy = self._session.retry
        token = self._current_token()
        token_renewed = False
        failures = 0
        last_id: str | None = None  # id of the last row handed on
        resume_after: int | None = None  # skip rows up to this id: a body broke after handing it on

        def check(envelope: Mapping[str, Any]) -> None:
            self._check(envelope, url=url)

        while True:
            form = {**filters, "method": "ecnow_records", "action": "read", "format": "json", "token": token}
            try:
                with self._session.stream("POST", _ECNOW, action=action, data=form) as response:
                    if not 200 <= response.status_code < 300:
                        response.read()
                        self._envelope(response, url=url)  # raises for the status
                    for piece in _Pieces(response.iter_bytes(), shape, url=url, check=check):
                        ids = shape.ids(piece)
                        start = 0
                        if resume_after is not None:
                            while (
                                start < len(ids)
                                and self._record_id({"id": ids[start]}, url=url) <= resume_after
                            ):
                                start += 1
                            if start == len(ids):
                                continue
                            resume_after = None
                        if start < len(ids):
                            last_id = ids[-1]
                            yield shape.keep(piece, start) if start else piece
                    return
            except _TokenRejected as rejected:
                if token_renewed:
                    raise AuthError(f"ContactNow refused a fresh token ({rejected.error})", url=url) from None
                token_renewed = True
                token = self._renew_token(stale=token)
            except (httpx.HTTPError, _BrokenBody) as exc:
                failures += 1
                error = self._session.body_error(exc, action=action, url=url)
                if failures >= policy.max_attempts:
                    raise error from None
                if last_id is not None:
                    resume_after = self._record_id({"id": last_id}, url=url)
                logger.warning("%s; reading the records again (attempt %d)", error, failures + 1)
                policy.sleep(policy.backoff(failures))

    def count_records(
        self,
        *,
        dataset: int | None = None,
        table: str | None = None,
        search: Mapping[str, str] | None = None,
        exact: bool = False,
    ) -> int:
        """How many records match (the envelope's `total` of a read with limit=1)."""
        filters = self._record_filters(dataset=dataset, table=table, search=search, exact=exact)
        filters["limit"] = "1"
        url = self._session.url_for(_ECNOW)
        envelope = self._with_token(
            lambda token: self._read_envelope(_ECNOW, "ecnow_records", filters, token)
        )
        return _int(envelope.get("total"), what="total", url=url)

    # ----------------------------------------------------------------------------------------- writes

    def create_datasets(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Create datasets (`import_table`, `description`). Not idempotent."""
        return self._write("ecnow_datasets", "create", rows, idempotent=False)

    def update_datasets(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Update datasets (`dataset` required; `description`, `qid`, `d_status`, `d_priority`)."""
        return self._write("ecnow_datasets", "update", rows, idempotent=True)

    def create_records(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Create up to 1000 records (`dataset` and a phone required). Not idempotent."""
        if len(rows) > MAX_WRITE_ROWS:
            raise ValueError(f"create_records takes at most {MAX_WRITE_ROWS} rows per call, got {len(rows)}")
        return self._write("ecnow_records", "create", rows, idempotent=False)

    def update_records(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Update records (`id` and `dataset` required)."""
        return self._write("ecnow_records", "update", rows, idempotent=True)

    # ------------------------------------------------------------------------------------------ token

    def _current_token(self) -> str:
        token = self._token
        if token is not None:
            return token
        return self._renew_token(stale=None)

    def _renew_token(self, *, stale: str | None) -> str:
        """Get a token, unless another thread already replaced the `stale` one."""
        with self._token_lock:
            if self._token is not None and self._token != stale:
                return self._token
            self._token = None
            token = self._fetch_token()
            self._token = token
            return token

    def _fetch_token(self) -> str:
        self.token_fetches += 1
        url = self._session.url_for(_TOKEN_SCRIPT)
        response = self._session.request(
            "POST",
            _TOKEN_SCRIPT,
            action="token.get",
            idempotent=True,
            data={
                "action": "get",
                "format": "json",
                "username": self._username,
                "password": self._password,
            },
        )
        envelope = self._envelope(response, url=url)
        if not _is_true(envelope.get("success")):
            error = text(envelope.get("error")) or "no error text"
            if error == AUTHENTICATION_FAILURE:
                raise AuthError(
                    f"ContactNow refused the credentials ({error}); "
                    "check the username and password environment variables",
                    url=url,
                )
            raise ApiError(error, url=url)
        token = envelope.get("token")
        if not isinstance(token, str) or not token:
            raise ApiError("ContactNow token.php answered success without a token", url=url)
        register_secret(token)
        logger.debug("ContactNow token obtained (fetch %d)", self.token_fetches)
        return token

    def _with_token(self, call: Callable[[str], _T]) -> _T:
        """Run `call` with the token; on a token error, renew the token once and run it once more."""
        token = self._current_token()
        try:
            return call(token)
        except _TokenRejected as first:
            logger.info("ContactNow token refused (%s); getting a new one", first.error)
            token = self._renew_token(stale=token)
        try:
            return call(token)
        except _TokenRejected as second:
            raise AuthError(
                f"ContactNow refused a fresh token ({second.error}); "
                "the token may be bound to another IP address",
            ) from None

    # -------------------------------------------------------------------------------------- envelopes

    def _envelope(self, response: httpx.Response, *, url: str, exact_numbers: bool = False) -> dict[str, Any]:
        status = response.status_code
        if status in (401, 403):
            raise AuthError("ContactNow refused the request", status=status, url=url)
        if not 200 <= status < 300:
            raise ApiError("ContactNow answered an unexpected HTTP status", status=status, url=url)
        try:
            envelope = json.loads(response.content, parse_float=Decimal if exact_numbers else float)
        except ValueError:
            raise ApiError("ContactNow answered something that is not JSON", status=status, url=url) from None
        if not isinstance(envelope, dict):
            raise ApiError("ContactNow answered JSON that is not an envelope object", status=status, url=url)
        return envelope

    def _check(self, envelope: Mapping[str, Any], *, url: str) -> None:
        """Raise for `success: false`: _TokenRejected for token errors, else ApiError/AuthError."""
        if _is_true(envelope.get("success")):
            return
        error = text(envelope.get("error")) if envelope.get("error") is not None else ""
        if error in TOKEN_ERRORS:
            raise _TokenRejected(error)
        if error == AUTHENTICATION_FAILURE:
            raise AuthError(error, url=url)
        raise ApiError(error or "ContactNow answered success: false without an error text", url=url)

    def _read_envelope(
        self, script: str, method: str, filters: Mapping[str, str], token: str
    ) -> dict[str, Any]:
        url = self._session.url_for(script, {"method": method, "action": "read"})
        form = {**filters, "method": method, "action": "read", "format": "json", "token": token}
        response = self._session.request("POST", script, action=f"{method}.read", idempotent=True, data=form)
        envelope = self._envelope(response, url=url)
        self._check(envelope, url=url)
        return envelope

    def _read(self, script: str, method: str, filters: Mapping[str, str]) -> list[Mapping[str, Any]]:
        url = self._session.url_for(script, {"method": method, "action": "read"})
        envelope = self._with_token(lambda token: self._read_envelope(script, method, filters, token))
        return _rows_of(envelope.get("list"), url=url)

    def _write(
        self, method: str, action: str, rows: Sequence[Mapping[str, str]], *, idempotent: bool
    ) -> WriteResult:
        if not rows:
            raise ValueError(f"{method}.{action} needs at least one row")
        body = json.dumps([dict(row) for row in rows], ensure_ascii=False, separators=(",", ":")).encode()

        def call(token: str) -> WriteResult:
            params = {"method": method, "action": action, "format": "json", "raw": "1", "token": token}
            url = self._session.url_for(_ECNOW, params)
            response = self._session.request(
                "POST",
                _ECNOW,
                action=f"{method}.{action}",
                idempotent=idempotent,
                params=params,
                content=body,
                headers={"Content-Type": "application/json"},
            )
            envelope = self._envelope(response, url=url)
            self._check(envelope, url=url)
            return WriteResult(
                total=_int(envelope.get("total"), what="total", url=url),
                bad=_int(envelope.get("bad"), what="bad", url=url),
                key=_optional_text(envelope.get("key")),
                info=_optional_text(envelope.get("info")),
                error=_optional_text(envelope.get("error")),
            )

        return self._with_token(call)

    # ------------------------------------------------------------------------------------ record reads

    @staticmethod
    def _record_filters(
        *, dataset: int | None, table: str | None, search: Mapping[str, str] | None, exact: bool
    ) -> dict[str, str]:
        if dataset is None and table is None:
            raise ValueError("reading records needs a dataset or a table")
        filters: dict[str, str] = {}
        if dataset is not None:
            filters["dataset"] = str(dataset)
        if table is not None:
            filters["table"] = table
        for name, value in (search or {}).items():
            filters[f"search[{name}]"] = value
        if exact:
            filters["type"] = "exact"
        return filters

    def _stream_records(self, filters: Mapping[str, str]) -> Iterator[dict[str, str]]:
        """One page of records, parsed as it streams; token renewal and body-failure resume included."""
        action = "ecnow_records.read"
        url = self._session.url_for(_ECNOW, {"method": "ecnow_records", "action": "read"})
        policy = self._session.retry
        token = self._current_token()
        token_renewed = False
        failures = 0
        last_id: str | None = None  # id of the last row yielded
        resume_after: int | None = None  # skip rows up to this id: a body broke after yielding it
        while True:
            form = {**filters, "method": "ecnow_records", "action": "read", "format": "json", "token": token}
            try:
                with self._session.stream("POST", _ECNOW, action=action, data=form) as response:
                    if not 200 <= response.status_code < 300:
                        response.read()
                        self._envelope(response, url=url)  # raises for the status
                    reader = BodyReader(response.iter_bytes())
                    parsed = 0
                    for item in ijson.items(reader, "list.item", use_float=False):
                        parsed += 1
                        if not isinstance(item, dict):
                            raise ApiError("ContactNow answered a record that is not an object", url=url)
                        row = _text_row(item)
                        if resume_after is not None:
                            if self._record_id(row, url=url) <= resume_after:
                                continue
                            resume_after = None
                        last_id = row.get("id")
                        yield row
                    if parsed == 0:
                        envelope = self._small_envelope(reader, url=url)
                        self._check(envelope, url=url)
                        for single in _rows_of(envelope.get("list"), url=url):
                            row = _text_row(single)
                            if resume_after is not None and self._record_id(row, url=url) <= resume_after:
                                continue
                            last_id = row.get("id")
                            yield row
                    return
            except _TokenRejected as rejected:
                if token_renewed:
                    raise AuthError(f"ContactNow refused a fresh token ({rejected.error})", url=url) from None
                token_renewed = True
                token = self._renew_token(stale=token)
            except (httpx.HTTPError, ijson.JSONError) as exc:
                failures += 1
                error = self._session.body_error(exc, action=action, url=url)
                if failures >= policy.max_attempts:
                    raise error from None
                if last_id is not None:
                    resume_after = self._record_id({"id": last_id}, url=url)
                logger.warning("%s; fetching the page again (attempt %d)", error, failures + 1)
                policy.sleep(policy.backoff(failures))

    @staticmethod
    def _record_id(row: Mapping[str, str], *, url: str) -> int:
        try:
            return int(row.get("id", ""))
        except ValueError:
            raise ApiError(
                "ContactNow answered a record without a numeric id; cannot resume the page", url=url
            ) from None

    @staticmethod
    def _small_envelope(reader: BodyReader, *, url: str) -> dict[str, Any]:
        """The envelope of a streamed body that held no list item (an error, an empty list, or one row)."""
        reader.drain()
        if not reader.complete:
            raise ApiError("ContactNow answered a large body without a `list` array", url=url)
        try:
            envelope = json.loads(reader.head)
        except ValueError:
            raise ApiError("ContactNow answered something that is not JSON", url=url) from None
        if not isinstance(envelope, dict):
            raise ApiError("ContactNow answered JSON that is not an envelope object", url=url)
        return envelope
