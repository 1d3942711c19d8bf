"""Recording an ended attempt: one `CallOutcome`, one transaction, fenced by the lease.

    record_outcome(engine, owner, outcome, now, data_dir=...)
      attempt  dialing -> done (or interrupted), disposition, history result, SIP, timings,  } only while
               machine detection, opening latency, number-status evidence                   } `owner`
      call turns with their keypad digits, the recording row (WAV header and SHA-256)       } holds the
      promise to pay (account -> promised), already paid (-> paid), dispute (-> disputed)    } lease; else
      callback time (the planner's retry honours it), opt-out (DNC, effective at once)      } nothing is
      a payment plan: one promise per part (plan id, part number), in the order agreed       }
      an account flag for attorney, bankruptcy, cease, deceased, dispute, language barrier    }
      the disclosures the bot played, with their times                                       }
      number status on the contact number (vacant / out of service: suppressed)             } written
      one audit entry (codes and measures only: no words, numbers or digits)

    refuse_before_dial(engine, owner, attempt_id, status, reason, now)
      a claimed attempt whose number failed the pre-dial check: cancelled, the number marked

The child rows are written by `SqlLedger`'s own methods on a session joined to this transaction (no second
copy of their rules); the attempt row itself is updated through the lease fence (`scheduler.claims.fenced`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import wave
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from scheduler import ledger as L
from scheduler.claims import fenced
from scheduler.models import (
    Account,
    AccountFlagEntry,
    Attempt,
    CallDisclosure,
    CallTurn,
    ContactNumber,
    Debtor,
    PaymentPlan,
    Promise,
)
from scheduler.outcomes import FLAG_DISPOSITIONS, CallOutcome
from scheduler.sql_ledger import SqlLedger
from scheduler.validation import check_aware, check_word
from scheduler.vocabulary import (
    AccountStatus,
    AttemptState,
    Disposition,
    DncScope,
    DncSource,
    HistoryResult,
    NumberStatus,
    Speaker,
)

SUPPRESSED = frozenset({NumberStatus.vacant, NumberStatus.out_of_service})
KEPT = frozenset({NumberStatus.suppressed.value, NumberStatus.invalid.value})  # never overwritten by a call
ACTION = "call.outcome"
MACHINE_WORDS = ("", "human", "machine")
KEYPAD = re.compile(r"^[0-9*#A-D]{1,64}$")
DEAD_BEFORE_DIAL = frozenset(
    {NumberStatus.invalid, NumberStatus.vacant, NumberStatus.out_of_service, NumberStatus.suppressed}
)


class RecordingError(L.InvalidValue):
    """The recording named in an outcome cannot be read (missing, not a PCM WAV, outside the data dir)."""


@dataclass(frozen=True, slots=True)
class RecordingFacts:
    path: str
    seconds: float
    channels: int
    sample_rate: int
    sha256: str


def read_recording(data_dir: Path, relative: str) -> RecordingFacts:
    """The recording's header facts and checksum (read before the transaction opens)."""
    root = data_dir.resolve()
    path = (root / relative).resolve()
    if Path(relative).is_absolute() or not path.is_relative_to(root):
        raise RecordingError("the recording path must be relative to the data directory")
    try:
        with wave.open(str(path), "rb") as w:
            frames, rate, channels = w.getnframes(), w.getframerate(), w.getnchannels()
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except (OSError, wave.Error, EOFError) as exc:
        raise RecordingError(f"cannot read the recording {relative}: {exc.__class__.__name__}") from exc
    return RecordingFacts(
        path.relative_to(root).as_posix(), frames / rate if rate else 0.0, channels, rate, digest.hexdigest()
    )


def _check(outcome: CallOutcome) -> None:
    check_aware(outcome.ended_at, "ended_at")
    for name in ("answered_at", "callback_at"):
        value = getattr(outcome, name)
        if value is not None:
            check_aware(value, name)
    check_word(Disposition, outcome.disposition, "disposition")
    check_word(HistoryResult, outcome.history_result, "history result")
    if outcome.number_status is not None:
        check_word(NumberStatus, outcome.number_status, "number status")
    if outcome.opt_out not in ("", "number", "all"):
        raise L.InvalidValue(f"opt_out {outcome.opt_out!r} is not one of: '', number, all")
    if outcome.machine not in MACHINE_WORDS:
        raise L.InvalidValue(f"machine {outcome.machine!r} is not one of: '', human, machine")
    if outcome.opening_ms is not None and outcome.opening_ms < 0:
        raise L.InvalidValue("opening_ms must not be negative")
    for turn in outcome.turns:
        check_word(Speaker, turn.speaker, "turn speaker")
        if turn.keys and not KEYPAD.match(turn.keys):  # the digits stay out of the message: it may be logged
            raise L.InvalidValue(f"turn {turn.seq}: keys must be 1-64 keypad digits (0-9, *, #, A-D)")


