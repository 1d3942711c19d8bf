"""The ledger side of call inspection: what a call's record holds for the rules (`CallFacts`), and the
inspections, findings and reviewer verdicts that come back.

The rules themselves live in `dialer.qa` (data plus evaluation, no database); this module reads one call
into plain values and stores the result in one transaction, with each finding and each disclosure played
appended to the hash-chained audit log (`scheduler.audit_chain`) in that same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from scheduler import audit_chain
from scheduler.ledger import AttemptNotFound, BackendError, InvalidValue
from scheduler.models import (
    Account,
    Attempt,
    AuditEntry,
    CallTurn,
    Campaign,
    ContactNumber,
    Debtor,
    DncEntry,
    Promise,
    QaFinding,
    QaInspection,
    QaVerdict,
    Recording,
    utcnow,
)

VERDICTS = ("confirm", "dismiss")
SEVERITIES = ("critical", "major", "minor")


@dataclass(frozen=True, slots=True)
class FactTurn:
    seq: int
    speaker: str  # bot, callee
    text: str
    start_s: float  # seconds since the answer
    end_s: float | None
    intent: str | None = None
    keys: str = ""


@dataclass(frozen=True, slots=True)
class PolicyStep:
    action: str  # policy.allow, policy.deny
    rule: str | None
    at: dt.datetime


@dataclass(frozen=True)
class CallFacts:
    """Everything the rules look at for one attempt; plain values only."""

    attempt_id: int
    campaign: str
    script: str
    language: str
    country: str | None
    state: str | None
    disposition: str | None
    dialing_at: dt.datetime | None
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    amount_due: Decimal
    currency: str
    turns: tuple[FactTurn, ...]
    recordings: tuple[tuple[int, str, str], ...] = ()  # (id, path, sha256)
    promises: tuple[tuple[dt.date, Decimal], ...] = ()
    opted_out: bool = False  # a DNC entry came from this call
    policy: tuple[PolicyStep, ...] = ()  # decisions on this attempt, oldest first
    zone: str | None = None  # the number's first IANA zone
    window: tuple[str | None, str | None] = (None, None)  # the campaign's own window, local HH:MM
    max_per_day: int = 1
    max_total: int = 7
    dials: tuple[dt.datetime, ...] = ()  # this debtor's dials in this campaign up to this one (dialing_at)


@dataclass(frozen=True, slots=True)
class FindingRecord:
    rule: str
    severity: str
    message: str
    seq: int | None = None
    at_s: float | None = None


@dataclass(frozen=True)
class InspectionResult:
    attempt_id: int
    rules_version: str
    script_version: str
    score: int
    findings: Sequence[FindingRecord]
    disclosures: Sequence[dict[str, Any]] = field(default_factory=tuple)  # played: kind, seq, start, end


class Inspections:
    """Reads calls for inspection and stores what the inspection found."""

    def __init__(self, engine: Engine, clock: Any = utcnow) -> None:
        self.engine = engine
        self._clock = clock

    # ---- reading --------------------------------------------------------------------------------------
    def uninspected(self, rules_version: str, *, campaign: str | None = None, limit: int = 500) -> list[int]:
        """Ended attempts not yet inspected under this rule version, oldest first."""
        done = sa.select(QaInspection.attempt_id).where(QaInspection.rules_version == rules_version)
        query = (
            sa.select(Attempt.id)
            .where(Attempt.ended_at.is_not(None), Attempt.id.not_in(done))
            .order_by(Attempt.id)
            .limit(limit)
        )
        if campaign is not None:
            query = query.join(Campaign, Campaign.id == Attempt.campaign_id).where(Campaign.name == campaign)
        with self._read() as conn:
            return [int(i) for i in conn.scalars(query)]

    def facts(self, attempt_id: int) -> CallFacts:
        with self._read() as conn:
            return _facts(conn, attempt_id)

    # ---- writing --------------------------------------------------------------------------------------
    def record(self, result: InspectionResult, *, script: str) -> int:
        """Store one inspection (replacing none: a call is inspected once per rule version) with its
        findings; each finding and each disclosure played goes onto the audit chain."""
        for f in result.findings:
            if f.severity not in SEVERITIES:
                raise InvalidValue(f"severity {f.severity!r} is not one of: {', '.join(SEVERITIES)}")
        now = self._clock()
        subject = f"attempt:{result.attempt_id}"

        def write(conn: Connection) -> int:
            done = conn.scalar(
                sa.select(QaInspection.id).where(
                    QaInspection.attempt_id == result.attempt_id,
                    QaInspection.rules_version == result.rules_version,
                )
            )
            if done is not None:  # another pass inspected it meanwhile
                return int(done)
            inspection_id = int(
                conn.execute(
                    sa.insert(QaInspection)
                    .values(
                        attempt_id=result.attempt_id,
                        rules_version=result.rules_version,
                        script=script,
                        script_version=result.script_version,
                        score=result.score,
                        findings=len(result.findings),
                        inspected_at=now,
                    )
                    .returning(QaInspection.id)
                ).scalar_one()
            )
            entries: list[audit_chain.Entry] = [
                audit_chain.Entry("disclosure", subject, None, dict(d)) for d in result.disclosures
            ]
            for f in result.findings:
                finding_id = int(
                    conn.execute(
                        sa.insert(QaFinding)
                        .values(
                            inspection_id=inspection_id,
                            attempt_id=result.attempt_id,
                            rule=f.rule,
                            severity=f.severity,
                            seq=f.seq,
                            at_s=f.at_s,
                            message=f.message[:500],
                            created_at=now,
                        )
                        .returning(QaFinding.id)
                    ).scalar_one()
                )
                entries.append(
                    audit_chain.Entry(
                        "qa.finding",
                        subject,
                        finding_id,
                        {"rule": f.rule, "severity": f.severity, "seq": f.seq,
                         "rules_version": result.rules_version},
                    )
                )  # fmt: skip
            audit_chain.append_in(conn, entries, now)
            return inspection_id

        return audit_chain.retrying(self.engine, write)

    def add_verdict(self, finding_id: int, verdict: str, note: str, reviewer: str) -> int:
        """Store a reviewer's verdict and audit it (the note stays out of the audit: it is free text)."""
        if verdict not in VERDICTS:
            raise InvalidValue(f"verdict {verdict!r} is not one of: confirm, dismiss")
        if verdict == "dismiss" and not note.strip():
            raise InvalidValue("a dismissal needs a note saying why")
        try:
            with self.engine.begin() as conn:
                attempt_id = conn.scalar(sa.select(QaFinding.attempt_id).where(QaFinding.id == finding_id))
                if attempt_id is None:
                    raise AttemptNotFound(f"no finding {finding_id}")
                conn.execute(
                    sa.insert(AuditEntry).values(
                        at=self._clock(),
                        actor=reviewer[:100],
                        action="qa.verdict",
                        subject=f"attempt:{attempt_id}",
                        profile_versions={},
                        detail={"finding": finding_id, "verdict": verdict},
                    )
                )
                return int(
                    conn.execute(
                        sa.insert(QaVerdict)
                        .values(
                            finding_id=finding_id,
                            verdict=verdict,
                            note=note[:1000],
                            reviewer=reviewer[:100],
                            at=self._clock(),
                        )
                        .returning(QaVerdict.id)
                    ).scalar_one()
                )
        except sa.exc.SQLAlchemyError as exc:
            raise BackendError(f"storing the verdict failed: {exc.__class__.__name__}") from exc

    def _read(self) -> Any:
        return _Reading(self.engine)


