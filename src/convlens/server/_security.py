"""Local-first exposure: loopback needs nothing; any other host needs the token; no other site's
page may drive the server.

A request carries the token as ``?token=``, a ``convlens_token`` cookie (set when a page is opened
with ``?token=``), or ``Authorization: Bearer``. On loopback the Host header must name the
loopback too, so a web page elsewhere cannot reach the server through DNS rebinding.

Cross-site requests: a browser sends ``Origin`` with every WebSocket handshake and every POST or
DELETE. Those are served only when the origin is the server's own (the Host it was reached at)
or one listed in ``Settings.allowed_origins``; a request with no ``Origin`` (curl, scripts) is
not a browser's and goes on to the token check.
"""

from __future__ import annotations

import hmac
import os

from starlette.requests import HTTPConnection

from convlens.core import UserInputError

COOKIE = "convlens_token"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
TOKEN_ENV = "CONVLENS_TOKEN"
MIN_TOKEN = 16
FOREIGN_ORIGIN = (
    "refused: this request came from another site's page (its Origin is not this server's); "
    "open ConvLens at its own address, or list that origin in Settings.allowed_origins"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_loopback(host: str) -> bool:
    return host in LOOPBACK


def _host_ok(conn: HTTPConnection) -> bool:
    host = conn.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
    return name in LOOPBACK


def presented_token(conn: HTTPConnection) -> str | None:
    auth = conn.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return conn.query_params.get("token") or conn.cookies.get(COOKIE)


def allowed(conn: HTTPConnection) -> bool:
    """Whether a request or WebSocket may be served under the app's settings."""
    settings = conn.app.state.settings
    if settings.token is None:
        return _host_ok(conn)
    got = presented_token(conn)
    return got is not None and hmac.compare_digest(got, settings.token)


def origin_allowed(conn: HTTPConnection) -> bool:
    """Whether the request's ``Origin`` (when it has one) is the server's own or a listed one."""
    origin = conn.headers.get("origin")
    if origin is None:
        return conn.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    origin = origin.rstrip("/").lower()
    listed = {o.rstrip("/").lower() for o in conn.app.state.settings.allowed_origins}
    if origin in listed:
        return True
    scheme, sep, rest = origin.partition("://")
    host = conn.headers.get("host", "").lower()
    return bool(sep) and scheme in ("http", "https") and rest == host and host != ""


def needs_origin_check(method: str) -> bool:
    return method.upper() not in SAFE_METHODS


def websocket_allowed(conn: HTTPConnection) -> bool:
    return allowed(conn) and origin_allowed(conn)


def resolve_token(token: str | None) -> str | None:
    """The token to use: ``token``, else the ``CONVLENS_TOKEN`` environment variable.

    A token given on the command line is visible to every user of the machine (``ps``); the
    environment variable is not (``serve`` says so when one is given).

    Raises:
        UserInputError: A token shorter than 16 characters.
    """
    token = token or os.environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < MIN_TOKEN:
        raise UserInputError(
            f"the token has {len(token)} characters; use at least {MIN_TOKEN} (for example "
            "python -c 'import secrets; print(secrets.token_urlsafe(18))'), or give none and "
            "one is made up"
        )
    return token
