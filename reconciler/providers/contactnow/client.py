"""HTTP client for the 8x8 ContactNow API v2 (token.php, ecnow.php, database.php): the facade the provider uses.

It knows URLs, the token, paging, retries and the envelope, and returns wire models (wire.py). It knows
nothing of plans. Every call sends `format=json`. The work is split by concern: envelope.py (the answer
around every call), token.py (the one owner of the token), records.py (the one record reader) and codec.py
(what a records body is decoded into).

- Reads are POSTs whose arguments (the token included) are form fields, so no token appears in a URL.
- Writes (`create`/`update`) send the rows as a raw JSON array body with `raw=1`; their arguments, the token
  included, go in the query string (httpx logs URLs: the log filter of reconciler.redact scrubs it).
- An envelope error "Invalid token", "Expired token" or "Unknown token" gets one new token and one retry of
  that call. `token_fetches` counts every token.php?action=get the client made.
- `success: false` raises ApiError whose `.message` is the vendor's `error` text (AuthError for
  "Authentication failure"). A write with `bad > 0` is not an exception: it returns a WriteResult.
- Creates are not idempotent: after an ambiguous failure they raise AmbiguousWriteError (see
  providers.http.retry) and the caller must re-read by key before it tries again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import httpx
import msgspec

from reconciler.providers.http.rate import RateBudget
from reconciler.providers.http.retry import RetryPolicy
from reconciler.providers.http.session import HttpSession, SessionClient
from reconciler.redact import register_secret

from . import envelope
from .codec import Frames
from .envelope import TOKEN_ERRORS
from .records import ECNOW, RecordReader, record_filters
from .token import Token
from .wire import (
    CampaignField,
    WireDataset,
    WireOutcome,
    WireQueue,
    WireTodPolicy,
    WireTodRule,
    WriteResult,
    text,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = ["MAX_WRITE_ROWS", "TOKEN_ERRORS", "ContactNowClient"]

MAX_WRITE_ROWS: Final = 1000
"""Rows one ecnow_records create may carry."""

_DATABASE = "database.php"


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
        self._token = Token(self._session, username, password)
        self._records = RecordReader(self._session, self._token)

    @property
    def token_fetches(self) -> int:
        """How many times the client asked token.php for a token (the first time included)."""
        return self._token.fetches

    # ------------------------------------------------------------------------------------------ reads

    def campaign_tables(self) -> list[str]:
        """The names of the campaign tables."""
        rows = self._read(ECNOW, "campaign_tables", {})
        return [text(row.get("name")) for row in rows]

    def campaign_fields(self, table: str) -> list[CampaignField]:
        """The fields of one campaign table, standard and custom."""
        rows = self._read(ECNOW, "campaign_fields", {"table": table})
        return [CampaignField.from_row(row) for row in rows]

    def queues(self) -> list[WireQueue]:
        """Every queue of the contact centre (callers skip qid 999 and 505050: not real queues)."""
        return [WireQueue.from_row(row) for row in self._read(_DATABASE, "queues", {})]

    def outcome_codes(self, *, system: bool = False) -> list[WireOutcome]:
        """Every outcome code (database.php outcomecodes); with `system`, only the system codes."""
        filters = {"mode": "system"} if system else {}
        return [WireOutcome.from_row(row) for row in self._read(_DATABASE, "outcomecodes", filters)]

    def tod_policies(self) -> list[WireTodPolicy]:
        """Every time-of-day policy (database.php tod_policy)."""
        return [WireTodPolicy.from_row(row) for row in self._read(_DATABASE, "tod_policy", {})]

    def tod_rules(self, policy: str | None = None) -> list[WireTodRule]:
        """The rules of one policy, or of every policy (database.php tod_rules)."""
        filters = {} if policy is None else {"policy": policy}
        return [WireTodRule.from_row(row) for row in self._read(_DATABASE, "tod_rules", filters)]

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
        return [WireDataset.from_row(row) for row in self._read(ECNOW, "ecnow_datasets", filters)]

    def iter_records(
        self,
        *,
        dataset: int | None = None,
        table: str | None = None,
        search: Mapping[str, str] | None = None,
        exact: bool = False,
        page_size: int = 10_000,
    ) -> Iterator[dict[str, str]]:
        """Every matching record, in id order, as text values; read in pages and handed on as they stream.

        Pages use `limit`/`start` with `sort=id`; the read stops at the first short page. A page whose body
        breaks part way is read again and resumes after the last id already yielded.
        """
        filters = record_filters(dataset=dataset, table=table, search=search, exact=exact)
        yield from self._records.rows(filters, page_size=page_size)

    def iter_record_frames(
        self, names: Sequence[str], *, dataset: int | None = None, table: str | None = None
    ) -> Iterator[pl.DataFrame]:
        """The records of `iter_records` in one streamed request, as polars frames of the columns `names`
        (matched without regard to case; "" where a row lacks one; every value text), a piece of a few MB at a
        time. `names` must include id."""
        folded = [name.casefold() for name in names]
        if "id" not in folded or len(set(folded)) != len(folded):
            raise ValueError("names must include id, each name once")
        filters = record_filters(dataset=dataset, table=table, search=None, exact=False)
        yield from self._records.read({**filters, "sort": "id"}, Frames(names))

    def count_records(
        self,
        *,
        dataset: int | None = None,
        table: str | None = None,
        search: Mapping[str, str] | None = None,
        exact: bool = False,
        outcome: str | None = None,
        unexpired: bool = False,
    ) -> int:
        """How many records match (the envelope's `total` of a read with limit=1); `outcome` keeps those with
        that outcome code, `unexpired` those whose ProcessType is not EXPIRED."""
        filters = record_filters(dataset=dataset, table=table, search=search, exact=exact)
        if outcome is not None:
            filters["outcome"] = outcome
        if unexpired:
            filters["mode"] = "unexpired"
        filters["limit"] = "1"
        url = self._session.url_for(ECNOW)
        answer = self._token.call(lambda token: self._read_envelope(ECNOW, "ecnow_records", filters, token))
        return envelope.integer(answer.get("total"), what="total", url=url)

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

    def create_outcome_codes(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Create outcome codes (database.php outcomecodes, as the vendor's own client sends them). Not
        idempotent."""
        return self._write("outcomecodes", "create", rows, idempotent=False, script=_DATABASE)

    def update_outcome_codes(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Update outcome codes (`outcome` required). A system code is refused whole: ApiError."""
        return self._write("outcomecodes", "update", rows, idempotent=True, script=_DATABASE)

    def create_tod_policies(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Create time-of-day policies (`description`, `default`, `timezone`). Not idempotent."""
        return self._write("tod_policy", "create", rows, idempotent=False, script=_DATABASE)

    def update_tod_policies(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Update time-of-day policies (`uid` required)."""
        return self._write("tod_policy", "update", rows, idempotent=True, script=_DATABASE)

    def create_tod_rules(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Create rules (`policy` and `rule` required); the answer has no key: re-read by policy."""
        return self._write("tod_rules", "create", rows, idempotent=False, script=_DATABASE)

    def update_tod_rules(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Update rules (`policy` and `rule` required)."""
        return self._write("tod_rules", "update", rows, idempotent=True, script=_DATABASE)

    def update_queues(self, rows: Sequence[Mapping[str, str]]) -> WriteResult:
        """Update queues (`qid` required; `tod`, `callerid`)."""
        return self._write("queues", "update", rows, idempotent=True, script=_DATABASE)

    # -------------------------------------------------------------------------------------- internals

    def _read_envelope(
        self, script: str, method: str, filters: Mapping[str, str], token: str
    ) -> dict[str, Any]:
        url = self._session.url_for(script, {"method": method, "action": "read"})
        form = {**filters, "method": method, "action": "read", "format": "json", "token": token}
        response = self._session.request("POST", script, action=f"{method}.read", idempotent=True, data=form)
        answer = envelope.decode(response, url=url)
        envelope.check(answer, url=url)
        return answer

    def _read(self, script: str, method: str, filters: Mapping[str, str]) -> list[Mapping[str, Any]]:
        url = self._session.url_for(script, {"method": method, "action": "read"})
        answer = self._token.call(lambda token: self._read_envelope(script, method, filters, token))
        return envelope.rows_of(answer.get("list"), url=url)

    def _write(
        self,
        method: str,
        action: str,
        rows: Sequence[Mapping[str, str]],
        *,
        idempotent: bool,
        script: str = ECNOW,
    ) -> WriteResult:
        if not rows:
            raise ValueError(f"{method}.{action} needs at least one row")
        # msgspec writes the bytes json.dumps(ensure_ascii=False, separators=(",", ":")) writes, at a tenth of
        # the CPU (0.4 against 4.5 us a row of a 1,000-row create).
        body = msgspec.json.encode([row if type(row) is dict else dict(row) for row in rows])

        def call(token: str) -> WriteResult:
            params = {"method": method, "action": action, "format": "json", "raw": "1", "token": token}
            url = self._session.url_for(script, params)
            response = self._session.request(
                "POST",
                script,
                action=f"{method}.{action}",
                idempotent=idempotent,
                params=params,
                content=body,
                headers={"Content-Type": "application/json"},
            )
            answer = envelope.decode(response, url=url)
            envelope.check(answer, url=url)
            return WriteResult(
                total=envelope.integer(answer.get("total"), what="total", url=url),
                bad=envelope.integer(answer.get("bad"), what="bad", url=url),
                key=envelope.optional_text(answer.get("key")),
                info=envelope.optional_text(answer.get("info")),
                error=envelope.optional_text(answer.get("error")),
            )

        return self._token.call(call)