def record_outcome(
    engine: Engine,
    owner: str,
    outcome: CallOutcome,
    now: dt.datetime,
    *,
    data_dir: Path | None = None,
) -> bool:
    """Record an ended attempt; False (and nothing written) when `owner` no longer holds its lease.

    `data_dir` is needed when the outcome names a recording. Bad values raise `InvalidValue` before
    anything is written; database failures raise `BackendError`."""
    _check(outcome)
    check_aware(now, "now")
    facts = None
    if outcome.recording_path:
        if data_dir is None:
            raise L.InvalidValue("an outcome with a recording needs the data directory")
        facts = read_recording(data_dir, outcome.recording_path)
    try:
        with engine.connect() as conn, conn.begin() as tx:
            if not _fence(conn, owner, outcome, now):
                tx.rollback()
                return False
            _children(conn, owner, outcome, now, facts)
    except L.LedgerError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        raise L.BackendError(f"recording the outcome failed: {exc.__class__.__name__}") from exc
    return True


def _fence(conn: Connection, owner: str, outcome: CallOutcome, now: dt.datetime) -> bool:
    interrupted = outcome.disposition == Disposition.interrupted
    result = conn.execute(
        fenced(outcome.attempt_id, owner, AttemptState.dialing.value, now).values(
            state=(AttemptState.interrupted if interrupted else AttemptState.done).value,
            ended_at=outcome.ended_at,
            answered_at=outcome.answered_at,
            result=outcome.history_result,
            disposition=str(outcome.disposition),
            number_status=str(outcome.number_status) if outcome.number_status else None,
            sip_code=outcome.sip_code or None,
            sip_reason=outcome.sip_reason or None,
            early_media_seconds=outcome.early_media_seconds,
            talk_seconds=outcome.talk_seconds,
            machine=outcome.machine or None,
            opening_ms=outcome.opening_ms,
            number_status_evidence=outcome.number_status_evidence[:200] or None,
            lease_expires_at=None,
        )
    )
    return bool(result.rowcount)


def _children(
    conn: Connection, owner: str, outcome: CallOutcome, now: dt.datetime, facts: RecordingFacts | None
) -> None:
    attempt_id = outcome.attempt_id
    account_id, number_id, debtor_id, amount_due, currency, e164 = conn.execute(
        sa.select(
            Attempt.account_id,
            Attempt.contact_number_id,
            Account.debtor_id,
            Account.amount_due,
            Account.currency,
            ContactNumber.e164,
        )
        .join(Account, Account.id == Attempt.account_id)
        .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
        .where(Attempt.id == attempt_id)
    ).one()
    # A session bound to this connection joins its transaction: the ledger's writes commit or roll back
    # with the attempt's fenced update.
    ledger = SqlLedger(cast(Engine, conn), clock=lambda: now)
    base = outcome.answered_at or outcome.ended_at
    if outcome.turns:
        ledger.add_turns(
            attempt_id,
            [
                L.Turn(
                    t.seq,
                    Speaker(t.speaker),
                    t.text,
                    base + dt.timedelta(seconds=t.start_s),
                    None if t.end_s is None else base + dt.timedelta(seconds=t.end_s),
                    t.intent,
                    t.confidence,
                    t.latency_ms,
                    heard_by=t.heard_by,
                    asr_confidence=t.asr_confidence,
                    no_speech_prob=t.no_speech_prob,
                    heard_language=t.heard_language,
                )
                for t in outcome.turns
            ],
        )
        _turn_keys(conn, outcome)
    if facts is not None:
        ledger.add_recording(
            attempt_id,
            L.RecordingInfo(facts.path, facts.seconds, facts.channels, facts.sample_rate, facts.sha256),
        )
    if len(outcome.plan) > 1 or (outcome.plan and outcome.settlement_total is not None):
        _plan(conn, ledger, outcome, account_id, Decimal(amount_due), currency, now)
    elif outcome.promise is not None:
        amount = outcome.promise.amount if outcome.promise.amount is not None else Decimal(amount_due)
        ledger.add_promise(
            attempt_id, account_id, outcome.promise.date, amount, outcome.promise.currency or currency
        )
    if outcome.disposition in FLAG_DISPOSITIONS:
        _flag(conn, outcome, debtor_id, account_id, number_id, now)
    for d in outcome.disclosures:
        conn.execute(
            sa.insert(CallDisclosure).values(
                attempt_id=attempt_id,
                kind=d.kind,
                started_at=base + dt.timedelta(seconds=d.start_s),
                ended_at=None if d.end_s is None else base + dt.timedelta(seconds=d.end_s),
                complete=d.complete,
            )
        )
    if outcome.paid_date is not None or outcome.disposition == Disposition.already_paid:
        _account_status(conn, account_id, AccountStatus.paid, now)
    if outcome.disposition == Disposition.dispute:
        _account_status(conn, account_id, AccountStatus.disputed, now)
    if outcome.callback_at is not None:
        ledger.add_callback(attempt_id, account_id, outcome.callback_at)
    if outcome.opt_out == "number":
        ledger.add_dnc(
            DncScope.number, source=DncSource.call, reason=f"opt-out on attempt {attempt_id}", e164=e164
        )
    elif outcome.opt_out == "all":
        ledger.add_dnc(
            DncScope.person,
            source=DncSource.call,
            reason=f"opt-out on attempt {attempt_id}",
            debtor_id=debtor_id,
        )
    if outcome.number_status is not None:
        _number_status(conn, number_id, NumberStatus(outcome.number_status), outcome, now)
    ledger.append_audit(
        L.AuditRecord(owner, ACTION, f"attempt:{attempt_id}", detail=_audit_detail(outcome, facts), at=now)
    )


