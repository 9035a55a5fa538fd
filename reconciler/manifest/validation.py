"""Turn pydantic's validation errors into Problems a person can act on, located at the value's line.

`priority 95 is above 90`, `unknown field "prority"` with `did you mean "priority"?`, `status "PAUSED" is not one
of HOLD, LIVE, EXPIRED`. A value is quoted back only for fields known to hold no personal data or secrets.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.errors import Location, Problem

from . import yaml_loader as y

ECHO_SAFE = frozenset(
    {
        "apiVersion",
        "kind",
        "name",
        "campaign",
        "description",
        "queue",
        "status",
        "priority",
        "id",
        "acknowledge",
        "dataset",
        "key",
        "fields",
        "policy",
        "outcome",
        "maxPercent",
        "minRows",
        "absent",
        "region",
        "platform",
        "defaultTarget",
        "schedule",
        "source",
        "allowInsecureHttp",
        "manifests",
        "dates",
    }
)
"""Fields whose values may be quoted in messages: identifiers and settings, never personal data or secrets."""

CREDENTIAL_KEYS = {
    "username": "usernameEnv",
    "user": "usernameEnv",
    "password": "passwordEnv",
    "pass": "passwordEnv",
    "tenant": "tenantEnv",
    "token": "tokenEnv",
    "apitoken": "tokenEnv",
    "apikey": "tokenEnv",
    "secret": "passwordEnv",
}
"""Keys that would put a credential in a file, and the *Env form to use instead."""

_ITEM_LABELS = {"rows": "row", "members": "member", "fields": "field", "manifests": "manifests"}

_REQUIRED_HINTS = {
    "apiVersion": "add apiVersion: reconciler/v1",
    "metadata": "add metadata: {name: <name>}",
    "metadata.name": "add name: <name> under metadata",
    "spec": "add the spec: mapping of this kind",
    "campaign": "name it, e.g. campaign: Willtest (a ContactNow campaign table) or campaign: 125 (a CC campaign)",
    "description": "add its description, e.g. description: Spring renewals",
    "complete": "say whether a record given this code leaves the dialler: complete: true, or complete: false",
    "status": "declare it, e.g. status: RUNNING",
    "dataset": "name the Dataset document these records belong to, e.g. dataset: spring-renewals",
    "fields": "list the managed fields, e.g. fields: [FirstName, LastName, MobilePhone]",
    "customer-id": "add the CRM customer id, e.g. customer-id: 10000001",
    "usernameEnv": "name the environment variable holding the username, e.g. usernameEnv: CONTACTNOW_USERNAME",
    "passwordEnv": "name the environment variable holding the password, e.g. passwordEnv: CONTACTNOW_PASSWORD",
    "tenantEnv": "name the environment variable holding the tenant, e.g. tenantEnv: CC_TENANT",
    "tokenEnv": "name the environment variable holding the API token, e.g. tokenEnv: CC_TOKEN",
}

_POLICIES = "see the manifest reference for the policies of absent and dedupe"
_LITERAL_HINTS = {
    # by the values allowed, since two fields of one name (a dataset's and a campaign's status) allow others
    (
        "HOLD",
        "LIVE",
        "EXPIRED",
    ): "HOLD keeps the dataset off the dialler, LIVE dials it, EXPIRED closes it for ever",
    (
        "RUNNING",
        "PAUSED",
        "PURGED",
        "STOPPED",
    ): "RUNNING dials; PAUSED still dials what is queued; PURGED also flushes the queue; STOPPED is final",
    ("ignore", "complete"): _POLICIES,
    ("report", "complete"): _POLICIES,
    ("ignore", "remove"): "ignore leaves members that are not listed; remove removes them",
}

_RANGE_HINTS = {
    "priority": "use 0 to 90",
    "maxPercent": "use 0 to 100",
    "concurrency": "use 1 to 16 write requests in flight (the default is 4)",
    "requestsPerSecond": "give a number above 0 and at most 1000, e.g. requestsPerSecond: 10, or remove it",
}


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate the user most likely meant, or None."""
    options = list(candidates)
    folded = {_fold(option): option for option in options}
    if _fold(name) in folded:
        return folded[_fold(name)]
    matches = difflib.get_close_matches(name, options, n=1, cutoff=0.75)
    if matches:
        return matches[0]
    matches = difflib.get_close_matches(_fold(name), list(folded), n=1, cutoff=0.75)
    return folded[matches[0]] if matches else None


def _fold(name: str) -> str:
    return name.casefold().replace("_", "").replace("-", "")


