"""Load a YAML seed (accounts, campaign tables, queues, outcome codes, CC tenants, CRM customers, campaigns).

The format is described in `default_seed.yaml` (the seed the emulator uses when none is given). A seed is
loaded once, into a new database; `build_state` never re-seeds a database file that already holds one.
Every problem is reported as `SeedError` naming the path inside the document, e.g.
`contactnow.tables[0].fields[1].size: expected a positive integer`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import sqlite3
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .contactnow_fields import CUSTOM_TYPES, STANDARD_FIELDS, STANDARD_NAMES, FieldDef
from .store import Store

log = logging.getLogger(__name__)

DEFAULT_SEED = "default_seed.yaml"
QUEUE_TYPES = ("inbound", "outbound", "ivr", "broadcast", "message", "sms_out", "sms_broadcast")
MAX_CRM_RANGE = 10_000_000


class SeedError(ValueError):
    """The seed file is not valid; the message names where and why."""


def default_seed_text() -> str:
    """The text of the bundled default seed."""
    return resources.files(__package__).joinpath(DEFAULT_SEED).read_text(encoding="utf-8")


def parse_seed(text: str) -> dict[str, Any]:
    """Parse seed YAML text (safe loader) into plain data; an empty document is an empty seed."""
    yaml = YAML(typ="safe", pure=True)
    try:
        data = yaml.load(io.StringIO(text))
    except YAMLError as exc:
        raise SeedError(f"seed is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SeedError("seed: expected a mapping at the top level")
    return data


def load_seed(store: Store, seed: str | Path | None = None) -> None:
    """Load the seed file `seed` (the bundled default when None) into `store` and mark it seeded."""
    text = default_seed_text() if seed is None else Path(seed).read_text(encoding="utf-8")
    load_seed_data(store, parse_seed(text))


def load_seed_data(store: Store, data: Mapping[str, Any]) -> None:
    """Validate seed data and insert it in one transaction; nothing is stored if any part is invalid."""
    _check_keys(data, "seed", {"contactnow", "contactcenter"})
    cn = _mapping(data.get("contactnow", {}), "contactnow")
    cc = _mapping(data.get("contactcenter", {}), "contactcenter")
    _check_keys(cn, "contactnow", {"users", "tables", "queues", "outcomecodes"})
    _check_keys(cc, "contactcenter", {"tenants", "crm_customers", "campaigns"})
    with store.transaction() as conn:
        for path, item in _items(cn, "users", "contactnow"):
            _check_keys(item, path, {"username", "password", "account_id"})
            conn.execute(
                "INSERT OR REPLACE INTO cn_users(username, password, account_id) VALUES (?, ?, ?)",
                (
                    _text(item, "username", path),
                    _text(item, "password", path),
                    _text(item, "account_id", path),
                ),
            )
        for path, item in _items(cn, "tables", "contactnow"):
            _insert_table(conn, item, path)
        for path, item in _items(cn, "queues", "contactnow"):
            _check_keys(item, path, {"qid", "type", "description", "campaignid", "callerid"})
            qtype = _text(item, "type", path)
            if qtype not in QUEUE_TYPES:
                raise SeedError(f"{path}.type: expected one of {', '.join(QUEUE_TYPES)}")
            conn.execute(
                "INSERT OR REPLACE INTO cn_queues(qid, type, description, campaignid, callerid)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    _int(item, "qid", path),
                    qtype,
                    _text(item, "description", path, ""),
                    _int(item, "campaignid", path, 0),
                    _text(item, "callerid", path, ""),
                ),
            )
        for path, item in _items(cn, "outcomecodes", "contactnow"):
            _check_keys(
                item,
                path,
                {"outcome", "description", "dmc", "sale", "complete", "do_not_call", "answerphone", "system"},
            )
            conn.execute(
                "INSERT OR REPLACE INTO cn_outcomes(outcome, description, dmc, sale, complete, do_not_call,"
                " answerphone, system) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _int(item, "outcome", path),
                    _text(item, "description", path, ""),
                    _yn(item, "dmc", path),
                    _yn(item, "sale", path),
                    _yn(item, "complete", path),
                    _yn(item, "do_not_call", path),
                    _text(item, "answerphone", path, "0"),
                    1 if _bool(item, "system", path) else 0,
                ),
            )
        for path, item in _items(cc, "tenants", "contactcenter"):
            _check_keys(item, path, {"name", "token"})
            conn.execute(
                "INSERT OR REPLACE INTO cc_tenants(name, token) VALUES (?, ?)",
                (_text(item, "name", path), _text(item, "token", path)),
            )
        for path, item in _items(cc, "crm_customers", "contactcenter"):
            conn.executemany(
                "INSERT OR REPLACE INTO crm_customers(id, phone) VALUES (?, ?)", _customers(item, path)
            )
        for path, item in _items(cc, "campaigns", "contactcenter"):
            _check_keys(item, path, {"id", "name", "dynamic", "enabled", "status", "start", "end"})
            conn.execute(
                "INSERT OR REPLACE INTO cc_campaigns"
                "(id, name, dynamic, enabled, status, start_time, end_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    _int(item, "id", path),
                    _text(item, "name", path, ""),
                    _yn(item, "dynamic", path, "Y"),
                    _yn(item, "enabled", path, "Y"),
                    _int(item, "status", path, 0),
                    _time(item, "start", path),
                    _time(item, "end", path),
                ),
            )
        conn.execute("INSERT OR REPLACE INTO emu_meta(key, value) VALUES ('seeded', '1')")
    log.info("emulator store seeded")


def _insert_table(conn: sqlite3.Connection, item: Mapping[str, Any], path: str) -> None:
    _check_keys(item, path, {"name", "campaign", "fields"})
    name = _text(item, "name", path)
    conn.execute(
        "INSERT OR REPLACE INTO cn_tables(name, campaign) VALUES (?, ?)",
        (name, _int(item, "campaign", path, 0)),
    )
    conn.execute("DELETE FROM cn_fields WHERE table_name = ?", (name,))
    fields: list[FieldDef] = list(STANDARD_FIELDS)
    seen = set(STANDARD_NAMES)
    for fpath, field in _items(item, "fields", path):
        _check_keys(field, fpath, {"name", "type", "size", "group_name", "readonly", "search", "hidden"})
        fname = _text(field, "name", fpath)
        if not fname.isidentifier():
            raise SeedError(f"{fpath}.name: expected letters, digits and underscores")
        if fname.lower() in seen:
            raise SeedError(f"{fpath}.name: field {fname} is already defined")
        seen.add(fname.lower())
        ftype = _text(field, "type", fpath, "varchar")
        if ftype not in CUSTOM_TYPES:
            raise SeedError(f"{fpath}.type: expected one of {', '.join(CUSTOM_TYPES)}")
        size = _int(field, "size", fpath, 100)
        if size < 1:
            raise SeedError(f"{fpath}.size: expected a positive integer")
        fields.append(
            FieldDef(
                fname,
                ftype,
                size,
                _text(field, "group_name", fpath, "Custom"),
                standard=False,
                readonly=_yn(field, "readonly", fpath),
                search=_yn(field, "search", fpath),
                hidden=_yn(field, "hidden", fpath),
            )
        )
    for position, f in enumerate(fields, start=1):
        conn.execute(
            "INSERT INTO cn_fields(table_name, position, name, size, standard_field, group_name, type,"
            " prompt, readonly, search, hidden, hidden_on_script, ord, picklist, required)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'N', ?, '', 'N')",
            (
                name,
                position,
                f.name,
                f.size,
                1 if f.standard else 0,
                f.group_name,
                f.type,
                f.name,
                f.readonly,
                f.search,
                f.hidden,
                position - 1,
            ),
        )


def _customers(item: Any, path: str) -> Iterator[tuple[int, str]]:
    item = _mapping(item, path)
    if "from" in item or "to" in item:
        _check_keys(item, path, {"from", "to", "phone_prefix"})
        first, last = _int(item, "from", path), _int(item, "to", path)
        if last < first or last - first >= MAX_CRM_RANGE:
            raise SeedError(f"{path}: expected from <= to, at most {MAX_CRM_RANGE} customers")
        prefix = _text(item, "phone_prefix", path, "")
        for cid in range(first, last + 1):
            yield cid, f"{prefix}{cid % 10_000:04d}"
    else:
        _check_keys(item, path, {"id", "phone"})
        yield _int(item, "id", path), _text(item, "phone", path, "")


# -- small typed accessors ----


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SeedError(f"{path}: expected a mapping")
    return value


def _check_keys(item: Mapping[str, Any], path: str, allowed: set[str]) -> None:
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise SeedError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _items(parent: Mapping[str, Any], key: str, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    value = parent.get(key)
    if value is None:
        return
    if not isinstance(value, list):
        raise SeedError(f"{path}.{key}: expected a list")
    for index, item in enumerate(value):
        item_path = f"{path}.{key}[{index}]"
        yield item_path, _mapping(item, item_path)


_MISSING: Any = object()


def _text(item: Mapping[str, Any], key: str, path: str, default: str = _MISSING) -> str:
    value = item.get(key)
    if value is None:
        if default is _MISSING:
            raise SeedError(f"{path}.{key}: required")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SeedError(f"{path}.{key}: expected text")
    return str(value)


def _int(item: Mapping[str, Any], key: str, path: str, default: int = _MISSING) -> int:
    value = item.get(key)
    if value is None:
        if default is _MISSING:
            raise SeedError(f"{path}.{key}: required")
        return default
    if isinstance(value, bool):
        raise SeedError(f"{path}.{key}: expected an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SeedError(f"{path}.{key}: expected an integer") from None


def _bool(item: Mapping[str, Any], key: str, path: str) -> bool:
    value = item.get(key, False)
    if value in (True, False):
        return bool(value)
    raise SeedError(f"{path}.{key}: expected true or false")


def _yn(item: Mapping[str, Any], key: str, path: str, default: str = "N") -> str:
    value = item.get(key)
    if value is None:
        return default
    if value is True or value is False:
        return "Y" if value else "N"
    if value in ("Y", "N"):
        return str(value)
    raise SeedError(f"{path}.{key}: expected Y or N")


def _time(item: Mapping[str, Any], key: str, path: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise SeedError(f"{path}.{key}: expected an ISO 8601 date-time") from None
        if parsed.tzinfo is None:
            raise SeedError(f"{path}.{key}: expected a UTC offset or Z")
        return parsed.isoformat()
    raise SeedError(f"{path}.{key}: expected an ISO 8601 date-time")
