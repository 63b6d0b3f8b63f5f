"""Local-first exposure: loopback needs nothing; any other host needs the token.

A request carries the token as ``?token=``, a ``convlens_token`` cookie (set when a page is opened
with ``?token=``), or ``Authorization: Bearer``. On loopback the Host header must name the
loopback too, so a web page elsewhere cannot reach the server through DNS rebinding.
"""

from __future__ import annotations

import hmac

from starlette.requests import HTTPConnection

COOKIE = "convlens_token"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


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


def websocket_allowed(conn: HTTPConnection) -> bool:
    return allowed(conn)
