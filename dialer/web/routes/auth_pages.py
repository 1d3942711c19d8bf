"""Sign-in and sign-out. The sign-in form is protected by a double-submit CSRF cookie (there is no
session yet to hold a synchronizer token); every attempt, good or bad, goes to the audit log."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dialer.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    principal_or_none,
    require,
    session_cookie_value,
)
from dialer.web.console import Console, console_of
from dialer.web.roles import Permission
from dialer.web.security import digest, new_token, same, verify_password
from dialer.web.throttle import HashingBusy
from scheduler.operators import UserInfo

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only local paths: never redirect to another site after sign-in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/", error: str = "") -> Response:
    console = console_of(request)
    token = new_token()
    response = console.templates.TemplateResponse(
        request, "login.html", {"me": None, "csrf": token, "next": _safe_next(next), "error": error}
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=console.options.cookie_secure,
        max_age=3600,
    )
    return response


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1024),
    csrf_token: str = Form(""),
    next: str = Form("/"),
) -> Response:
    console = console_of(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf_token or not same(cookie, csrf_token):
        raise HTTPException(403, "CSRF token missing or wrong: reload the sign-in page")
    client = request.client.host if request.client else ""
    now = console.clock()
    throttle = console.throttle
    if not throttle.admit(username, now):  # reserved before the password is checked: no race
        await run_in_threadpool(
            console.audit, username, "web.sign_in_throttled", f"user:{username}", ip=client
        )
        raise HTTPException(429, "too many failed sign-ins for this user: try again in 15 minutes")
    checked: bool | None = None  # None: no password was checked (no slot), nothing to count
    try:
        async with throttle.hashing_slot():
            found, verified = await run_in_threadpool(_check_password, console, username, password)
        ok = checked = verified and found is not None and found[0].active
    except HashingBusy as exc:
        raise HTTPException(503, str(exc)) from exc
    finally:
        throttle.finish(username, console.clock(), checked)
    if not ok or found is None:
        await run_in_threadpool(console.audit, username, "web.sign_in_failed", f"user:{username}", ip=client)
        return RedirectResponse("/login?error=1", status_code=303)
    return await run_in_threadpool(_signed_in, console, found[0], client, next)


def _check_password(console: Console, name: str, password: str) -> tuple[tuple[UserInfo, str] | None, bool]:
    found = console.store.credentials(name)
    return found, verify_password(found[1] if found else None, password)


def _signed_in(console: Console, user: UserInfo, client: str, next: str) -> Response:
    """A new session for `user` (database work: in a worker thread)."""
    now = console.clock()
    token = new_token()
    expires = now + dt.timedelta(hours=console.options.session_hours)
    console.store.create_session(user.id, digest(token), new_token(), expires)
    console.store.update_user(user.name, last_login_at=now)
    console.audit(user.name, "web.sign_in", f"user:{user.name}", ip=client)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_cookie_value(console, token),
        httponly=True,
        samesite="lax",
        secure=console.options.cookie_secure,
        max_age=int(console.options.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, me: Principal = Depends(require(Permission.view))) -> Response:
    console = console_of(request)
    if me.session_id is not None:
        console.store.revoke_session(me.session_id)
    console.audit(me.name, "web.sign_out", f"user:{me.name}")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/whoami")
def whoami(request: Request) -> dict[str, str]:
    me = principal_or_none(request)
    return {"name": me.name, "role": me.role} if me else {}
