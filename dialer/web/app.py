"""The FastAPI application: `create_app(settings)` wires the ledger, the stores and the routers.

Pages (HTML, session cookie + CSRF) and the HTTP API under /api (bearer token, or the browser session with
the CSRF header) share one permission table (dialer.web.roles) and one masking function
(dialer.web.masking). The OpenAPI document at /api/openapi.json describes the API only.

Errors, as a page or as JSON ``{"detail": ...}`` under /api: 404 (no such record), 409 (conflict), 422
(invalid input), 503 with ``Retry-After`` (the database is busy or out of reach: the same request will
likely succeed shortly), 500 (the database refused the request). No error shows SQL, values or credentials.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from dialer.web.console import Console
from dialer.web.gate import RequestGate
from dialer.web.live import CombinedLiveCalls, InMemoryLiveCalls, LedgerLiveCalls, LiveCallProvider
from dialer.web.settings import ConsoleOptions
from dialer.web.uploads import sweep_at_start
from scheduler.console_queries import ConsoleQueries
from scheduler.db import ledger_unavailable
from scheduler.ledger import BackendError, Conflict, InvalidValue, NotFound
from scheduler.models import utcnow
from scheduler.operators import OperatorStore
from scheduler.sql_ledger import SqlLedger
from scheduler.webhooks import WebhookOutbox

HERE = Path(__file__).resolve().parent
API_DESCRIPTION = """Machine access to reminder-dialer.

Authenticate with `Authorization: Bearer <token>`; admins create tokens in the console (Admin -> API
tokens) and each token acts with one role. Phone numbers are masked unless the role is admin.

Webhooks (promise_to_pay, opt_out) are POSTed as JSON with the header
`X-Dialer-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`; verify it in
constant time and refuse timestamps older than 5 minutes. `X-Dialer-Delivery` is stable across retries.
"""


def create_app(
    settings: Any,
    *,
    ledger: SqlLedger | None = None,
    live: LiveCallProvider | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    **options: Any,
) -> FastAPI:
    """The console for `settings` (the dialer settings tree). `options` override ConsoleOptions fields
    (tests pass cookie_secure=False, a small max_upload_bytes, ...)."""
    console_options = ConsoleOptions.from_settings(settings, **options)
    if ledger is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        ledger = SqlLedger.open(settings.database_url)
    sweep_at_start(console_options.data_dir / "uploads")  # what a killed import left behind
    queries = ConsoleQueries(ledger.engine)
    pushed = InMemoryLiveCalls()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    console = Console(
        ledger=ledger,
        store=OperatorStore(ledger.engine),
        queries=queries,
        outbox=WebhookOutbox(ledger.engine, clock, console_options.webhook_allow_networks),
        live=live or CombinedLiveCalls(pushed, LedgerLiveCalls(queries)),
        options=console_options,
        templates=templates,
        settings=settings,
        clock=clock,
    )
    app = FastAPI(
        title="reminder-dialer",
        version="1",
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,  # the bundled Swagger UI loads its assets from a CDN: the console uses none
        redoc_url=None,
    )
    app.state.console = console
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    for router in page_routers():
        app.include_router(router, include_in_schema=False)
    app.include_router(api_router())
    _install_error_handlers(app)

    # identity before any body is read, the body counted while it streams, security headers, access log
    app.add_middleware(
        RequestGate, upload_limit=console_options.max_upload_bytes, hsts=console_options.cookie_secure
    )
    return app


def page_routers() -> list[APIRouter]:
    from dialer.web.routes import admin_pages, auth_pages, campaign_pages, list_pages, qa_pages, result_pages

    return [m.router for m in (auth_pages, campaign_pages, list_pages, result_pages, qa_pages, admin_pages)]


def api_router() -> APIRouter:
    from dialer.web.routes import api

    return api.router


log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
BUSY_MESSAGE = (
    "The database is busy or out of reach just now; the request did not complete. Try again shortly."
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _install_error_handlers(app: FastAPI) -> None:
    def page_error(request: Request, status: int, message: str) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        if status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        console: Console = request.app.state.console
        return console.templates.TemplateResponse(
            request, "error.html", {"status": status, "message": message, "me": None}, status_code=status
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = page_error(request, exc.status_code, str(exc.detail))
        if exc.status_code == 401 and _is_api(request):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return page_error(request, 404, str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        return page_error(request, 409, str(exc))

    @app.exception_handler(InvalidValue)
    async def invalid(request: Request, exc: InvalidValue) -> Response:
        return page_error(request, 422, str(exc))

    @app.exception_handler(BackendError)
    async def backend(request: Request, exc: BackendError) -> Response:
        """The database failed the request (its transaction was rolled back). Busy or out of reach, the
        same request will likely succeed shortly: 503 with Retry-After, which API clients retry on."""
        cause = type(exc.__cause__ or exc).__name__  # the driver's error class: no message, no values
        log.warning("%s request failed: database error (%s)", request.method, cause)
        if ledger_unavailable(exc):
            response = page_error(request, 503, BUSY_MESSAGE)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        return page_error(request, 500, "The database refused the request; it did not complete.")

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid input"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return page_error(request, 422, f"{where}: {first.get('msg', 'invalid input')}")


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors()
    ]
