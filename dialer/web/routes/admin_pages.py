"""Admin pages: users, API tokens, webhooks, SIP profiles, the audit log."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from dialer.web.auth import Principal, require
from dialer.web.console import console_of
from dialer.web.pages import redirect, render
from dialer.web.roles import Permission, Role, grants_within
from dialer.web.security import (
    API_TOKEN_PREFIX,
    USER_NAME,
    WeakPassword,
    digest,
    hash_password,
    new_token,
)
from dialer.web.sip_profiles import profile_files, save_profile, validate_profile
from scheduler.webhooks import EVENTS

router = APIRouter(prefix="/admin")
ROLES = [r.value for r in Role]


@router.get("/users")
def users(request: Request, me: Principal = Depends(require(Permission.manage_users))) -> Response:
    return render(request, "users.html", me, users=console_of(request).store.list_users(), roles=ROLES)


@router.post("/users")
def add_user(
    request: Request,
    username: str = Form(..., pattern=USER_NAME.pattern),
    role: Role = Form(...),
    password: str = Form(..., max_length=1024),
    me: Principal = Depends(require(Permission.manage_users)),
) -> Response:
    console = console_of(request)
    try:
        hashed = hash_password(password, username)
    except WeakPassword as exc:
        raise HTTPException(422, str(exc)) from exc
    user = console.store.create_user(username, role.value, hashed)
    console.audit(me.name, "user.add", f"user:{user.name}", role=user.role)
    return redirect("/admin/users", f"user {user.name} added")


@router.post("/users/{name}")
def change_user(
    request: Request,
    name: str,
    role: Role | None = Form(None),
    active: bool | None = Form(None),
    password: str = Form("", max_length=1024),
    me: Principal = Depends(require(Permission.manage_users)),
) -> Response:
    console = console_of(request)
    target = console.store.get_user(name)
    demoting = (role is not None and role != Role.admin) or active is False
    if target.role == Role.admin and demoting and console.store.count_admins() <= 1:
        raise HTTPException(409, "the last active admin cannot be demoted or disabled")
    hashed = None
    if password:
        try:
            hashed = hash_password(password, name)
        except WeakPassword as exc:
            raise HTTPException(422, str(exc)) from exc
    user = console.store.update_user(
        name, role=role.value if role else None, active=active, password_hash=hashed
    )
    changes = {"role": user.role, "active": user.active, "password_changed": hashed is not None}
    console.audit(me.name, "user.change", f"user:{name}", **changes)
    return redirect("/admin/users", f"user {name} changed")


@router.get("/tokens")
def tokens(request: Request, me: Principal = Depends(require(Permission.manage_tokens))) -> Response:
    return render(
        request, "tokens.html", me, tokens=console_of(request).store.list_tokens(), roles=ROLES, new=""
    )


@router.post("/tokens")
def create_token(
    request: Request,
    name: str = Form(..., min_length=1, max_length=64),
    role: Role = Form(...),
    days: int = Form(90, ge=1, le=365),
    me: Principal = Depends(require(Permission.manage_tokens)),
) -> Response:
    """A token acts for its creator: it may not hold a role the creator does not hold."""
    console = console_of(request)
    if not grants_within(role.value, me.role):
        raise HTTPException(403, f"a token cannot hold a role ({role.value}) above yours ({me.role})")
    token = new_token(API_TOKEN_PREFIX)
    valid = dt.timedelta(days=days)
    info = console.store.create_token(name, role.value, token[:10], digest(token), me.name, valid_for=valid)
    console.audit(me.name, "token.create", f"token:{info.id}", name=name, role=role.value, days=days)
    return render(request, "tokens.html", me, tokens=console.store.list_tokens(), roles=ROLES, new=token)


@router.post("/tokens/{token_id}/rotate")
def rotate_token(
    request: Request, token_id: int, me: Principal = Depends(require(Permission.manage_tokens))
) -> Response:
    """A new secret for the token; the old one stops working at once."""
    console = console_of(request)
    token = new_token(API_TOKEN_PREFIX)
    info = console.store.rotate_token(token_id, token[:10], digest(token), me.name)
    console.audit(me.name, "token.rotate", f"token:{token_id}", new=f"token:{info.id}")
    return render(request, "tokens.html", me, tokens=console.store.list_tokens(), roles=ROLES, new=token)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: int, me: Principal = Depends(require(Permission.manage_tokens))
) -> Response:
    console = console_of(request)
    console.store.revoke_token(token_id)
    console.audit(me.name, "token.revoke", f"token:{token_id}")
    return redirect("/admin/tokens", "token revoked")


@router.get("/webhooks")
def webhooks(request: Request, me: Principal = Depends(require(Permission.manage_webhooks))) -> Response:
    outbox = console_of(request).outbox
    return render(
        request,
        "webhooks.html",
        me,
        subscriptions=outbox.subscriptions(),
        deliveries=outbox.deliveries(50),
        events=EVENTS,
        secret="",
    )


@router.post("/webhooks")
def add_webhook(
    request: Request,
    url: str = Form(..., max_length=500),
    events: list[str] = Form(...),
    me: Principal = Depends(require(Permission.manage_webhooks)),
) -> Response:
    console = console_of(request)
    info, secret = console.outbox.subscribe(url.strip(), tuple(events), created_by=me.name)
    console.audit(me.name, "webhook.add", f"webhook:{info.id}", url=info.url, events=list(info.events))
    return render(
        request,
        "webhooks.html",
        me,
        subscriptions=console.outbox.subscriptions(),
        deliveries=console.outbox.deliveries(50),
        events=EVENTS,
        secret=secret,
    )


@router.post("/webhooks/{subscription_id}/disable")
def disable_webhook(
    request: Request, subscription_id: int, me: Principal = Depends(require(Permission.manage_webhooks))
) -> Response:
    console = console_of(request)
    console.outbox.deactivate(subscription_id)
    console.audit(me.name, "webhook.disable", f"webhook:{subscription_id}")
    return redirect("/admin/webhooks", "webhook disabled")


@router.post("/webhooks/deliver")
def deliver_webhooks(
    request: Request, me: Principal = Depends(require(Permission.manage_webhooks))
) -> Response:
    """What the daemon does on its tick, on demand: queue new events and POST what is due."""
    console = console_of(request)
    queued = console.outbox.collect()
    counts = console.outbox.deliver_due(timeout=console.options.webhook_timeout_seconds)
    console.audit(me.name, "webhook.deliver", "webhooks", queued=queued, **counts)
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    return redirect("/admin/webhooks", f"{queued} event(s) queued; {summary}")


@router.get("/sip")
def sip_profiles(request: Request, me: Principal = Depends(require(Permission.manage_sip))) -> Response:
    files = profile_files(console_of(request))
    return render(request, "sip.html", me, files=files)


@router.post("/sip")
async def upload_sip_profile(
    request: Request,
    name: str = Form(..., max_length=64),
    file: UploadFile = File(...),
    me: Principal = Depends(require(Permission.manage_sip)),
) -> Response:
    console = console_of(request)
    raw = await file.read(256 * 1024 + 1)
    if len(raw) > 256 * 1024:
        raise HTTPException(413, "a SIP profile is at most 256 KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(415, "a SIP profile is a UTF-8 YAML file") from exc
    problem = validate_profile(text, file.filename or name)
    if problem:
        raise HTTPException(422, problem)
    try:
        path = save_profile(console, name, text)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    console.audit(me.name, "sip.profile_save", f"sip:{name}", file=path.name)
    return redirect("/admin/sip", f"profile {name} saved")


@router.get("/audit")
def audit(request: Request, me: Principal = Depends(require(Permission.view_audit))) -> Response:
    entries = console_of(request).ledger.list_audit(limit=200)
    return render(request, "audit.html", me, entries=entries)
