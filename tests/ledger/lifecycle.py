"""Attempts for test seeds, through the product's one door: queue, claim (`ClaimStore.claim`), start
(`Pacer.start_call`) and record the outcome (`scheduler.results.record_outcome`).

A seed chooses every time itself: the claim, the start and the record happen at the times it passes (the
product's calls all take `now`), so back-dated calls need no other way into the attempts table.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import Engine

from scheduler.claims import ClaimStore, Gate, claims_engine
from scheduler.db import session_factory
from scheduler.models import Attempt
from scheduler.outcomes import CallOutcome
from scheduler.pacing import Pacer, TrunkLimits
from scheduler.results import record_outcome
from scheduler.sql_ledger import SqlLedger

OWNER = "seed"
UNLIMITED = TrunkLimits(channels=1_000_000, calls_per_second=1_000_000.0)


def queue_attempt(
    engine: Engine,
    *,
    campaign_id: int,
    account_id: int,
    contact_number_id: int,
    scheduled_at: dt.datetime,
    attempt_no: int = 1,
    decision_rule: str | None = None,
) -> int:
    """A queued attempt, as the planner leaves one (seeds pick the time; the planner's own choices are
    tested in tests/scheduler)."""
    with session_factory(engine).begin() as session:
        row = Attempt(
            campaign_id=campaign_id,
            account_id=account_id,
            contact_number_id=contact_number_id,
            scheduled_at=scheduled_at,
            attempt_no=attempt_no,
            decision_rule=decision_rule,
            state="queued",
            created_at=scheduled_at,
        )
        session.add(row)
        session.flush()
        return row.id


def ledger_url(ledger: SqlLedger) -> str:
    """The database URL a ledger runs on (to open the claim store on the same database)."""
    return ledger.engine.url.render_as_string(hide_password=False)


def unlimited_pacer(engine: Engine) -> Pacer:
    """A pacer whose trunks never run out of channels or rate (seeds dial one call at a time)."""
    return Pacer(engine, lambda trunk: UNLIMITED)


class Calls:
    """One host placing seeded calls: `dial` queues, claims and starts one; `record` ends it."""

    def __init__(
        self,
        url: str,
        owner: str = OWNER,
        *,
        gate: Gate | None = None,
        lease: dt.timedelta = dt.timedelta(minutes=5),
    ) -> None:
        self.engine = claims_engine(url)
        self.owner = owner
        self.claims = ClaimStore(self.engine, owner=owner, lease=lease, gate=gate)
        self.pacer = unlimited_pacer(self.engine)

    def start(self, attempt_id: int, at: dt.datetime, caller_id: str | None = None) -> None:
        """Claim the queued attempt due at `at` (it must be the only one due) and start dialing it."""
        claimed = [c.attempt_id for c in self.claims.claim(at, limit=5)]
        assert claimed == [attempt_id], f"claimed {claimed} at {at}, expected only attempt {attempt_id}"
        pace = self.pacer.start_call(attempt_id, self.owner, at, caller_id)
        assert pace.started, pace.reason

    def dial(
        self,
        *,
        campaign_id: int,
        account_id: int,
        contact_number_id: int,
        at: dt.datetime,
        caller_id: str | None = None,
        attempt_no: int = 1,
    ) -> int:
        """Queue an attempt due at `at`, claim it and start dialing it at `at`; its id."""
        attempt_id = queue_attempt(
            self.engine,
            campaign_id=campaign_id,
            account_id=account_id,
            contact_number_id=contact_number_id,
            scheduled_at=at,
            attempt_no=attempt_no,
        )
        self.start(attempt_id, at, caller_id)
        return attempt_id

    def record(
        self, outcome: CallOutcome, now: dt.datetime | None = None, *, data_dir: Path | None = None
    ) -> None:
        """Record the call's end at `now` (default: when it ended), fenced by this host's lease."""
        assert record_outcome(self.engine, self.owner, outcome, now or outcome.ended_at, data_dir=data_dir)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Calls:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