def label(loc: Sequence[int | str]) -> str:
    """How a field is named in a message: its path inside spec, list items by their singular."""
    parts = list(loc)
    if parts == ["spec"]:
        return "spec"
    if parts and parts[0] == "spec":
        parts = parts[1:]
    if len(parts) >= 2 and parts[0] == "targets":
        parts = parts[2:] if len(parts) > 2 else [f"target {parts[1]}"]
    for index in range(len(parts) - 1, -1, -1):
        if isinstance(parts[index], int):
            container = str(parts[index - 1]) if index > 0 else "item"
            rest = [str(part) for part in parts[index + 1 :] if not isinstance(part, int)]
            return ".".join(rest) if rest else _ITEM_LABELS.get(container, container)
    text = ".".join(str(part) for part in parts if part != "[key]")
    return text or "document"


def find(root: y.Node | None, loc: Sequence[int | str]) -> y.Node | None:
    """The node at a pydantic error location, or None when it is not there."""
    node = root
    for part in loc:
        if isinstance(node, y.Mapping) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, y.Sequence) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        else:
            return None
    return node


def locate(root: y.Node, loc: Sequence[int | str], fallback: Location) -> Location:
    """The location of the value at `loc`, or of the nearest enclosing node that exists."""
    for depth in range(len(loc), -1, -1):
        node = find(root, loc[:depth])
        if node is not None:
            return node.location
    return fallback


def key_location(root: y.Node, loc: Sequence[int | str], fallback: Location) -> Location:
    """Where the key of the last element of `loc` is written (for unknown fields)."""
    parent = find(root, loc[:-1])
    if isinstance(parent, y.Mapping) and loc and isinstance(loc[-1], str):
        key = parent.key(loc[-1])
        if key is not None:
            return key.location
    return locate(root, loc, fallback)


def introducer_location(root: y.Node, loc: Sequence[int | str], fallback: Location) -> Location:
    """Where the mapping at `loc` is introduced: its key when it has one (for missing fields)."""
    if loc and isinstance(loc[-1], str):
        parent = find(root, loc[:-1])
        if isinstance(parent, y.Mapping):
            key = parent.key(loc[-1])
            if key is not None:
                return key.location
    return locate(root, loc, fallback)


def problems_from(
    error: ValidationError,
    root: y.Mapping,
    model: type[BaseModel],
    address: str | None,
    fallback: Location,
) -> list[Problem]:
    """One Problem per pydantic error, located in the YAML and worded for people. A missing field is not
    reported when an unknown field beside it is a misspelling of it: "did you mean" already says so."""
    details = error.errors(include_url=False)
    misspelt = set()
    for detail in details:
        loc = tuple(detail["loc"])
        if detail["type"] == "extra_forbidden" and loc:
            guess = suggest(str(loc[-1]), _allowed_fields(model, loc[:-1]))
            if guess:
                misspelt.add((*loc[:-1], guess))
    problems = []
    for detail in details:
        loc = tuple(detail["loc"])
        if detail["type"] == "missing" and loc in misspelt:
            continue
        reason, remedy, where = _explain(detail, loc, root, model, fallback)
        problems.append(Problem(reason, where, address, remedy or None))
    return problems


