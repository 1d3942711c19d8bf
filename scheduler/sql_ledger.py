"""The Ledger on SQLAlchemy (SQLite file or PostgreSQL); database errors become `BackendError` here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler import ledger as L
from scheduler.db import create_engine, for_writes
from scheduler.importing.sql_writer import BATCHES, write_batch
from scheduler.models import (
    Account,
    Attempt,
    AuditEntry,
    Callback,
    CallTurn,
    Campaign,
    ContactNumber,
    Debtor,
    DncEntry,
    ImportBatch,
    ImportReject,
    Promise,
    Recording,
    utcnow,
)
from scheduler.transactions import Transactions, reason
from scheduler.validation import check_aware, check_campaign_spec, check_word
from scheduler.vocabulary import (
    CAMPAIGN_TRANSITIONS,
    AttemptState,
    CampaignState,
    DncScope,
    DncSource,
    Speaker,
)


class SchemaNotCurrent(L.BackendError):
    """The database is missing tables or at an older revision: `dialer db upgrade` fixes it."""


class SqlLedger(Transactions):
    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime] = utcnow) -> None:
        super().__init__(engine)
        self._clock = clock

    @classmethod
    def open(cls, url: str, *, upgrade: bool = False) -> SqlLedger:
        """A ledger on `url`; refuses a database whose schema is not at the newest migration unless
        `upgrade` (then it migrates first)."""
        from scheduler import migrations

        try:
            if upgrade:
                migrations.upgrade(url)
            elif not migrations.is_current(url):
                raise SchemaNotCurrent("the database schema is not current: run `dialer db upgrade`")
        except sa.exc.SQLAlchemyError as exc:
            raise L.BackendError(f"cannot open the database: {reason(exc)}") from exc
        return cls(create_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    # ---- campaigns -------------------------------------------------------------------------------------
    def create_campaign(self, spec: L.CampaignSpec) -> L.CampaignInfo:
        check_campaign_spec(spec)
        with self._session(write=True) as s:
            if s.scalar(sa.select(Campaign.id).where(Campaign.name == spec.name)) is not None:
                raise L.CampaignExists(f"campaign {spec.name!r} already exists")
            row = Campaign(
                name=spec.name,
                script=spec.script,
                profiles=list(spec.profiles),
                window_from=spec.window_from,
                window_to=spec.window_to,
                max_attempts_per_day=spec.max_attempts_per_day,
                max_attempts_total=spec.max_attempts_total,
                retry_policy=dict(spec.retry_policy),
                trunk=spec.trunk,
                caller_id_pool=list(spec.caller_id_pool),
                voicemail_policy=spec.voicemail_policy,
                state=CampaignState.draft.value,
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
            return _campaign(row)

    def _campaign_row(self, s: Session, name: str) -> Campaign:
        row = s.scalar(sa.select(Campaign).where(Campaign.name == name))
        if row is None:
            raise L.CampaignNotFound(f"no campaign named {name!r}")
        return row

    def get_campaign(self, name: str) -> L.CampaignInfo:
        with self._session() as s:
            return _campaign(self._campaign_row(s, name))

    def list_campaigns(self) -> list[L.CampaignInfo]:
        with self._session() as s:
            return [_campaign(c) for c in s.scalars(sa.select(Campaign).order_by(Campaign.name))]

    def set_campaign_state(self, name: str, state: CampaignState, *, actor: str) -> L.CampaignInfo:
        target = CampaignState(check_word(CampaignState, state, "campaign state"))
        with self._session(write=True) as s:
            row = self._campaign_row(s, name)
            current = CampaignState(row.state)
            if target == current:
                return _campaign(row)
            if target not in CAMPAIGN_TRANSITIONS[current]:
                raise L.InvalidTransition(f"campaign {name!r} is {current}: it cannot become {target}")
            row.state = target.value
            if target == CampaignState.running:  # a fresh start: the failure streak and back-off end
                row.state_reason, row.failure_streak, row.backoff_until = None, 0, None
            elif target == CampaignState.paused:
                row.state_reason = f"paused by {actor}"
            if target == CampaignState.stopped:
                s.execute(
                    sa.update(Attempt)
                    .where(Attempt.campaign_id == row.id, Attempt.state == AttemptState.queued.value)
                    .values(state=AttemptState.cancelled.value)
                )
            s.add(
                AuditEntry(
                    at=self._clock(),
                    actor=actor,
                    action=f"campaign.{target.value}",
                    subject=f"campaign:{row.id}",
                    detail={"from": current.value, "name": name},
                )
            )
            return _campaign(row)

    def campaign_stats(self, name: str) -> L.CampaignStats:
        with self._session() as s:
            cid = self._campaign_row(s, name).id
            accounts = s.execute(
                sa.select(Account.currency, sa.func.count(), sa.func.sum(Account.amount_due))
                .where(Account.campaign_id == cid)
                .group_by(Account.currency)
            ).all()
            by_state = dict(
                s.execute(
                    sa.select(Attempt.state, sa.func.count())
                    .where(Attempt.campaign_id == cid)
                    .group_by(Attempt.state)
                ).all()
            )
            dispositions = dict(
                s.execute(
                    sa.select(Attempt.disposition, sa.func.count())
                    .where(Attempt.campaign_id == cid, Attempt.disposition.is_not(None))
                    .group_by(Attempt.disposition)
                ).all()
            )
            promises = s.scalar(
                sa.select(sa.func.count())
                .select_from(Promise)
                .join(Account, Promise.account_id == Account.id)
                .where(Account.campaign_id == cid)
            )
        return L.CampaignStats(
            accounts=sum(n for _, n, _ in accounts),
            amount_due={c: Decimal(t or 0).quantize(Decimal("0.01")) for c, _, t in accounts},
            attempts=sum(by_state.values()),
            attempts_by_state=by_state,
            dispositions={k: v for k, v in dispositions.items() if k is not None},
            promises=int(promises or 0),
        )

    # ---- import ----------------------------------------------------------------------------------------
    def import_batch(self, header: L.ImportHeader, chunks: Iterable[L.ImportChunk]) -> L.ImportCounts:
        now = self._clock()
        try:
            # Reads the campaign, then writes: on SQLite the write lock is taken at BEGIN, or a sign-in
            # committing in between fails the whole import at once ("database is locked").
            with for_writes(self.engine).connect() as conn:
                transaction = conn.begin()
                campaign_id = conn.scalar(sa.select(Campaign.id).where(Campaign.name == header.campaign))
                if campaign_id is None:
                    raise L.CampaignNotFound(f"no campaign named {header.campaign!r}")
                counts = write_batch(conn, header, campaign_id, chunks, now)
                if not header.dry_run:
                    transaction.commit()
                    return counts
                transaction.rollback()
                with conn.begin():  # a dry run keeps the batch record with its counts, nothing else
                    batch = conn.execute(
                        sa.insert(BATCHES).returning(BATCHES.c.id),
                        {
                            "campaign_id": campaign_id,
                            "filename": header.filename[:255],
                            "sha256": header.sha256,
                            "rows": counts.rows,
                            "imported": counts.imported,
                            "updated": counts.updated,
                            "rejected": counts.rejected,
                            "suppressed": counts.suppressed,
                            "duplicates": counts.duplicates,
                            "quality": {},
                            "started_at": now,
                            "finished_at": self._clock(),
                            "dry_run": True,
                        },
                    ).scalar_one()
                return L.ImportCounts(**{**counts.__dict__, "batch": batch})
        except sa.exc.SQLAlchemyError as exc:
            raise L.BackendError(f"import failed, nothing was imported: {reason(exc)}") from exc

    def set_batch_quality(self, batch_id: int, quality: dict[str, Any]) -> None:
        with self._session(write=True) as s:
            batch = s.get(ImportBatch, batch_id)
            if batch is None:
                raise L.RecordNotFound(f"no import batch {batch_id}")
            batch.quality = quality

    def get_import_batch(self, batch_id: int) -> L.ImportBatchInfo:
        found = self._batches(ImportBatch.id == batch_id, 1)
        if not found:
            raise L.RecordNotFound(f"no import batch {batch_id}")
        return found[0]

    def list_import_batches(self, campaign: str, *, limit: int = 10) -> list[L.ImportBatchInfo]:
        """Newest first."""
        self.get_campaign(campaign)
        return self._batches(Campaign.name == campaign, limit)

    def _batches(self, where: Any, limit: int) -> list[L.ImportBatchInfo]:
        with self._session() as s:
            rows = s.execute(
                sa.select(ImportBatch, Campaign.name)
                .join(Campaign)
                .where(where)
                .order_by(ImportBatch.id.desc())
                .limit(limit)
            ).all()
            return [
                L.ImportBatchInfo(
                    b.id,
                    campaign,
                    b.filename,
                    b.sha256,
                    b.rows,
                    b.imported,
                    b.updated,
                    b.rejected,
                    b.suppressed,
                    b.duplicates,
                    dict(b.quality or {}),
                    b.started_at,
                    b.finished_at,
                    b.dry_run,
                )
                for b, campaign in rows
            ]

    def list_import_rejects(self, batch_id: int) -> list[L.RejectedRow]:
        with self._session() as s:
            rows = s.scalars(
                sa.select(ImportReject).where(ImportReject.batch_id == batch_id).order_by(ImportReject.line)
            )
            return [L.RejectedRow(r.line, r.reason, r.raw) for r in rows]

    def get_account(self, account_ref: str) -> L.AccountInfo:
        with self._session() as s:
            a = s.scalar(sa.select(Account).where(Account.account_ref == account_ref))
            if a is None:
                raise L.RecordNotFound(f"no account {account_ref!r}")
            return L.AccountInfo(
                a.id,
                a.account_ref,
                a.debtor_id,
                a.campaign_id,
                a.amount_due,
                a.currency,
                a.due_date,
                a.status,
                a.promised_until,
            )

    def get_debtor(self, debtor_id: int) -> L.DebtorRecord:
        with self._session() as s:
            d = s.get(Debtor, debtor_id)
            if d is None:
                raise L.RecordNotFound(f"no debtor {debtor_id}")
            return L.DebtorRecord(
                d.id,
                d.debtor_ref,
                d.first_name,
                d.last_name,
                d.language,
                d.country,
                d.state,
                d.postal_code,
                d.attorney,
                d.cease_requested,
            )

    def contact_numbers(self, account_ref: str) -> list[tuple[int, str]]:
        with self._session() as s:
            rows = s.execute(
                sa.select(ContactNumber.id, ContactNumber.e164)
                .join(Account, Account.debtor_id == ContactNumber.debtor_id)
                .where(Account.account_ref == account_ref)
                .order_by(ContactNumber.priority, ContactNumber.id)
            ).all()
            return list(rows)

    # ---- do-not-call -----------------------------------------------------------------------------------
    def is_number_blocked(self, e164: str, debtor_id: int | None = None) -> bool:
        active = DncEntry.removed_at.is_(None)
        match = sa.and_(DncEntry.scope == DncScope.number.value, DncEntry.e164 == e164)
        if debtor_id is not None:
            match = sa.or_(
                match, sa.and_(DncEntry.scope == DncScope.person.value, DncEntry.debtor_id == debtor_id)
            )
        with self._session() as s:
            return s.scalar(sa.select(DncEntry.id).where(active, match).limit(1)) is not None

    def add_dnc(
        self,
        scope: DncScope,
        *,
        source: DncSource,
        reason: str = "",
        e164: str | None = None,
        debtor_id: int | None = None,
    ) -> L.DncEntryInfo:
        scope = DncScope(check_word(DncScope, scope, "DNC scope"))
        source = DncSource(check_word(DncSource, source, "DNC source"))
        if scope == DncScope.number and not e164:
            raise L.InvalidValue("a number-scope DNC entry needs the number")
        if scope == DncScope.person and debtor_id is None:
            raise L.InvalidValue("a person-scope DNC entry needs the debtor")
        with self._session(write=True) as s:
            row = DncEntry(
                scope=scope.value,
                e164=e164,
                debtor_id=debtor_id,
                reason=reason,
                source=source.value,
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
            return _dnc(row)

    def remove_dnc(self, entry_id: int, *, reason: str) -> L.DncEntryInfo:
        with self._session(write=True) as s:
            row = s.get(DncEntry, entry_id)
            if row is None:
                raise L.RecordNotFound(f"no DNC entry {entry_id}")
            if row.removed_at is None:
                row.removed_at, row.removed_reason = self._clock(), reason
            return _dnc(row)

    def list_dnc(self, *, active_only: bool = True) -> list[L.DncEntryInfo]:
        query = sa.select(DncEntry).order_by(DncEntry.id)
        if active_only:
            query = query.where(DncEntry.removed_at.is_(None))
        with self._session() as s:
            return [_dnc(r) for r in s.scalars(query)]

    # ---- attempts (queued by the planner, written by claims, pacing and results) -----------------------
    def _attempt(self, s: Session, attempt_id: int) -> Attempt:
        row = s.get(Attempt, attempt_id)
        if row is None:
            raise L.AttemptNotFound(f"no attempt {attempt_id}")
        return row

    def _records(self, s: Session, where: Any) -> list[L.AttemptRecord]:
        rows = s.execute(
            sa.select(Attempt, ContactNumber.debtor_id, ContactNumber.e164)
            .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
            .where(where)
            .order_by(Attempt.scheduled_at, Attempt.id)
        )
        return [_attempt_record(a, debtor_id, e164) for a, debtor_id, e164 in rows]

    def get_attempt(self, attempt_id: int) -> L.AttemptRecord:
        with self._session() as s:
            found = self._records(s, Attempt.id == attempt_id)
            if not found:
                raise L.AttemptNotFound(f"no attempt {attempt_id}")
            return found[0]

    def call_record(self, attempt_id: int) -> L.CallRecord:
        attempt = self.get_attempt(attempt_id)
        with self._session() as s:
            turns = s.scalars(
                sa.select(CallTurn).where(CallTurn.attempt_id == attempt_id).order_by(CallTurn.seq)
            )
            recordings = s.scalars(
                sa.select(Recording).where(Recording.attempt_id == attempt_id).order_by(Recording.id)
            )
            promises = s.scalars(
                sa.select(Promise).where(Promise.attempt_id == attempt_id).order_by(Promise.id)
            )
            callbacks = s.scalars(
                sa.select(Callback.requested_at)
                .where(Callback.attempt_id == attempt_id)
                .order_by(Callback.id)
            )
            return L.CallRecord(
                attempt,
                tuple(
                    L.Turn(
                        t.seq,
                        Speaker(t.speaker),
                        t.text,
                        t.started_at,
                        t.ended_at,
                        t.intent,
                        t.confidence,
                        t.latency_ms,
                        heard_by=t.heard_by or "",
                        asr_confidence=t.asr_confidence,
                        no_speech_prob=t.no_speech_prob,
                        heard_language=t.heard_language or "",
                    )
                    for t in turns
                ),
                tuple(
                    L.RecordingInfo(r.path, r.seconds, r.channels, r.sample_rate, r.sha256)
                    for r in recordings
                ),
                tuple(
                    L.PromiseInfo(
                        p.id, p.attempt_id, p.account_id, p.promised_date, p.amount, p.currency, p.status
                    )
                    for p in promises
                ),
                tuple(callbacks),
            )

    def history(self, debtor_id: int, since: dt.datetime, until: dt.datetime) -> list[L.AttemptRecord]:
        check_aware(since, "since")
        check_aware(until, "until")
        when = sa.func.coalesce(Attempt.dialing_at, Attempt.scheduled_at)
        with self._session() as s:
            return self._records(
                s, sa.and_(ContactNumber.debtor_id == debtor_id, when >= since, when < until)
            )

    def add_promise(
        self, attempt_id: int | None, account_id: int, promised_date: dt.date, amount: Decimal, currency: str
    ) -> int:
        if not isinstance(amount, Decimal) or amount <= 0:
            raise L.InvalidValue(f"promise amount must be a positive Decimal, not {amount!r}")
        with self._session(write=True) as s:
            row = Promise(
                attempt_id=attempt_id,
                account_id=account_id,
                promised_date=promised_date,
                amount=amount,
                currency=currency,
                created_at=self._clock(),
            )
            s.add(row)
            account = s.get(Account, account_id)
            if account is None:
                raise L.RecordNotFound(f"no account {account_id}")
            account.status, account.promised_until = "promised", promised_date
            s.flush()
            return row.id

    def add_callback(self, attempt_id: int | None, account_id: int, requested_at: dt.datetime) -> int:
        check_aware(requested_at, "requested_at")
        with self._session(write=True) as s:
            row = Callback(
                attempt_id=attempt_id,
                account_id=account_id,
                requested_at=requested_at,
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
            return row.id

    def add_turns(self, attempt_id: int, turns: Sequence[L.Turn]) -> None:
        for turn in turns:
            check_aware(turn.started_at, "started_at")
        with self._session(write=True) as s:
            self._attempt(s, attempt_id)
            s.add_all(
                CallTurn(
                    attempt_id=attempt_id,
                    seq=t.seq,
                    speaker=str(t.speaker),
                    text=t.text,
                    intent=t.intent,
                    confidence=t.confidence,
                    started_at=t.started_at,
                    ended_at=t.ended_at,
                    latency_ms=t.latency_ms,
                    heard_by=t.heard_by or None,
                    asr_confidence=t.asr_confidence,
                    no_speech_prob=t.no_speech_prob,
                    heard_language=t.heard_language or None,
                )
                for t in turns
            )

    def add_recording(self, attempt_id: int, recording: L.RecordingInfo) -> int:
        if recording.path.startswith("/") or ".." in recording.path.split("/"):
            raise L.InvalidValue("recording path must be relative to the data directory")
        with self._session(write=True) as s:
            self._attempt(s, attempt_id)
            row = Recording(
                attempt_id=attempt_id,
                path=recording.path,
                seconds=recording.seconds,
                channels=recording.channels,
                sample_rate=recording.sample_rate,
                sha256=recording.sha256,
                created_at=self._clock(),
            )
            s.add(row)
            s.flush()
            return row.id

    def append_audit(self, record: L.AuditRecord) -> int:
        at = record.at or self._clock()
        check_aware(at, "at")
        with self._session(write=True) as s:
            row = AuditEntry(
                at=at,
                actor=record.actor,
                action=record.action,
                subject=record.subject,
                rule=record.rule,
                profile_versions=dict(record.profile_versions),
                detail=dict(record.detail),
            )
            s.add(row)
            s.flush()
            return row.id

    def list_audit(self, *, subject: str | None = None, limit: int = 100) -> list[L.AuditRecord]:
        query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(AuditEntry.subject == subject)
        with self._session() as s:
            return [
                L.AuditRecord(
                    a.actor, a.action, a.subject, a.rule, dict(a.profile_versions), dict(a.detail), a.at
                )
                for a in s.scalars(query)
            ]


def _campaign(c: Campaign) -> L.CampaignInfo:
    return L.CampaignInfo(
        c.id,
        c.name,
        c.script,
        tuple(c.profiles),
        c.window_from,
        c.window_to,
        c.max_attempts_per_day,
        c.max_attempts_total,
        dict(c.retry_policy),
        c.trunk,
        tuple(c.caller_id_pool),
        c.voicemail_policy,
        c.state,
        c.created_at,
        c.state_reason,
        c.failure_streak or 0,
        c.backoff_until,
    )


def _dnc(d: DncEntry) -> L.DncEntryInfo:
    return L.DncEntryInfo(
        d.id, d.scope, d.e164, d.debtor_id, d.reason, d.source, d.created_at, d.removed_at, d.removed_reason
    )


def _attempt_record(a: Attempt, debtor_id: int, e164: str) -> L.AttemptRecord:
    return L.AttemptRecord(
        a.id,
        a.campaign_id,
        a.account_id,
        a.contact_number_id,
        debtor_id,
        e164,
        a.attempt_no,
        a.state,
        a.scheduled_at,
        a.dialing_at,
        a.answered_at,
        a.ended_at,
        a.caller_id,
        a.sip_code,
        a.result,
        a.disposition,
        a.number_status,
        a.talk_seconds,
        a.decision_rule,
    )
