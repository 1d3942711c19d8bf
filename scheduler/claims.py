"""Claims and leases: which host dials which due attempt, and what happens when a host dies.

    queued --claim--> claimed --Pacer.start_call--> dialing --results.record_outcome--> done
       ^                 |                             |
       |  lease expired: back through the policy       |  lease expired: interrupted (a call may have been
       +-----------------+ (allow: queued again;       |  placed, so it is never redialled; the planner
                            deny: rescheduled or       |  decides the next attempt under the policy)
                            cancelled)                 v

PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED` lets hosts claim side by side without waiting on each other.
SQLite (one host): claims are serialized by BEGIN IMMEDIATE, the write lock taken at the start of the
transaction (use `claims_engine`). A campaign backing off after local failures (`backoff_until`) is
skipped until then (scheduler.lifecycle). Every later step checks the lease: the start (scheduler.pacing),
the outcome (scheduler.results), a release, a local failure (scheduler.lifecycle) succeed only for the
lease owner while the lease holds, so a host that lost its lease can neither dial nor overwrite. These
are the only writers of an attempt's lifecycle; the ledger only reads attempts.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler.db import create_engine, session_factory
from scheduler.models import Attempt, AuditEntry, Campaign
from scheduler.vocabulary import AttemptState, Disposition

LIVE = (AttemptState.claimed.value, AttemptState.dialing.value)


@dataclass(frozen=True, slots=True)
class Claim:
    attempt_id: int
    campaign_id: int
    account_id: int
    contact_number_id: int
    attempt_no: int
    scheduled_at: dt.datetime
    lease_owner: str
    lease_expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """A gate's answer for one attempt (the policy decision, reduced to what a claim needs)."""

    allow: bool
    rule: str
    reason: str = ""
    next_allowed_at: dt.datetime | None = None
    profiles: tuple[str, ...] = ()


# A gate decides, inside the claiming transaction, whether an attempt may be dialled now.
Gate = Callable[[Session, Attempt, dt.datetime], GateVerdict]


@dataclass(frozen=True, slots=True)
class Recovery:
    requeued: int = 0
    rescheduled: int = 0
    cancelled: int = 0
    interrupted: int = 0


def fenced(attempt_id: int, owner: str, current: str, now: dt.datetime) -> sa.Update:
    """An UPDATE of one attempt that matches only while `owner` holds its lease in state `current`: every
    step after a claim goes through it, so a host that lost its lease can neither dial nor overwrite."""
    return sa.update(Attempt).where(
        Attempt.id == attempt_id,
        Attempt.state == current,
        Attempt.lease_owner == owner,
        Attempt.lease_expires_at > now,
    )


def default_owner() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def claims_engine(url: str) -> Engine:
    """An engine fit for claiming: on SQLite every transaction takes the write lock at BEGIN."""
    return create_engine(url, sqlite_begin="BEGIN IMMEDIATE")


def audit_verdict(
    session: Session, subject: str, verdict: GateVerdict, at: dt.datetime, actor: str, **detail: object
) -> None:
    """Append one decision (allow or deny) to the audit log with its rule and profile versions."""
    versions = dict(label.split("@", 1) for label in verdict.profiles if "@" in label)
    session.add(
        AuditEntry(
            at=at,
            actor=actor,
            action="policy.allow" if verdict.allow else "policy.deny",
            subject=subject,
            rule=verdict.rule,
            profile_versions=versions,
            detail={
                "reason": verdict.reason,
                "next_allowed_at": verdict.next_allowed_at.isoformat() if verdict.next_allowed_at else None,
                **detail,
            },
        )
    )


