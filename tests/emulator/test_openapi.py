"""The emulator's Contact Center API against the vendor's own OpenAPI document (issue #13, item 8).

schemathesis generates requests from `data/cc-dynamic-campaigns.openapi.json` (the vendor's document; its
provenance is beside it), positive and negative, for each of its three operations, and sends them to the
emulator in-process (ASGI). Every answer is checked:

- no 5xx (`not_a_server_error`);
- a status code and content type the document declares (`status_code_conformance`, `content_type_conformance`,
  `response_headers_conformance`), and a body that fits its schema (`response_schema_conformance`);
- a request that breaks the schema is refused (`negative_data_rejection`);
- the Basic auth the document declares is enforced (`ignored_auth`: a 2xx is sent again without credentials
  and with wrong ones, and must be refused);
- every refusal is worded as the document words it (`assert_refusal_documented`, below): a 4xx carries one of
  the messages the document gives for that operation and status, or no body where it declares none, and a
  refused item of a 207 one of the item messages of its example. It stands in for schemathesis's
  `positive_data_acceptance`, which this API cannot pass (OPENAPI-DIFFERENCES.md, "Checks not run").

Where the document contradicts API-CONTRACT*.md, the emulator follows the contract, and so does this test:
each entry of reconciler/emulator/OPENAPI-DIFFERENCES.md is one entry of DIFFERENCES below, by name, that patches
the loaded document where it is wrong, waives one check for exactly the answers it is about, or names the
exact-response test that pins it. `test_the_differences_document_lists_exactly_these` keeps both in step.

Most requests go to a seeded campaign (125 running, 126 stopped, 127 not dynamic, 128 disabled, 129 new) with
the seeded credentials, the rest wherever schemathesis takes them; the document's own example values are sent
too, with their customers in the CRM. Each operation and mode runs EXAMPLES derandomized examples against one
fresh emulator with a fixed clock, so every run sends the same requests (6 x 60, about 10 s of one core). The
examples share that emulator's state, so Hypothesis does not shrink a failure (a replay would meet another
state); it reports the first failing request as it was sent.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from harness.process import REPO
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reconciler.emulator import build_state, create_app

from .test_cc_helpers import add_crm, epoch

DOCUMENT = Path(__file__).parent / "data" / "cc-dynamic-campaigns.openapi.json"
DIFFERENCES_FILE = REPO / "reconciler" / "emulator" / "OPENAPI-DIFFERENCES.md"
EXAMPLES = 60
SEEDED_CAMPAIGNS = (125, 126, 127, 128, 129)
DEMO_AUTHORIZATION = "Basic " + base64.b64encode(b"demo:demo-token").decode()
NOW = epoch("2026-11-23T10:00:00Z")

STATUS_CHANGE = "PATCH /{campaign-id}"
ADD = "POST /{campaign-id}/customers"
DELETE = "DELETE /{campaign-id}/customers/{customer-id}"

Document = dict[str, Any]
Generated = Case[APIOperation[Any, Any, Any, Any]]


# -- the differences, by name (reconciler/emulator/OPENAPI-DIFFERENCES.md says why) ----------------------------


def _operations(document: Document) -> Iterator[dict[str, Any]]:
    for path in document["paths"].values():
        yield from path.values()


def _message_response(description: str, *messages: str) -> dict[str, Any]:
    examples = {f"contract{i}": {"value": {"message": message}} for i, message in enumerate(messages)}
    schema = {"$ref": "#/components/schemas/internalServerError"}
    return {
        "description": description,
        "content": {"application/json": {"schema": schema, "examples": examples}},
    }


def _unauthorized_401(document: Document) -> None:
    for operation in _operations(document):
        operation["responses"]["401"] = _message_response("Wrong credentials", "Unauthorized")


def _add_unknown_campaign_404(document: Document) -> None:
    responses = document["paths"]["/{campaign-id}/customers"]["post"]["responses"]
    responses["404"] = _message_response("The campaign cannot be found.", "Campaign not found.")


def _delete_404_message(document: Document) -> None:
    responses = document["paths"]["/{campaign-id}/customers/{customer-id}"]["delete"]["responses"]
    responses["404"] = _message_response(
        "The customer has not been located.", "The customer has not been located.", "Campaign not found."
    )


def _delete_not_started_400(document: Document) -> None:
    response = document["paths"]["/{campaign-id}/customers/{customer-id}"]["delete"]["responses"]["400"]
    examples = response["content"]["application/json"]["examples"]
    examples["CampaignNew"] = {
        "value": {"message": "The operation is invalid for a campaign that has not started."}
    }


def _customer_id_number_or_string(document: Document) -> None:
    schemas = document["components"]["schemas"]
    number_or_string = {"anyOf": [{"type": "string"}, {"type": "number"}]}
    schemas["CustomerItem"]["properties"]["customer-id"] = number_or_string
    schemas["CustomerItemResponse"]["properties"]["customer-id"] = {**number_or_string, "nullable": True}


def _http_status_integer(document: Document) -> None:
    properties = document["components"]["schemas"]["CustomerItemResponse"]["properties"]
    properties["http-status"] = {"type": "integer"}


def _schedule_echoed_as_given(document: Document) -> None:
    schedule = document["components"]["schemas"]["CustomerItemResponse"]["properties"]["schedule-date-time"]
    del schedule["format"]


def _request_body_required(document: Document) -> None:
    for operation in _operations(document):
        if "requestBody" in operation:
            operation["requestBody"]["required"] = True


def _items_refused_one_by_one(check: str, case: Generated, response: schemathesis.Response) -> bool:
    """negative_data_rejection on an add: a 207 that refuses an item is how the contract refuses bad items."""
    if check != "negative_data_rejection" or case.operation.label != ADD or response.status_code != 207:
        return False
    return any(item.get("http-status") != 200 for item in response.json())


@dataclass(frozen=True)
class Difference:
    """One point where the vendor's document and the contract disagree; the emulator and this test follow the
    contract. Exactly one of: `patch` corrects the loaded document, `waives(check, case, response)` skips one
    check for the answers it is about, `pinned_by` names the exact-response test (what requests from this
    document never reach)."""

    name: str
    patch: Callable[[Document], None] | None = None
    waives: Callable[[str, Generated, schemathesis.Response], bool] | None = None
    pinned_by: str | None = None


DIFFERENCES = (
    Difference("unauthorized-401", patch=_unauthorized_401),
    Difference("add-unknown-campaign-404", patch=_add_unknown_campaign_404),
    Difference("delete-404-message", patch=_delete_404_message),
    Difference("delete-not-started-400", patch=_delete_not_started_400),
    Difference("customer-id-number-or-string", patch=_customer_id_number_or_string),
    Difference("http-status-integer", patch=_http_status_integer),
    Difference("schedule-echoed-as-given", patch=_schedule_echoed_as_given),
    Difference("request-body-required", patch=_request_body_required),
    Difference("items-refused-one-by-one", waives=_items_refused_one_by_one),
    Difference(
        "status-change-by-post",
        pinned_by="test_cc_status.py::test_both_methods_walk_a_campaign_through_its_life",
    ),
    Difference(
        "one-token-for-every-verb", pinned_by="test_cc_status.py::test_the_tenant_token_is_the_action_token"
    ),
)
CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
)


def _patched_document() -> Document:
    document: Document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    for difference in DIFFERENCES:
        if difference.patch is not None:
            difference.patch(document)
    return document


PATCHED = _patched_document()


# -- refusals must be worded as documented ----------------------------------------------------------------------


def _documented_messages(label: str, status: int) -> frozenset[str] | None:
    """The messages the (patched) document gives for an operation's status, or None when it declares no body."""
    method, path = label.split(" ", 1)
    response = PATCHED["paths"][path][method.lower()]["responses"].get(str(status))
    if response is None or "content" not in response:
        return None
    examples = response["content"]["application/json"].get("examples", {})
    return frozenset(example["value"]["message"] for example in examples.values())


