"""Rendering helpers shared by the HTML routes: every template gets the viewer, its CSRF token and the
`phone()` function that masks per role, so a template cannot print a number any other way by accident."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from dialer.web.auth import Principal
from dialer.web.console import console_of
from dialer.web.masking import display_number, mask_free_text
from dialer.web.roles import Permission


def render(request: Request, template: str, me: Principal, status: int = 200, **context: Any) -> Response:
    console = console_of(request)
    zone = ZoneInfo(console.settings.operator_timezone)

    def when(value: dt.datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    base = {
        "me": me,
        "csrf": me.csrf_token,
        "phone": lambda number: display_number(number, me.role),
        "free_text": lambda text: mask_free_text(text, me.role),
        "can": lambda name: me.can(Permission(name)),
        "when": when,
        "zone": console.settings.operator_timezone,
        "message": request.query_params.get("msg", ""),
    }
    return console.templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def redirect(path: str, message: str = "") -> RedirectResponse:
    target = f"{path}?msg={quote(message)}" if message else path
    return RedirectResponse(target, status_code=303)
