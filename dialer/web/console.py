"""What every route needs, built once by `create_app` and kept on `app.state.console`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from dialer.web.settings import ConsoleOptions
from dialer.web.throttle import SignInThrottle
from scheduler.console_queries import ConsoleQueries
from scheduler.ledger import AuditRecord
from scheduler.models import utcnow
from scheduler.operators import OperatorStore
from scheduler.sql_ledger import SqlLedger
from scheduler.webhooks import WebhookOutbox

if TYPE_CHECKING:
    from dialer.web.live import LiveCallProvider


@dataclass
class Console:
    ledger: SqlLedger
    store: OperatorStore
    queries: ConsoleQueries
    outbox: WebhookOutbox
    live: LiveCallProvider
    options: ConsoleOptions
    templates: Jinja2Templates
    settings: Any
    clock: Callable[[], dt.datetime] = utcnow
    throttle: SignInThrottle = field(default_factory=SignInThrottle)

    def audit(self, actor: str, action: str, subject: str = "", **detail: Any) -> None:
        """Sign-ins, exports, downloads and setting changes; detail never holds a full phone number."""
        self.ledger.append_audit(AuditRecord(actor=actor, action=action, subject=subject, detail=detail))


def console_of(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]
