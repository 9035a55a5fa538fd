"""ContactNow token.php: issuing and validating tokens, and checking them for the other scripts.

A token is 40 hex characters, valid for `state.settings.token_lifetime` seconds (read when it is issued), and
bound to the address that asked for it plus up to 10 more given as `address=IP[,IP...]`. While a user's token
is valid, `get` returns the same token and expiry (and binds the asking address too). A token used from an
address it is not bound to is "Invalid token"; an expired one is "Expired token".
"""

from __future__ import annotations

import ipaddress
import math
import secrets

from .contactnow_core import ApiFailure, Args, Envelope
from .state import EmulatorState

MAX_ADDRESSES = 10
KEEP_EXPIRED = 7 * 24 * 60 * 60
"""Seconds an expired token is remembered (so it answers "Expired token", not "Invalid token")."""


def _addresses(args: Args, ip: str) -> list[str]:
    extra = [a.strip() for a in args.text("address").split(",") if a.strip()]
    if len(extra) > MAX_ADDRESSES:
        raise ApiFailure(f"Too many addresses [{len(extra)}], maximum is {MAX_ADDRESSES}")
    for address in extra:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ApiFailure(f"Invalid address [{address}]") from None
    return [ip, *extra]


def _expire_value(expire: float) -> int:
    return math.floor(expire)


def get_token(state: EmulatorState, args: Args, ip: str) -> Envelope:
    """`token.php?action=get&username=U&password=P[&address=...]`."""
    username, password = args.text("username"), args.text("password")
    addresses = _addresses(args, ip)
    store = state.store
    with store.transaction() as conn:
        user = conn.execute("SELECT password FROM cn_users WHERE username = ?", (username,)).fetchone()
        if user is None or not secrets.compare_digest(str(user[0]).encode(), password.encode()):
            raise ApiFailure("Authentication failure")
        now = state.clock()
        conn.execute("DELETE FROM cn_tokens WHERE expire < ?", (now - KEEP_EXPIRED,))
        live = conn.execute(
            "SELECT token, expire, addresses FROM cn_tokens WHERE username = ? AND expire > ?"
            " ORDER BY expire DESC LIMIT 1",
            (username, now),
        ).fetchone()
        if live is not None:
            token, expire = str(live[0]), float(live[1])
            bound = str(live[2]).split(",")
            merged = bound + [a for a in addresses if a not in bound]
            if merged != bound:
                conn.execute("UPDATE cn_tokens SET addresses = ? WHERE token = ?", (",".join(merged), token))
        else:
            token = secrets.token_hex(20)
            expire = now + float(state.settings.token_lifetime)
            conn.execute(
                "INSERT INTO cn_tokens(token, username, expire, addresses) VALUES (?, ?, ?, ?)",
                (token, username, expire, ",".join(dict.fromkeys(addresses))),
            )
    return {"success": True, "token": token, "expire": _expire_value(expire)}


def check_token(state: EmulatorState, token: str, ip: str) -> tuple[str, str, float]:
    """(username, account_id, expire) of a usable token; ApiFailure "Invalid token" / "Expired token"."""
    found = state.store.execute(
        "SELECT t.username, u.account_id, t.expire, t.addresses FROM cn_tokens t"
        " JOIN cn_users u ON u.username = t.username WHERE t.token = ?",
        (token,),
    )
    if not found or ip not in str(found[0][3]).split(","):
        raise ApiFailure("Invalid token")
    username, account_id, expire = str(found[0][0]), str(found[0][1]), float(found[0][2])
    if state.clock() >= expire:
        raise ApiFailure("Expired token", expire=-1)
    return username, account_id, expire


def validate_token(state: EmulatorState, args: Args, ip: str) -> Envelope:
    """`token.php?action=validate&token=T`."""
    _, _, expire = check_token(state, args.text("token"), ip)
    return {"success": True, "expire": _expire_value(expire)}