def _item_message_patterns() -> tuple[re.Pattern[str], ...]:
    """The item messages of the document's 207 example; its campaign window's times match any time, or none."""
    example = PATCHED["components"]["schemas"]["CustomerItemResponseList"]["example"]
    time = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"
    messages = sorted({item["message"] for item in example if "message" in item})
    return tuple(
        re.compile(f"(?:{time})?".join(re.escape(part) for part in re.split(time, message)))
        for message in messages
    )


ITEM_MESSAGES = _item_message_patterns()


def assert_refusal_documented(label: str, response: schemathesis.Response) -> None:
    status = response.status_code
    if status == 207:
        for item in response.json():
            message = item.get("message")
            assert message is None or any(p.fullmatch(message) for p in ITEM_MESSAGES), item
        return
    if status < 400:
        return
    documented = _documented_messages(label, status)
    if documented is None:
        assert response.content == b"", f"{label} {status} declares no body: {response.text!r}"
    else:
        assert response.json() in [{"message": message} for message in sorted(documented)], response.text


# -- the generated requests ----------------------------------------------------------------------------------


def _requests(
    operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode
) -> st.SearchStrategy[Generated]:
    """Requests for one operation, from sources drawn equally often: each seeded campaign with the seeded
    credentials; any campaign with them; anything at all; and (positive) the document's own example values."""
    label = operation.label
    authorized = {"Authorization": DEMO_AUTHORIZATION}

    def to(campaign: int, **fixed: Any) -> st.SearchStrategy[Generated]:
        path = {"campaign-id": campaign, **fixed.pop("path", {})}
        return operation.as_strategy(mode, path_parameters=path, headers=authorized, **fixed)

    sources = [to(campaign) for campaign in SEEDED_CAMPAIGNS]
    sources += [operation.as_strategy(mode, headers=authorized), operation.as_strategy(mode)]
    if mode == GenerationMode.POSITIVE and label == ADD:
        sources.append(to(125, body=PATCHED["components"]["schemas"]["CustomerItemList"]["example"]))
    if mode == GenerationMode.POSITIVE and label == DELETE:
        sources.append(
            to(125, path={"customer-id": str(PATCHED["components"]["parameters"]["CustomerId"]["example"])})
        )
    return st.sampled_from(sources).flatmap(lambda source: source)