def _plan(
    conn: Connection,
    ledger: SqlLedger,
    outcome: CallOutcome,
    account_id: int,
    amount_due: Decimal,
    currency: str,
    now: dt.datetime,
) -> None:
    """Every part of a payment plan as a promise (plan id, part number); a part without an amount is the
    rest of the balance (of the settled total, for a settlement). The account is promised until the last
    part's date; a settlement is marked as such and its total is what the parts pay."""
    owed = outcome.settlement_total if outcome.settlement_total is not None else amount_due
    parts: list[tuple[dt.date, Decimal]] = []
    for part in outcome.plan:
        amount = part.amount if part.amount is not None else owed - sum(a for _, a in parts)
        if amount <= 0:
            raise L.InvalidValue(f"payment plan part {len(parts) + 1}: the amount must be positive")
        parts.append((part.date, amount))
    plan_id = conn.execute(
        sa.insert(PaymentPlan)
        .values(
            account_id=account_id,
            attempt_id=outcome.attempt_id,
            parts=len(parts),
            total=sum(a for _, a in parts),
            settlement=outcome.settlement_total is not None,
            currency=outcome.plan[0].currency or currency,
            status="pending",
            created_at=now,
        )
        .returning(PaymentPlan.id)
    ).scalar_one()
    for no, (date, amount) in enumerate(parts, start=1):
        promise_id = ledger.add_promise(
            outcome.attempt_id, account_id, date, amount, outcome.plan[0].currency or currency
        )
        conn.execute(sa.update(Promise).where(Promise.id == promise_id).values(plan_id=plan_id, part_no=no))
    last = max(date for date, _ in parts)
    conn.execute(sa.update(Account).where(Account.id == account_id).values(promised_until=last))


def _flag(
    conn: Connection, outcome: CallOutcome, debtor_id: int, account_id: int, number_id: int, now: dt.datetime
) -> None:
    """The reply on record; a language barrier also sets the debtor's language when it was recognised."""
    detail = {
        k: v
        for k, v in (("attorney_name", outcome.attorney_name), ("attorney_phone", outcome.attorney_phone))
        if v
    }
    language = outcome.spoken_language.strip().lower()[:16] or None
    conn.execute(
        sa.insert(AccountFlagEntry).values(
            debtor_id=debtor_id,
            account_id=account_id,
            attempt_id=outcome.attempt_id,
            contact_number_id=number_id,
            kind=str(outcome.disposition),
            language=language if outcome.disposition == Disposition.language_barrier else None,
            detail=detail,
            source=DncSource.call.value,
            created_at=now,
        )
    )
    if outcome.disposition == Disposition.language_barrier and language:
        conn.execute(
            sa.update(Debtor).where(Debtor.id == debtor_id).values(language=language, updated_at=now)
        )


