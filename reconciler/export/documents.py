"""Manifest documents and the project file of an export, as YAML text. Same input, same bytes.

Each kind builds its own documents with `document` (reconciler/kinds/); this module only writes YAML."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

API_VERSION = "reconciler/v1"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.explicit_start = True
    return yaml


def flow(value: Mapping[str, Any] | Sequence[Any]) -> CommentedMap | CommentedSeq:
    """A mapping or list written on one line (`{policy: ignore}`, `[A, B]`)."""
    node = CommentedMap(value) if isinstance(value, Mapping) else CommentedSeq(value)
    node.fa.set_flow_style()
    return node


def document(kind: str, name: str, spec: Mapping[str, Any]) -> CommentedMap:
    """A manifest document of `kind`: its spec keys in the order given."""
    body = CommentedMap()
    body["apiVersion"] = API_VERSION
    body["kind"] = kind
    body["metadata"] = flow({"name": name})
    body["spec"] = CommentedMap(spec)
    return body


def manifest_file(header: str, documents: Sequence[CommentedMap]) -> str:
    """A manifest file: a comment header, then the documents."""
    stream = io.StringIO()
    stream.write("".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()))
    _yaml().dump_all(list(documents), stream)
    return stream.getvalue()


def project_file(
    header: str, default_target: str, targets: Mapping[str, Any], guards: Mapping[str, Any]
) -> str:
    """reconciler.yaml of the exported project."""
    body = CommentedMap()
    body["apiVersion"] = API_VERSION
    body["kind"] = "Project"
    body["manifests"] = flow(["manifests"])
    body["defaultTarget"] = default_target
    body["guards"] = flow(dict(guards))
    if targets:
        body["targets"] = _plain(targets)
    stream = io.StringIO()
    stream.write("".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()))
    yaml = _yaml()
    yaml.explicit_start = False
    yaml.dump(body, stream)
    return stream.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _plain(item)
        return node
    if isinstance(value, list | tuple):
        return CommentedSeq([_plain(item) for item in value])
    return value
