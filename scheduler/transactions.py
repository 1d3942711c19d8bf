"""One way to open a transaction on the ledger's database, for every store that reads or writes it.

`Transactions` gives a store its engine, a reader and a writer session (a writer queues for the write
lock up front: see `scheduler.db.for_writes`) and turns driver errors into the ledger's exceptions with
`reason`: the driver's first line only, so no SQL, parameters or PostgreSQL DETAIL (which would carry a
phone number from a unique-key conflict) reaches a log, an error page or a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler.db import for_writes, session_factory
from scheduler.ledger import BackendError, Conflict


def reason(exc: Exception) -> str:
    """The driver's first message line, cut to 200 characters, after its class name."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{orig.__class__.__name__}: {first[:200]}"


class Transactions:
    """Base of the stores on one engine (ledger, operators, console records)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
        self._writes = session_factory(for_writes(engine))

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        """`write=True` for a transaction that changes rows."""
        try:
            with (self._writes if write else self._sessions).begin() as session:
                yield session
        except sa.exc.IntegrityError as exc:
            raise Conflict(f"the database refused the change: {reason(exc)}") from exc
        except sa.exc.SQLAlchemyError as exc:
            raise BackendError(f"database error: {reason(exc)}") from exc
