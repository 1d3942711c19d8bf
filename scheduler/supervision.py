"""The supervisor's ledger questions besides claims and outcomes (`dialer run`): which campaigns, is
anything left to do, and what a restarted host still holds under its own name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from scheduler.claims import LIVE, fenced
from scheduler.models import Attempt, AuditEntry, Campaign
from scheduler.vocabulary import AttemptState


class UnknownCampaign(LookupError):
    pass


def campaign_ids(engine: Engine, names: Sequence[str]) -> dict[str, int]:
    """name -> id for each named campaign; an unknown name is an error that names it."""
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(Campaign.name, Campaign.id).where(Campaign.name.in_(names))).all())
    missing = [n for n in names if n not in rows]
    if missing:
        raise UnknownCampaign(f"no campaign named {missing[0]!r}")
    return {str(k): int(v) for k, v in rows.items()}


def campaign_scripts(engine: Engine, ids: Sequence[int] | None) -> dict[str, str]:
    """Campaign name -> script of the running campaigns (all, or the selected ones)."""
    query = sa.select(Campaign.name, Campaign.script).where(Campaign.state == "running")
    if ids:
        query = query.where(Campaign.id.in_(ids))
    with engine.connect() as conn:
        return {str(n): str(s) for n, s in conn.execute(query).all()}


@dataclass(frozen=True, slots=True)
class RunningCampaign:
    id: int
    name: str
    script: str
    caller_id_pool: tuple[str, ...]


def running_campaigns(engine: Engine, ids: Sequence[int] | None) -> list[RunningCampaign]:
    """The running campaigns (all, or the selected ones) with what the pre-flight checks need."""
    query = sa.select(Campaign.id, Campaign.name, Campaign.script, Campaign.caller_id_pool).where(
        Campaign.state == "running"
    )
    if ids:
        query = query.where(Campaign.id.in_(ids))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(Campaign.id)).all()
    return [RunningCampaign(int(i), str(n), str(s), tuple(p or ())) for i, n, s, p in rows]


def pending_work(engine: Engine, ids: Sequence[int] | None, now: dt.datetime) -> int:
    """Attempts queued and due, or claimed/dialling by any host, in the selected campaigns."""
    due = sa.or_(
        sa.and_(Attempt.state == AttemptState.queued.value, Attempt.scheduled_at <= now),
        Attempt.state.in_(LIVE),
    )
    query = sa.select(sa.func.count()).select_from(Attempt).where(due)
    if ids:
        query = query.where(Attempt.campaign_id.in_(ids))
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def held_by(engine: Engine, owner: str) -> list[tuple[int, str]]:
    """(attempt id, state) of live attempts leased to `owner` (a restart under the same host id)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Attempt.id, Attempt.state)
            .where(Attempt.lease_owner == owner, Attempt.state.in_(LIVE))
            .order_by(Attempt.id)
        ).all()
    return [(int(i), str(s)) for i, s in rows]


def cancel_claimed(engine: Engine, owner: str, attempt_id: int, now: dt.datetime, why: str) -> bool:
    """A claimed attempt that cannot make a call (bad ledger data): cancelled with rule DATA, audited;
    the planner decides the account's next attempt once the data is fixed."""
    with engine.begin() as conn:
        done = conn.execute(
            fenced(attempt_id, owner, AttemptState.claimed.value, now).values(
                state=AttemptState.cancelled.value,
                decision_rule="DATA",
                lease_owner=None,
                lease_expires_at=None,
                ended_at=now,
            )
        ).rowcount
        if done:
            conn.execute(
                sa.insert(AuditEntry).values(
                    at=now,
                    actor=owner,
                    action="attempt.cancel",
                    subject=f"attempt:{attempt_id}",
                    rule="DATA",
                    profile_versions={},
                    detail={"reason": why},
                )
            )
    return bool(done)
