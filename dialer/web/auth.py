"""Who is asking: a signed-in browser (session cookie + CSRF token) or a machine (bearer API token).

Browser requests that change state must carry the session's synchronizer token, as the form field
`csrf_token` or the `X-CSRF-Token` header; token-authenticated requests carry no ambient credential a
third-party page could borrow, so they need none. The check lives in `require`, the dependency every route
declares, so a state-changing route cannot forget it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, TimestampSigner

from dialer.web.console import Console, console_of
from dialer.web.roles import Permission, can, grants_within
from dialer.web.security import digest, same

SESSION_COOKIE = "dialer_session"
LOGIN_CSRF_COOKIE = "dialer_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotSignedIn(HTTPException):
    """Pages answer with a redirect to the sign-in form, the API with 401."""

    def __init__(self) -> None:
        super().__init__(401, "sign in first, or send 'Authorization: Bearer <API token>'")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    kind: str  # "session" | "token"
    session_id: int | None = None
    csrf_token: str = ""

    def can(self, permission: Permission) -> bool:
        return can(self.role, permission)


def signer(console: Console) -> TimestampSigner:
    return TimestampSigner(console.options.secret_key, salt="dialer-session")


def session_cookie_value(console: Console, token: str) -> str:
    return signer(console).sign(token).decode()


def _from_cookie(console: Console, request: Request, now: dt.datetime) -> Principal | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        token = signer(console).unsign(raw, max_age=int(console.options.session_hours * 3600)).decode()
    except BadSignature:
        return None
    found = console.store.find_session(digest(token), now)
    if found is None:
        return None
    return Principal(found.user.name, found.user.role, "session", found.id, found.csrf_token)


def _from_bearer(console: Console, request: Request, now: dt.datetime) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    found = console.store.find_token(digest(token.strip()), now)
    if found is None:
        raise HTTPException(401, "unknown, expired or revoked API token")
    owner = found.owner
    if owner is None or not owner.active or not grants_within(found.role, owner.role):
        raise HTTPException(401, "the API token's owner is disabled or no longer holds its role")
    return Principal(f"token:{found.name}", found.role, "token")


def principal_or_none(request: Request) -> Principal | None:
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    console = console_of(request)
    now = console.clock()
    found = _from_bearer(console, request, now) or _from_cookie(console, request, now)
    request.state.principal = found
    return found


async def check_csrf(request: Request, principal: Principal) -> None:
    if request.method in SAFE_METHODS or principal.kind != "session":
        return
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # starlette caches the parsed form for the route
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else ""
    if not sent or not same(sent, principal.csrf_token):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")


def require(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = principal_or_none(request)
        if principal is None:
            raise NotSignedIn()
        await check_csrf(request, principal)
        if not principal.can(permission):
            raise HTTPException(403, f"your role ({principal.role}) may not do this ({permission.value})")
        return principal

    return dependency
