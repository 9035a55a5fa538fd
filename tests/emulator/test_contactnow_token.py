"""token.php (API-CONTRACT A2) and bad tokens on the other scripts, over real HTTP."""

from __future__ import annotations

import re

import httpx

from .conftest import DEMO_PASSWORD, DEMO_USER, Emulator, FakeClock


def _get(emulator: Emulator, *, client: httpx.Client | None = None, **params: str) -> httpx.Response:
    return (client or emulator.client).get(
        f"{emulator.contactnow_url}token.php",
        params={"action": "get", "username": DEMO_USER, "password": DEMO_PASSWORD, **params},
    )


def _validate(emulator: Emulator, token: str, client: httpx.Client | None = None) -> httpx.Response:
    return (client or emulator.client).get(
        f"{emulator.contactnow_url}token.php", params={"action": "validate", "token": token}
    )


def test_get_returns_a_40_hex_token_and_its_expiry(emulator: Emulator, clock: FakeClock) -> None:
    response = _get(emulator)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["success", "token", "expire"]
    assert body["success"] is True
    assert re.fullmatch(r"[0-9a-f]{40}", body["token"])
    assert body["expire"] == 1_800_000_000 + 12 * 3600


def test_get_returns_the_same_token_while_it_is_valid(emulator: Emulator, clock: FakeClock) -> None:
    first = _get(emulator).json()
    clock.advance(3600)
    assert _get(emulator).json() == first


def test_bad_credentials_are_an_authentication_failure(emulator: Emulator) -> None:
    for response in (
        _get(emulator, password="wrong"),
        _get(emulator, username="nobody"),
        _get(emulator, password=""),
    ):
        assert response.status_code == 200
        assert response.text == '{"success":false,"error":"Authentication failure"}'


def test_validate_a_valid_token(emulator: Emulator, clock: FakeClock) -> None:
    token = _get(emulator).json()["token"]
    assert _validate(emulator, token).json() == {"success": True, "expire": 1_800_000_000 + 12 * 3600}


def test_validate_an_unknown_token(emulator: Emulator) -> None:
    assert _validate(emulator, "0" * 40).text == '{"success":false,"error":"Invalid token"}'


def test_lifetime_is_read_at_issue_time_and_expiry_is_reported(emulator: Emulator, clock: FakeClock) -> None:
    emulator.state.settings.token_lifetime = 5
    token = _get(emulator).json()["token"]
    emulator.state.settings.token_lifetime = 1000  # a later change does not move an issued token
    clock.advance(4.9)
    assert _validate(emulator, token).json() == {"success": True, "expire": 1_800_000_005}
    clock.advance(0.1)
    assert _validate(emulator, token).text == '{"success":false,"error":"Expired token","expire":-1}'
    renewed = _get(emulator).json()
    assert renewed["token"] != token
    assert renewed["expire"] == 1_800_000_005 + 1000


def test_other_scripts_refuse_bad_tokens(emulator: Emulator, clock: FakeClock) -> None:
    emulator.state.settings.token_lifetime = 5
    token = _get(emulator).json()["token"]
    clock.advance(5)
    for script, method in (("ecnow.php", "ecnow_datasets"), ("database.php", "queues")):
        expired = emulator.cn(script, method, "read", token=token)
        assert expired.text == '{"success":false,"error":"Expired token"}'
        invalid = emulator.cn(script, method, "read", token="f" * 40)
        assert invalid.text == '{"success":false,"error":"Invalid token"}'
        missing = emulator.cn(script, method, "read", token="")
        assert missing.text == '{"success":false,"error":"Invalid token"}'


def test_a_token_is_bound_to_the_address_that_asked(emulator: Emulator) -> None:
    other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10)
    with other:
        token = _get(emulator, client=other).json()["token"]
        assert _validate(emulator, token, other).json()["success"] is True
        # the same token used from 127.0.0.1 is not valid there
        assert _validate(emulator, token).text == '{"success":false,"error":"Invalid token"}'
        denied = emulator.cn("ecnow.php", "campaign_tables", "read", token=token)
        assert denied.text == '{"success":false,"error":"Invalid token"}'


def test_address_binds_more_addresses(emulator: Emulator) -> None:
    other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10)
    with other:
        token = _get(emulator, client=other, address="127.0.0.1,10.0.0.1").json()["token"]
    assert _validate(emulator, token).json()["success"] is True


def test_address_list_is_limited_to_ten(emulator: Emulator) -> None:
    addresses = ",".join(f"10.0.0.{i}" for i in range(11))
    response = _get(emulator, address=addresses)
    assert response.json() == {"success": False, "error": "Too many addresses [11], maximum is 10"}
    assert _get(emulator, address="not-an-ip").json() == {
        "success": False,
        "error": "Invalid address [not-an-ip]",
    }


def test_token_php_answers_xml_when_asked(emulator: Emulator, clock: FakeClock) -> None:
    response = _get(emulator, format="xml")
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    token = re.search(r"<token>([0-9a-f]{40})</token>", response.text)
    assert token is not None
    assert response.text == (
        '<?xml version="1.0" encoding="utf-8" ?>\n'
        f"<result><success>1</success><token>{token.group(1)}</token><expire>1800043200</expire></result>"
    )
    failure = _get(emulator, password="x", format="xml")
    assert failure.text == (
        '<?xml version="1.0" encoding="utf-8" ?>\n'
        "<result><success>0</success><error>Authentication failure</error></result>"
    )


def test_unknown_token_action(emulator: Emulator) -> None:
    response = emulator.client.get(f"{emulator.contactnow_url}token.php", params={"action": "renew"})
    assert response.json() == {"success": False, "error": "Unknown action [renew]"}


def test_token_get_by_post_form(emulator: Emulator) -> None:
    response = emulator.client.post(
        f"{emulator.contactnow_url}token.php",
        data={"action": "get", "username": DEMO_USER, "password": DEMO_PASSWORD},
    )
    assert response.json()["success"] is True