class _Reading:
    """A read-only session; database failures become `BackendError`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Session:
        self._session = Session(self.engine)
        return self._session

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        self._session.close()
        if isinstance(exc, sa.exc.SQLAlchemyError):
            raise BackendError(f"reading the ledger failed: {exc.__class__.__name__}") from exc


def _facts(conn: Session, attempt_id: int) -> CallFacts:
    row = conn.execute(
        sa.select(Attempt, Account, Debtor, Campaign, ContactNumber)
        .join(Account, Account.id == Attempt.account_id)
        .join(Debtor, Debtor.id == Account.debtor_id)
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
        .where(Attempt.id == attempt_id)
    ).first()
    if row is None:
        raise AttemptNotFound(f"no attempt {attempt_id}")
    a, account, debtor, campaign, number = row
    turns = tuple(
        FactTurn(t.seq, t.speaker, t.text, *_offsets(t, a.answered_at or a.ended_at), t.intent, t.keys or "")
        for t in conn.execute(
            sa.select(CallTurn).where(CallTurn.attempt_id == attempt_id).order_by(CallTurn.seq)
        )
        .scalars()
        .all()
    )
    recordings = tuple(
        (int(r.id), r.path, r.sha256)
        for r in conn.execute(sa.select(Recording).where(Recording.attempt_id == attempt_id)).scalars()
    )
    promises = tuple(
        (p.promised_date, p.amount)
        for p in conn.execute(sa.select(Promise).where(Promise.attempt_id == attempt_id)).scalars()
    )
    opted_out = (
        conn.scalar(
            sa.select(sa.func.count(DncEntry.id)).where(DncEntry.reason == f"opt-out on attempt {attempt_id}")
        )
        or 0
    ) > 0
    policy = tuple(
        PolicyStep(e.action, e.rule, e.at)
        for e in conn.execute(
            sa.select(AuditEntry)
            .where(AuditEntry.subject == f"attempt:{attempt_id}", AuditEntry.action.like("policy.%"))
            .order_by(AuditEntry.id)
        ).scalars()
    )
    dials = tuple(
        d
        for d in conn.scalars(
            sa.select(Attempt.dialing_at)
            .join(Account, Account.id == Attempt.account_id)
            .where(
                Account.debtor_id == debtor.id,
                Attempt.campaign_id == campaign.id,
                Attempt.dialing_at.is_not(None),
                Attempt.id <= attempt_id,
            )
            .order_by(Attempt.dialing_at)
        )
        if d is not None
    )
    return CallFacts(
        attempt_id=attempt_id,
        campaign=campaign.name,
        script=campaign.script,
        language=debtor.language or "en",
        country=debtor.country,
        state=debtor.state,
        disposition=a.disposition,
        dialing_at=a.dialing_at,
        answered_at=a.answered_at,
        ended_at=a.ended_at,
        amount_due=account.amount_due,
        currency=account.currency,
        turns=turns,
        recordings=recordings,
        promises=promises,
        opted_out=opted_out,
        policy=policy,
        zone=next(iter(number.area_code_zones or []), None),
        window=(campaign.window_from, campaign.window_to),
        max_per_day=campaign.max_attempts_per_day,
        max_total=campaign.max_attempts_total,
        dials=dials,
    )


def _offsets(turn: CallTurn, base: dt.datetime | None) -> tuple[float, float | None]:
    if base is None:
        return 0.0, None
    start = (turn.started_at - base).total_seconds()
    end = None if turn.ended_at is None else (turn.ended_at - base).total_seconds()
    return round(start, 3), None if end is None else round(end, 3)