def _explain(
    detail: Any, loc: tuple[int | str, ...], root: y.Mapping, model: type[BaseModel], fallback: Location
) -> tuple[str, str, Location]:
    kind: str = detail["type"]
    ctx: dict[str, Any] = detail.get("ctx") or {}
    name = label(loc)
    leaf = next((str(part) for part in reversed(loc) if isinstance(part, str) and part != "[key]"), "")
    node = find(root, loc)
    if loc and loc[-1] == "[key]":
        where = key_location(root, loc[:-1], fallback)
    elif isinstance(node, y.Mapping):
        where = introducer_location(root, loc, fallback)
    else:
        where = locate(root, loc, fallback)
    value = detail.get("input")
    scalar = isinstance(value, str)
    echo = scalar and (leaf in ECHO_SAFE or "[key]" in loc)
    shown = f' "{value}"' if echo else ""

    if kind == "missing":
        field = str(loc[-1])
        full = name if name != "document" else field
        return (
            f'missing required field "{full}"',
            _REQUIRED_HINTS.get(full, _REQUIRED_HINTS.get(field, "")),
            introducer_location(root, loc[:-1], fallback),
        )
    if kind == "extra_forbidden":
        field = str(loc[-1])
        where = key_location(root, loc, fallback)
        if _fold(field) in CREDENTIAL_KEYS and "targets" in loc:
            env = CREDENTIAL_KEYS[_fold(field)]
            return (
                f'"{field}" would put a credential in the file',
                f"remove it and name the environment variable that holds it instead, e.g. {env}: "
                f"{_env_example(env)}",
                where,
            )
        allowed = _allowed_fields(model, loc[:-1])
        guess = suggest(field, allowed) if allowed else None
        if guess:
            remedy = f'did you mean "{guess}"?'
        elif allowed:
            remedy = "allowed here: " + ", ".join(sorted(allowed))
        else:
            remedy = "remove it"
        return f'unknown field "{field}"', remedy, where
    if kind == "reconciler":
        what = str(ctx.get("what", "is invalid"))
        remedy = str(ctx.get("remedy", ""))
        if ctx.get("whole"):
            return what, remedy, where
        if loc and loc[-1] == "[key]":
            return f"{_singular(loc)} name{shown if ctx.get('echo', True) else ''} {what}", remedy, where
        subject = name if name != "document" else "document"
        if not ctx.get("echo", True) or node is None or not isinstance(node, y.Scalar):
            return f"{subject} {what}", remedy, where
        return f"{subject}{shown} {what}", remedy, where
    if (value is None and kind.endswith(("_type", "_parsing"))) or kind == "string_too_short":
        return f"{name} is empty", "give it a value, or remove the line to use the default", where
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _typed(name, shown, node, "a whole number"), _RANGE_HINTS.get(leaf, ""), where
    if kind in {"float_parsing", "float_type"}:
        return _typed(name, shown, node, "a number"), _RANGE_HINTS.get(leaf, ""), where
    if kind in {"bool_parsing", "bool_type"}:
        return _typed(name, shown, node, "true or false"), "write true or false", where
    if kind == "string_type":
        return f"{name} must be text, not {y.describe(node)}", "", where
    if kind in {"dict_type", "model_type", "model_attributes_type", "mapping_type"}:
        return f"{name} must be a mapping of names to values, not {y.describe(node)}", "", where
    if kind in {"list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"}:
        return (
            f"{name} must be a list, not {y.describe(node)}",
            "write it as [a, b] or as lines starting with -",
            where,
        )
    if kind in {"less_than_equal", "less_than"}:
        limit = _number(ctx.get("le", ctx.get("lt")))
        number = f" {value}" if echo else ""
        beyond = "is above" if kind == "less_than_equal" else "is not below"
        return f"{name}{number} {beyond} {limit}", _RANGE_HINTS.get(leaf, ""), where
    if kind in {"greater_than_equal", "greater_than"}:
        limit = _number(ctx.get("ge", ctx.get("gt")))
        number = f" {value}" if echo else ""
        beyond = "is below" if kind == "greater_than_equal" else "is not above"
        return f"{name}{number} {beyond} {limit}", _RANGE_HINTS.get(leaf, ""), where
    if kind == "literal_error":
        options = [
            option.strip().strip("'")
            for option in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")
        ]
        options = [option for option in options if option]
        if not isinstance(node, y.Scalar):
            return f"{name} must be one of {', '.join(options)}, not {y.describe(node)}", "", where
        if len(options) == 1:
            return (
                f"{name} must be {options[0]}, not{shown or ' this value'}",
                f"write {leaf}: {options[0]}",
                where,
            )
        guess = suggest(str(value), options) if scalar else None
        remedy = f'did you mean "{guess}"?' if guess else _LITERAL_HINTS.get(tuple(options), "")
        return f"{name}{shown} is not one of {', '.join(options)}", remedy, where
    return f"{name} is invalid: {detail.get('msg', kind)}", "", where


def _number(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _typed(name: str, shown: str, node: y.Node | None, wanted: str) -> str:
    if node is not None and not isinstance(node, y.Scalar):
        return f"{name} must be {wanted}, not {y.describe(node)}"
    return f"{name}{shown} is not {wanted}"


def _singular(loc: Sequence[int | str]) -> str:
    parent = str(loc[-3]) if len(loc) >= 3 else "key"
    return {"targets": "target"}.get(parent, parent)


def _env_example(env: str) -> str:
    return {
        "usernameEnv": "CONTACTNOW_USERNAME",
        "passwordEnv": "CONTACTNOW_PASSWORD",
        "tenantEnv": "CC_TENANT",
        "tokenEnv": "CC_TOKEN",
    }[env]


def _allowed_fields(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The field names (aliases) accepted by the model found at `loc` inside `model`."""
    current: Any = model
    for part in loc:
        current = _descend(current, part)
        if current is None:
            return []
    models = [
        option for option in _unwrap(current) if isinstance(option, type) and issubclass(option, BaseModel)
    ]
    if not models:
        return []
    return [info.alias or field for field, info in models[0].model_fields.items()]


def _descend(annotation: Any, part: int | str) -> Any:
    for option in _unwrap(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            if isinstance(part, str):
                for field, info in option.model_fields.items():
                    if (info.alias or field) == part:
                        return info.annotation
            continue
        origin = typing.get_origin(option)
        args = typing.get_args(option)
        if origin in (tuple, list) and isinstance(part, int) and args:
            return args[0]
        if origin is dict and isinstance(part, str) and len(args) == 2:
            return args[1]
    return None


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        options: list[Any] = []
        for arg in typing.get_args(annotation):
            options.extend(_unwrap(arg))
        return options
    return [annotation]
