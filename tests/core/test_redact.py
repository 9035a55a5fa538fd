"""Redaction: registered secrets in every encoding, credential query values and URL userinfo are scrubbed from
text and from the log records of httpx and httpcore."""

from __future__ import annotations

import ast
import base64
import logging
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from reconciler import redact as redact_module
from reconciler.redact import (
    RedactingFilter,
    install_log_redaction,
    redact,
    redact_url,
    register_basic_auth,
    register_secret,
)


def test_redact_url_masks_credential_parameters() -> None:
    url = "https://h/token.php?action=get&username=bob&password=hunter22&token=abc123&format=json"
    assert redact_url(url) == "https://h/token.php?action=get&username=***&password=***&token=***&format=json"
    assert redact_url(httpx.URL("https://h/x?TOKEN=abc")) == "https://h/x?TOKEN=***"


def test_redact_scrubs_registered_secret_in_every_form() -> None:
    secret = "s3cr/et val+ue"
    register_secret(secret)
    for form in (secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)):
        assert redact(f"before {form} after") == "before *** after"


def test_redact_scrubs_basic_auth() -> None:
    register_basic_auth("tenant-x", "basic-token-9")
    encoded = base64.b64encode(b"tenant-x:basic-token-9").decode()
    assert redact(f"Authorization: Basic {encoded}") == "Authorization: Basic ***"
    assert redact("password is basic-token-9") == "password is ***"


def test_short_values_are_not_registered() -> None:
    register_secret("ab")
    assert redact("abc ab") == "abc ab"


def test_redact_removes_url_userinfo() -> None:
    assert redact("see https://bob:pw@host/x") == "see https://***@host/x"


def test_filter_redacts_message_args_and_exception(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("filter-secret-1")
    log = logging.getLogger("httpx")
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError("boom filter-secret-1")
    except RuntimeError:
        log.exception("request to %s failed", "https://h/x?token=filter-secret-1")
    record = caplog.records[-1]
    assert record.args is None
    assert record.getMessage() == "request to https://h/x?token=*** failed"
    assert "filter-secret-1" not in caplog.text
    assert "boom ***" in caplog.text


def test_filter_keeps_broken_format_records() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "%d %s", ("x",), None)
    assert RedactingFilter().filter(record)
    assert record.args is None


def test_install_covers_httpcore_children_once() -> None:
    install_log_redaction()
    install_log_redaction()
    for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection"):
        filters = [item for item in logging.getLogger(name).filters if isinstance(item, RedactingFilter)]
        assert len(filters) == 1


def test_redaction_sits_at_the_ground_floor() -> None:
    """Every layer may scrub what it shows, so redact.py imports nothing from the package."""
    tree = ast.parse(Path(redact_module.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {
        "." * node.level + (node.module or "") for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert sorted(name for name in imported if name.startswith(("reconciler", "."))) == []
