"""Base URLs: https, or plain http to loopback only; never credentials, a query or a fragment."""

from __future__ import annotations

import pytest

from reconciler.errors import ConfigError
from reconciler.providers.http.session import HttpSession
from reconciler.providers.http.urls import check_base_url


@pytest.mark.parametrize(
    "url",
    [
        "https://api-106.dxi.eu/",
        "https://api.contactnow.8x8.com/api/",
        "http://127.0.0.1:8080/contactnow/",
        "http://127.9.9.9/cc",
        "http://localhost:1234/cc",
        "http://[::1]:9000/",
    ],
)
def test_base_url_accepted(url: str) -> None:
    checked = check_base_url(url)
    assert checked.path.endswith("/")


def test_base_url_gains_trailing_slash() -> None:
    assert str(check_base_url("https://vcc-na12.8x8.com")) == "https://vcc-na12.8x8.com/"
    assert str(check_base_url("http://127.0.0.1:5/cc")) == "http://127.0.0.1:5/cc/"


def test_plain_http_to_remote_host_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        check_base_url("http://api-106.dxi.eu/")
    assert str(caught.value) == (
        "base URL 'http://api-106.dxi.eu/' uses plain http to a host that is not loopback; use https, "
        "or set allowInsecureHttp: true on the target if the network is trusted"
    )


def test_plain_http_allowed_when_opted_in() -> None:
    assert str(check_base_url("http://10.0.0.5/x/", allow_insecure_http=True)) == "http://10.0.0.5/x/"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/", "must be an absolute http(s) URL"),
        ("api-106.dxi.eu", "must be an absolute http(s) URL"),
        ("https://user:secret-pw@example.com/", "must not hold credentials"),
        ("https://example.com/?token=abc", "must not have a query or fragment"),
    ],
)
def test_bad_base_urls(url: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_base_url(url)
    assert reason in str(caught.value)
    assert "secret-pw" not in str(caught.value)
    assert "token=abc" not in str(caught.value)


def test_session_refuses_insecure_remote_url() -> None:
    with pytest.raises(ConfigError):
        HttpSession("http://vcc-na12.8x8.com", service="x")
