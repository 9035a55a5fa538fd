"""Manifest documents and the project file of an export, as YAML text. Same input, same bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..model.state import Dataset

API_VERSION = "reconciler/v1"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.explicit_start = True
    return yaml


def _flow(value: Mapping[str, Any] | Sequence[Any]) -> CommentedMap | CommentedSeq:
    node = CommentedMap(value) if isinstance(value, Mapping) else CommentedSeq(value)
    node.fa.set_flow_style()
    return node


def _document(kind: str, name: str, spec: CommentedMap) -> CommentedMap:
    document = CommentedMap()
    document["apiVersion"] = API_VERSION
    document["kind"] = kind
    document["metadata"] = _flow({"name": name})
    document["spec"] = spec
    return document


def dataset_document(name: str, dataset: Dataset, *, pin: bool) -> CommentedMap:
    spec = CommentedMap()
    spec["campaign"] = dataset.campaign
    spec["description"] = dataset.description
    if dataset.queue:
        spec["queue"] = dataset.queue
    spec["status"] = dataset.status.value
    spec["priority"] = dataset.priority
    if pin and dataset.id is not None:
        spec["id"] = dataset.id
    return _document("Dataset", name, spec)


def record_set_document(
    name: str, dataset_name: str, key: str, fields: Sequence[str], source: str
) -> CommentedMap:
    spec = CommentedMap()
    spec["dataset"] = dataset_name
    spec["key"] = key
    spec["fields"] = _flow(list(fields))
    spec["source"] = source
    spec["absent"] = _flow({"policy": "ignore"})
    return _document("RecordSet", name, spec)


def membership_document(name: str, campaign: int, source: str) -> CommentedMap:
    spec = CommentedMap()
    spec["campaign"] = campaign
    spec["source"] = source
    spec["absent"] = "ignore"
    return _document("CampaignMembership", name, spec)


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
    body["manifests"] = _flow(["manifests"])
    body["defaultTarget"] = default_target
    body["guards"] = _flow(dict(guards))
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
