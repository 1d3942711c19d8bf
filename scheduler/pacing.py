"""Per-trunk pacing that holds across hosts: a channel limit (concurrent calls) and a call-start rate.

The state is the attempts table itself: live calls are attempts in `dialing` on the trunk's campaigns, and
recent starts are their `dialing_at`. The check and the start happen in one transaction under a per-trunk
lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE, one writer), so two hosts
can never both take the last channel. The start is fenced like every claim step: only the lease owner,
only while the lease holds.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler.db import session_factory
from scheduler.lifecycle import trunk_backoff
from scheduler.models import Attempt, Campaign
from scheduler.vocabulary import AttemptState


@dataclass(frozen=True, slots=True)
class TrunkLimits:
    channels: int
    calls_per_second: float


@dataclass(frozen=True, slots=True)
class Pace:
    started: bool
    retry_after: dt.datetime | None = None  # None with started=False: the lease is gone, do not dial
    reason: str = ""


def _trunk_filter(trunk: str | None) -> sa.ColumnElement[bool]:
    return Campaign.trunk.is_(None) if trunk is None else Campaign.trunk == trunk


def _lock(session: Session, trunk: str | None) -> None:
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32((trunk or "<default>").encode()) - 2**31
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


class Pacer:
    def __init__(self, engine: Engine, limits_for: Callable[[str | None], TrunkLimits]) -> None:
        self.engine = engine
        self.limits_for = limits_for
        self._sessions = session_factory(engine)

    def start_call(self, attempt_id: int, owner: str, now: dt.datetime, caller_id: str | None = None) -> Pace:
        """Move a claimed attempt to dialing if its trunk has a free channel and rate; else say when to
        ask again."""
        mine = (
            Attempt.id == attempt_id,
            Attempt.state == AttemptState.claimed.value,
            Attempt.lease_owner == owner,
            Attempt.lease_expires_at > now,
        )
        with self._sessions.begin() as session:
            row = session.execute(
                sa.select(Attempt.id, Campaign.trunk)
                .join(Campaign, Attempt.campaign_id == Campaign.id)
                .where(*mine)
            ).first()
            if row is None:
                return Pace(False, None, "not claimed by this host (or the lease ran out): do not dial")
            trunk = row.trunk
            limits = self.limits_for(trunk)
            _lock(session, trunk)
            backoff = trunk_backoff(session.connection(), trunk, now)
            if backoff is not None:
                why = f"trunk {trunk or 'default'}: backing off after failures ({backoff[1] or 'no answer'})"
                return Pace(False, backoff[0], why)
            on_trunk = sa.select(Campaign.id).where(_trunk_filter(trunk))
            live = session.scalar(
                sa.select(sa.func.count()).where(
                    Attempt.state == AttemptState.dialing.value, Attempt.campaign_id.in_(on_trunk)
                )
            )
            if int(live or 0) >= limits.channels:
                why = f"trunk {trunk or 'default'}: all {limits.channels} channels busy"
                return Pace(False, now + dt.timedelta(seconds=1), why)
            window = dt.timedelta(seconds=max(1.0, 1.0 / limits.calls_per_second))
            allowed = max(1, math.floor(limits.calls_per_second * window.total_seconds()))
            recent = list(
                session.scalars(
                    sa.select(Attempt.dialing_at)
                    .where(Attempt.campaign_id.in_(on_trunk), Attempt.dialing_at > now - window)
                    .order_by(Attempt.dialing_at)
                )
            )
            if len(recent) >= allowed:
                oldest = recent[len(recent) - allowed]
                assert oldest is not None
                why = f"trunk {trunk or 'default'}: {limits.calls_per_second:g} calls per second"
                return Pace(False, oldest + window, why)
            result = session.execute(
                sa.update(Attempt)
                .where(*mine)
                .values(state=AttemptState.dialing.value, dialing_at=now, caller_id=caller_id)
                .execution_options(synchronize_session=False)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return Pace(False, None, "the lease was lost: do not dial")
            return Pace(True)
