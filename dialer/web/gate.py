"""The request gate, in front of every route: who is asking is settled before a body is read, the body is
counted while it streams, every answer carries the security headers (HSTS when served over TLS), and each
request leaves one access-log line without personal data. A plain ASGI middleware: Starlette's
BaseHTTPMiddleware would turn an error raised while reading the body into a 400.

FastAPI parses a form (files included) before it runs a route's dependencies, so a check in `require`
comes after an anonymous gigabyte has been spooled to disk. Here a request that carries a body must
first show a session cookie or an API token that resolves to a live principal (only the sign-in form
is exempt, with a small limit), and the body is refused with 413 the moment it passes the limit, with or
without a Content-Length.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from anyio import to_thread
from fastapi import HTTPException
from starlette.requests import Request

from dialer.logs import mask_text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ANONYMOUS_LIMIT = 16 * 1024  # the sign-in form
FORM_ALLOWANCE = 64 * 1024  # an upload's other form fields and multipart framing
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN_PATHS = frozenset({"/login"})
access_log = logging.getLogger("dialer.web.access")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'"),
    (b"cache-control", b"no-store"),
]
HSTS = [(b"strict-transport-security", b"max-age=31536000")]  # only when served over TLS


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        what = "the upload limit" if limit > ANONYMOUS_LIMIT else "the limit"
        shown = limit - FORM_ALLOWANCE if limit > ANONYMOUS_LIMIT else limit
        super().__init__(413, f"the request is larger than {what} of {shown:,} bytes")


def access_line(method: str, path: str, status: int, millis: float, kind: str) -> str:
    """Method, path (digit runs that look like numbers masked, never the query string), status, time."""
    return f"{method} {mask_text(path)[:200]} {status} {millis:.0f}ms {kind}"


class RequestGate:
    def __init__(self, app: ASGIApp, upload_limit: int, hsts: bool = False) -> None:
        self.app = app
        self.signed_in_limit = upload_limit + FORM_ALLOWANCE
        self.headers = SECURITY_HEADERS + (HSTS if hsts else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = {"code": 500, "sent": False}

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = int(message["status"]), True
                present = {bytes(k).lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        kind = "-"
        try:
            kind, limit = await self._admit(scope, tracking_send)
            if limit is not None:
                await self.app(scope, _counted(receive, limit), tracking_send)
        except BodyTooLarge as exc:
            if not status["sent"]:
                await _json(tracking_send, 413, str(exc.detail))
        finally:
            method, path = scope.get("method", ""), scope.get("path", "")
            millis = (time.monotonic() - started) * 1000
            access_log.info(access_line(method, path, int(status["code"]), millis, kind))

    async def _admit(self, scope: Scope, send: Send) -> tuple[str, int | None]:
        """(who, body limit), or (who, None) when the gate has answered the request itself."""
        method, path = scope.get("method", ""), scope.get("path", "")
        if method not in BODY_METHODS:
            return "-", ANONYMOUS_LIMIT
        if path in OPEN_PATHS:
            kind, limit = "anonymous", ANONYMOUS_LIMIT
        else:
            from dialer.web.auth import principal_or_none

            request = Request(scope)
            try:
                principal = await to_thread.run_sync(principal_or_none, request)
            except HTTPException as exc:  # an unknown, expired or revoked API token
                await _json(send, exc.status_code, str(exc.detail), bearer=True)
                return "token", None
            if principal is None:
                await self._not_signed_in(scope, send)
                return "anonymous", None
            kind, limit = principal.kind, self.signed_in_limit
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await _json(send, 413, BodyTooLarge(limit).detail)
            return kind, None
        return kind, limit

    async def _not_signed_in(self, scope: Scope, send: Send) -> None:
        if str(scope.get("path", "")).startswith("/api/"):
            await _json(send, 401, "sign in first, or send 'Authorization: Bearer <API token>'", bearer=True)
            return
        target = f"/login?next={quote(str(scope.get('path', '/')))}".encode()
        await send({"type": "http.response.start", "status": 303, "headers": [(b"location", target)]})
        await send({"type": "http.response.body", "body": b""})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return ""


def _counted(receive: Receive, limit: int) -> Receive:
    seen = 0
    cut = False

    async def counted() -> Message:
        nonlocal seen, cut
        if cut:  # past the limit: nothing more is taken from the client
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                cut = True
                raise BodyTooLarge(limit)
        return message

    return counted


async def _json(send: Send, status: int, detail: str, *, bearer: bool = False) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if bearer:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