def _waived(check: CheckFunction, case: Generated, response: schemathesis.Response) -> bool:
    return any(d.waives is not None and d.waives(check.__name__, case, response) for d in DIFFERENCES)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("label", [STATUS_CHANGE, ADD, DELETE])
def test_generated_requests_get_documented_answers(label: str, mode: GenerationMode) -> None:
    state = build_state()
    state.clock = lambda: NOW
    # The customers of the document's own examples exist, so its add example reaches the item checks, and the
    # one its delete example names is a member of campaign 125.
    add_crm(state, (1000000, "5551000000"), (1000999, "5551000999"), (1000777, "5551000777"))
    state.store.execute(
        "INSERT INTO cc_members(campaign_id, customer_id, schedule, status, status_code, disposition_code,"
        " ext_trans_data, seq) VALUES (125, 1000000, NULL, 0, 0, 1000, '', 1)"
    )
    app = create_app(state)
    # The document, loaded for this emulator: schemathesis sends every request, its own probes too, in-process.
    schema = schemathesis.openapi.from_dict(PATCHED, config=schemathesis.Config())
    schema.app = app
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    sent: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much),
    )
    @given(case=_requests(operation, mode))
    def run(case: Generated) -> None:
        response = case.call()
        sent.append(response.status_code)
        checks = [check for check in CHECKS if not _waived(check, case, response)]
        case.validate_response(response, checks=checks)
        assert_refusal_documented(label, response)

    try:
        run()
    finally:
        state.store.close()
    assert len(sent) >= EXAMPLES // 2, sent


def test_the_differences_document_lists_exactly_these() -> None:
    listed = re.findall(
        r"^### `([a-z0-9-]+)`", DIFFERENCES_FILE.read_text(encoding="utf-8"), flags=re.MULTILINE
    )
    assert listed == [difference.name for difference in DIFFERENCES]
    for difference in DIFFERENCES:
        assert [difference.patch, difference.waives, difference.pinned_by].count(None) == 2, difference.name
        if difference.pinned_by is not None:
            module, test = difference.pinned_by.split("::")
            assert f"def {test}(" in (Path(__file__).parent / module).read_text(encoding="utf-8"), test


def test_every_patch_changes_the_document() -> None:
    """A patch that no longer changes anything is a difference that has gone: drop it from both lists."""
    for difference in DIFFERENCES:
        if difference.patch is None:
            continue
        document: Document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
        before = json.dumps(document, sort_keys=True)
        difference.patch(document)
        assert json.dumps(document, sort_keys=True) != before, difference.name