class ClaimStore:
    """One host's view of the attempt queue. `gate` is the policy check (None: allow everything, for
    tests of the claiming machinery alone)."""

    def __init__(
        self,
        engine: Engine,
        *,
        owner: str | None = None,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        gate: Gate | None = None,
    ) -> None:
        self.engine = engine
        self.owner = owner or default_owner()
        self.lease = lease
        self.gate = gate
        self._sessions = session_factory(engine)

    def _due(self, now: dt.datetime, limit: int, campaign_id: int | None) -> sa.Select[Attempt]:
        backing_off = sa.select(Campaign.id).where(Campaign.backoff_until > now)
        query = sa.select(Attempt).where(
            Attempt.state == AttemptState.queued.value,
            Attempt.scheduled_at <= now,
            Attempt.campaign_id.not_in(backing_off),  # local failures: the campaign waits (lifecycle.py)
        )
        if campaign_id is not None:
            query = query.where(Attempt.campaign_id == campaign_id)
        return query.order_by(Attempt.scheduled_at, Attempt.id).limit(limit).with_for_update(skip_locked=True)

    def claim(self, now: dt.datetime, *, limit: int = 1, campaign_id: int | None = None) -> list[Claim]:
        """Claim up to `limit` due attempts that the gate allows now; denied ones are rescheduled to the
        next allowed time or cancelled, and every decision is audited."""
        claims: list[Claim] = []
        expires = now + self.lease
        with self._sessions.begin() as session:
            for row in session.scalars(self._due(now, limit, campaign_id)).all():
                if self.gate is not None:
                    verdict = self.gate(session, row, now)
                    audit_verdict(session, f"attempt:{row.id}", verdict, now, self.owner)
                    if not verdict.allow:
                        _deny(row, verdict)
                        continue
                row.state = AttemptState.claimed.value
                row.claimed_at, row.lease_owner, row.lease_expires_at = now, self.owner, expires
                claims.append(
                    Claim(
                        row.id,
                        row.campaign_id,
                        row.account_id,
                        row.contact_number_id,
                        row.attempt_no,
                        row.scheduled_at,
                        self.owner,
                        expires,
                    )
                )
        return claims

    def _fenced(self, attempt_id: int, current: str, now: dt.datetime, **values: object) -> bool:
        with self._sessions.begin() as session:
            result = session.execute(
                fenced(attempt_id, self.owner, current, now)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def renew(self, attempt_id: int, now: dt.datetime) -> bool:
        """Extend the lease of a live call; False if it was already lost."""
        with self._sessions.begin() as session:
            result = session.execute(
                sa.update(Attempt)
                .where(
                    Attempt.id == attempt_id,
                    Attempt.state.in_(LIVE),
                    Attempt.lease_owner == self.owner,
                    Attempt.lease_expires_at > now,
                )
                .values(lease_expires_at=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def release(self, attempt_id: int, now: dt.datetime) -> bool:
        """Give a claimed, not yet dialled attempt back (graceful shutdown)."""
        return self._fenced(
            attempt_id, AttemptState.claimed.value, now, state=AttemptState.queued.value, lease_owner=None,
            lease_expires_at=None, claimed_at=None,
        )  # fmt: skip

    def recover_expired(self, now: dt.datetime, *, limit: int = 500) -> Recovery:
        """Attempts whose lease ran out (their host died): not yet dialled ones go back through the
        policy; dialled ones become interrupted and are never redialled."""
        counts = {"requeued": 0, "rescheduled": 0, "cancelled": 0, "interrupted": 0}
        with self._sessions.begin() as session:
            rows = session.scalars(
                sa.select(Attempt)
                .where(Attempt.state.in_(LIVE), Attempt.lease_expires_at <= now)
                .order_by(Attempt.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                if row.state == AttemptState.dialing.value:
                    row.state, row.ended_at = AttemptState.interrupted.value, now
                    row.disposition = Disposition.interrupted.value
                    row.lease_expires_at = None
                    counts["interrupted"] += 1
                    continue
                verdict = self.gate(session, row, now) if self.gate else GateVerdict(True, "ALLOW")
                if self.gate is not None:
                    audit_verdict(session, f"attempt:{row.id}", verdict, now, self.owner)
                row.lease_owner, row.lease_expires_at, row.claimed_at = None, None, None
                if verdict.allow:
                    row.state = AttemptState.queued.value
                    counts["requeued"] += 1
                else:
                    _deny(row, verdict)
                    counts["rescheduled" if row.state == AttemptState.queued.value else "cancelled"] += 1
        return Recovery(**counts)


def _deny(row: Attempt, verdict: GateVerdict) -> None:
    row.decision_rule = verdict.rule
    row.lease_owner, row.lease_expires_at, row.claimed_at = None, None, None
    if verdict.next_allowed_at is not None:
        row.state = AttemptState.queued.value
        row.scheduled_at = verdict.next_allowed_at
    else:
        row.state = AttemptState.cancelled.value