def _turn_keys(conn: Connection, outcome: CallOutcome) -> None:
    """The keypad digits of each turn that had some (the ledger's turn value has no field for them)."""
    for t in outcome.turns:
        if t.keys:
            conn.execute(
                sa.update(CallTurn)
                .where(CallTurn.attempt_id == outcome.attempt_id, CallTurn.seq == t.seq)
                .values(keys=t.keys)
            )


def _account_status(conn: Connection, account_id: int, status: AccountStatus, now: dt.datetime) -> None:
    conn.execute(
        sa.update(Account).where(Account.id == account_id).values(status=status.value, updated_at=now)
    )


def _number_status(
    conn: Connection, number_id: int, status: NumberStatus, outcome: CallOutcome, now: dt.datetime
) -> None:
    values: dict[str, object] = {
        "status": status.value,
        "status_detail": f"{outcome.number_status_evidence} on attempt {outcome.attempt_id}"[:200],
        "last_checked_at": now,
    }
    if status in SUPPRESSED:
        values["suppressed_at"] = now
    conn.execute(
        sa.update(ContactNumber)
        .where(ContactNumber.id == number_id, ContactNumber.status.not_in(KEPT))
        .values(**values)
    )


def _audit_detail(outcome: CallOutcome, facts: RecordingFacts | None) -> dict[str, object]:
    """What the audit keeps about a call: codes and measures, never names, numbers, amounts or words."""
    bot_latencies = [t.latency_ms for t in outcome.turns if t.speaker == "bot" and t.latency_ms is not None]
    return {
        "disposition": str(outcome.disposition),
        "result": outcome.history_result,
        "sip_code": outcome.sip_code,
        "number_status": str(outcome.number_status) if outcome.number_status else None,
        "evidence": outcome.number_status_evidence,
        "machine": outcome.machine,
        "opening_ms": outcome.opening_ms,
        "talk_seconds": round(outcome.talk_seconds, 3),
        "turns": len(outcome.turns),
        "turn_latency_ms": bot_latencies,
        "promise": outcome.promise is not None,
        "plan_parts": len(outcome.plan),
        "flag": str(outcome.disposition) if outcome.disposition in FLAG_DISPOSITIONS else None,
        "disclosures": [d.kind for d in outcome.disclosures if d.complete],
        "recording_withheld": outcome.recording_withheld,
        "paid": outcome.paid_date is not None or outcome.disposition == Disposition.already_paid,
        "callback": outcome.callback_at.isoformat() if outcome.callback_at else None,
        "opt_out": outcome.opt_out,
        "recording": facts is not None,
        "error": outcome.error,
    }


def refuse_before_dial(
    engine: Engine, owner: str, attempt_id: int, status: NumberStatus, reason: str, now: dt.datetime
) -> bool:
    """A claimed attempt whose number failed the pre-dial check: the attempt is cancelled (rule NUMBER,
    never dialled, never counted), the number takes `status` (invalid, vacant...: suppressed), and the
    planner moves to the debtor's other numbers. False when `owner` no longer holds the claim.
    `reason` must not contain the number (it is stored and audited)."""
    check_aware(now, "now")
    status = NumberStatus(check_word(NumberStatus, status, "number status"))
    try:
        with engine.connect() as conn, conn.begin() as tx:
            done = conn.execute(
                fenced(attempt_id, owner, AttemptState.claimed.value, now).values(
                    state=AttemptState.cancelled.value,
                    decision_rule="NUMBER",
                    number_status=status.value,
                    lease_owner=None,
                    lease_expires_at=None,
                    claimed_at=None,
                )
            )
            if not done.rowcount:
                tx.rollback()
                return False
            number_id = conn.scalar(sa.select(Attempt.contact_number_id).where(Attempt.id == attempt_id))
            values: dict[str, object] = {
                "status": status.value,
                "status_detail": f"pre-dial: {reason}"[:200],
                "last_checked_at": now,
            }
            if status in DEAD_BEFORE_DIAL:
                values["suppressed_at"] = now
            conn.execute(sa.update(ContactNumber).where(ContactNumber.id == number_id).values(**values))
            SqlLedger(cast(Engine, conn), clock=lambda: now).append_audit(
                L.AuditRecord(owner, "call.refused", f"attempt:{attempt_id}", "NUMBER",
                              detail={"number_status": status.value, "reason": reason[:200]}, at=now)
            )  # fmt: skip
    except sa.exc.SQLAlchemyError as exc:
        raise L.BackendError(f"refusing the attempt failed: {exc.__class__.__name__}") from exc
    return True
