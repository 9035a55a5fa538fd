"""Which vendor base URLs a client accepts: https, or plain http to loopback only (the emulator).

Credentials travel in every request (a ContactNow password and token, a Contact Center Basic header), so plain
http is refused to any host that is not this machine unless the target says the network is trusted. The same
rule is checked when reconciler.yaml is loaded; this is the check made again before any request.
"""

from __future__ import annotations

import ipaddress

import httpx

from reconciler.errors import ConfigError
from reconciler.redact import redact_url

__all__ = ["check_base_url"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, allow_insecure_http: bool = False) -> httpx.URL:
    """Check a vendor base URL and return it as an httpx.URL whose path ends with "/".

    https is required, unless the host is loopback (127.0.0.0/8, ::1, localhost) or `allow_insecure_http`
    is set. TLS certificates are always verified; nothing here can turn that off.
    """
    shown = redact_url(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ConfigError(
            f"base URL {shown!r} is not a valid URL (give one such as https://api-106.dxi.eu/)"
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(
            f"base URL {shown!r} must be an absolute http(s) URL (such as https://api-106.dxi.eu/)"
        )
    if parsed.userinfo:
        raise ConfigError(
            f"base URL {shown!r} must not hold credentials (put them in the environment variables named "
            "by the target)"
        )
    if parsed.query or parsed.fragment:
        raise ConfigError(
            f"base URL {shown!r} must not have a query or fragment (remove everything after ? or #)"
        )
    if parsed.scheme == "http" and not allow_insecure_http and not _is_loopback(parsed.host):
        raise ConfigError(
            f"base URL {shown!r} uses plain http to a host that is not loopback; use https, "
            "or set allowInsecureHttp: true on the target if the network is trusted"
        )
    path = parsed.path if parsed.path.endswith("/") else parsed.path + "/"
    return parsed.copy_with(path=path)
