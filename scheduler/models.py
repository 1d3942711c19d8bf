"""The ledger's tables (SQLAlchemy 2.0 typed declarative).

Conventions every part relies on: money is `Numeric(14, 2)` and comes back as `Decimal`; every timestamp is
timezone-aware UTC (`UTCDateTime`, also on SQLite, which has no zone type); vocabulary columns hold the exact
strings of `scheduler.vocabulary` (plain VARCHAR, so adding a word needs no table rebuild). The schema is
owned by the Alembic migrations in `scheduler/migrations`; a test keeps the two in agreement.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from scheduler.vocabulary import (
    AccountStatus,
    AttemptState,
    CampaignState,
    NumberStatus,
    PromiseStatus,
    VoicemailPolicy,
)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    Naive values are refused: a naive time in a compliance ledger is a bug waiting for a DST change.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to a UTC column")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


Money = sa.Numeric(14, 2, asdecimal=True)
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dt.datetime: UTCDateTime(),
        Decimal: Money,
        dict[str, Any]: sa.JSON(),
        list[Any]: sa.JSON(),
        list[str]: sa.JSON(),
        list[dict[str, str]]: sa.JSON(),
    }


def _created() -> Mapped[dt.datetime]:
    return mapped_column(default=utcnow)


class Debtor(Base):
    """The person. `debtor_ref` is the customer id of the call list (defaults to the account ref)."""

    __tablename__ = "debtors"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_ref: Mapped[str] = mapped_column(sa.String(64), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(100), default="")
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    country: Mapped[str | None] = mapped_column(sa.String(2))
    state: Mapped[str | None] = mapped_column(sa.String(64))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    attorney: Mapped[bool] = mapped_column(default=False)
    cease_requested: Mapped[bool] = mapped_column(default=False)
    # [{"days": "mon-fri", "from": "09:00", "to": "17:00"}] in the debtor's local time
    inconvenient_times: Mapped[list[dict[str, str]]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtors.id", ondelete="CASCADE"), index=True)
    contact_number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact_numbers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))  # ConsentKind
    granted_at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(sa.String(64), default="")
    revoked_at: Mapped[dt.datetime | None]


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    script: Mapped[str] = mapped_column(sa.String(100), default="reminder-en")
    # jurisdiction profiles, e.g. ["US", "US-MA"]; empty: derive from each debtor
    profiles: Mapped[list[str]] = mapped_column(default=list)
    window_from: Mapped[str | None] = mapped_column(sa.String(5))  # "HH:MM" local, narrower than the law
    window_to: Mapped[str | None] = mapped_column(sa.String(5))
    max_attempts_per_day: Mapped[int] = mapped_column(default=1)
    max_attempts_total: Mapped[int] = mapped_column(default=7)
    retry_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trunk: Mapped[str | None] = mapped_column(sa.String(100))  # SIP profile name; None: the default
    caller_id_pool: Mapped[list[str]] = mapped_column(default=list)
    voicemail_policy: Mapped[str] = mapped_column(sa.String(16), default=VoicemailPolicy.message.value)
    state: Mapped[str] = mapped_column(sa.String(16), default=CampaignState.draft.value)
    created_at: Mapped[dt.datetime] = _created()
    # 0005: language -> script, for a consumer who speaks another language: {"zh": "reminder-zh"}
    scripts_by_language: Mapped[dict[str, Any]] = mapped_column(server_default="{}")  # older seeds omit it
    # local failures (migration 0006): consecutive attempts not placed through our own fault, the back-off
    # they earned, and why the campaign paused itself (shown by `campaign show`, the console, /metrics)
    failure_streak: Mapped[int] = mapped_column(server_default="0")
    backoff_until: Mapped[dt.datetime | None]
    state_reason: Mapped[str | None] = mapped_column(sa.String(300))


class ImportBatch(Base):
    """One call-list upload; `quality` is the data-quality summary (valid, invalid, line types, regions)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    rows: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    dry_run: Mapped[bool] = mapped_column(default=False)


class ImportReject(Base):
    __tablename__ = "import_rejects"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    line: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(500))
    raw: Mapped[str] = mapped_column(sa.Text, default="")  # formula cells neutralized


class Account(Base):
    """The debt."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_ref: Mapped[str] = mapped_column(sa.String(64), unique=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtors.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    amount_due: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    due_date: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default=AccountStatus.open.value)
    promised_until: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id"), index=True)


class ContactNumber(Base):
    __tablename__ = "contact_numbers"
    __table_args__ = (sa.UniqueConstraint("debtor_id", "e164", name="uq_contact_numbers_debtor_e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtors.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(sa.String(20), index=True)
    line_type: Mapped[str] = mapped_column(sa.String(24), default="unknown")  # LineType
    region: Mapped[str | None] = mapped_column(sa.String(2))
    area_code_zones: Mapped[list[str]] = mapped_column(default=list)  # IANA zones of the number
    personal: Mapped[bool] = mapped_column(default=True)
    consent_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(sa.String(16), default=NumberStatus.unknown.value)
    status_detail: Mapped[str | None] = mapped_column(sa.String(200))
    suppressed_at: Mapped[dt.datetime | None]
    last_checked_at: Mapped[dt.datetime | None]
    priority: Mapped[int] = mapped_column(default=0)  # lower dials first


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (sa.Index("ix_attempts_state_scheduled_at", "state", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    contact_number_id: Mapped[int] = mapped_column(sa.ForeignKey("contact_numbers.id"), index=True)
    attempt_no: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(sa.String(16), default=AttemptState.queued.value)
    scheduled_at: Mapped[dt.datetime]
    claimed_at: Mapped[dt.datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(sa.String(100))
    lease_expires_at: Mapped[dt.datetime | None]
    dialing_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    caller_id: Mapped[str | None] = mapped_column(sa.String(20))
    sip_code: Mapped[int | None]
    sip_reason: Mapped[str | None] = mapped_column(sa.String(200))
    result: Mapped[str | None] = mapped_column(sa.String(16))  # HistoryResult
    disposition: Mapped[str | None] = mapped_column(sa.String(32))  # Disposition
    number_status: Mapped[str | None] = mapped_column(sa.String(16))  # NumberStatus
    early_media_seconds: Mapped[float | None]
    talk_seconds: Mapped[float | None]
    decision_rule: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = _created()
    # what the call measured (migration 0003); null when not answered, undecided or recorded before 0003
    machine: Mapped[str | None] = mapped_column(sa.String(16))  # answering-machine detection: human, machine
    opening_ms: Mapped[int | None]  # answer to the first audio of the opening
    number_status_evidence: Mapped[str | None] = mapped_column(sa.String(200))  # "sip 404", "SIT vacant"
    script: Mapped[str | None] = mapped_column(sa.String(100))  # 0005: not the campaign's (the language)
    cause: Mapped[str | None] = mapped_column(
        sa.String(200)
    )  # why it was not placed (0006; no personal data)


class TrunkHealth(Base):
    """Consecutive failures of one trunk (408 without ringing, 5xx, no response) and its back-off, shared by
    every host dialling through it (migration 0006). `trunk` "" is the default trunk."""

    __tablename__ = "trunk_health"

    trunk: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    failure_streak: Mapped[int] = mapped_column(default=0)
    backoff_until: Mapped[dt.datetime | None]
    last_reason: Mapped[str | None] = mapped_column(sa.String(200))


class Promise(Base):
    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attempts.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    promised_date: Mapped[dt.date]
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    created_at: Mapped[dt.datetime] = _created()
    status: Mapped[str] = mapped_column(sa.String(16), default=PromiseStatus.pending.value)
    plan_id: Mapped[int | None] = mapped_column(index=True)  # 0005: payment_plans.id (no FK: added in place)
    part_no: Mapped[int | None]  # 1, 2, ... within the plan, in the order agreed


class PaymentPlan(Base):
    """A promise in several parts agreed on one call; each part is a `Promise` row (plan_id, part_no)."""

    __tablename__ = "payment_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attempts.id"), index=True)
    parts: Mapped[int]
    total: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(16), default=PromiseStatus.pending.value)
    settlement: Mapped[bool] = mapped_column(default=False, server_default=sa.false())  # below the balance
    created_at: Mapped[dt.datetime] = _created()


class AccountFlagEntry(Base):
    """A legally significant reply on record (attorney, bankruptcy, cease, deceased, dispute,
    language_barrier): the policy's ACCOUNT rules act on it while `resolved_at` is null. `detail` holds
    what was taken down (attorney_name, attorney_phone); `language` what a language barrier revealed."""

    __tablename__ = "account_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtors.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attempts.id"), index=True)
    contact_number_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_numbers.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))  # a Disposition word
    language: Mapped[str | None] = mapped_column(sa.String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(sa.String(16), default="call")  # DncSource words
    created_at: Mapped[dt.datetime] = _created()
    resolved_at: Mapped[dt.datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(sa.String(100))
    resolved_reason: Mapped[str | None] = mapped_column(sa.String(200))


class CallDisclosure(Base):
    """When a disclosure played on a call (recording notice, opening, debt-collector notice), for quality
    inspection: the bot's audio on the wire, from `started_at` to `ended_at` (null: cut off)."""

    __tablename__ = "call_disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))  # recording_notice, opening, debt_collector
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    complete: Mapped[bool] = mapped_column(default=False)


class Callback(Base):
    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attempts.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    requested_at: Mapped[dt.datetime]  # when to call back
    created_at: Mapped[dt.datetime] = _created()


class DncEntry(Base):
    """A do-not-call entry. Active while `removed_at` is null; removal keeps the row and says why."""

    __tablename__ = "dnc_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(8))  # DncScope
    e164: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    debtor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("debtors.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    source: Mapped[str] = mapped_column(sa.String(16))  # DncSource
    created_at: Mapped[dt.datetime] = _created()
    removed_at: Mapped[dt.datetime | None]
    removed_reason: Mapped[str | None] = mapped_column(sa.String(200))


class CallTurn(Base):
    __tablename__ = "call_turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    speaker: Mapped[str] = mapped_column(sa.String(8))  # Speaker
    text: Mapped[str] = mapped_column(sa.Text, default="")
    intent: Mapped[str | None] = mapped_column(sa.String(64))
    confidence: Mapped[float | None]
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    latency_ms: Mapped[int | None]
    keys: Mapped[str | None] = mapped_column(sa.String(64))  # keypad digits of the turn: never logged
    # callee turns: what heard the text (recognizer and model) and how sure it was; `intent` and
    # `confidence` are what the dialogue decided and how sure it was
    heard_by: Mapped[str | None] = mapped_column(sa.String(48))
    asr_confidence: Mapped[float | None]
    no_speech_prob: Mapped[float | None]
    heard_language: Mapped[str | None] = mapped_column(sa.String(16))  # another language than the call's


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(sa.String(500))  # relative to the data directory
    seconds: Mapped[float]
    channels: Mapped[int] = mapped_column(default=1)
    sample_rate: Mapped[int] = mapped_column(default=8000)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = _created()


class AuditEntry(Base):
    """Append-only: triggers on SQLite and PostgreSQL refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    rule: Mapped[str | None] = mapped_column(sa.String(64))
    profile_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# ---- quality inspection and the evidence chain (migration 0007) ------------------------------------------
class QaInspection(Base):
    """One call inspected under one version of the rule file: its score and how many findings it had."""

    __tablename__ = "qa_inspections"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "rules_version", name="uq_qa_inspections_attempt_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    rules_version: Mapped[str] = mapped_column(sa.String(32))
    script: Mapped[str] = mapped_column(sa.String(100), default="")
    script_version: Mapped[str] = mapped_column(sa.String(64), default="")
    score: Mapped[int]
    findings: Mapped[int] = mapped_column(default=0)
    inspected_at: Mapped[dt.datetime] = _created()


class QaFinding(Base):
    """One rule broken on one call; `seq` is the turn it points at (None: the call as a whole)."""

    __tablename__ = "qa_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qa_inspections.id", ondelete="CASCADE"), index=True
    )
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(sa.String(64), index=True)
    severity: Mapped[str] = mapped_column(sa.String(16))
    seq: Mapped[int | None]
    at_s: Mapped[float | None]  # seconds since the answer
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = _created()


class QaVerdict(Base):
    """A reviewer's word on a finding (confirm or dismiss, with a note); the newest one counts."""

    __tablename__ = "qa_verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("qa_findings.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(sa.String(16))  # confirm, dismiss
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    reviewer: Mapped[str] = mapped_column(sa.String(100))
    at: Mapped[dt.datetime] = _created()


class AuditChainEntry(Base):
    """The hash-chained evidence log: each entry's hash covers its content and the previous entry's hash.

    `prev_hash` is unique, so two writers that read the same head cannot both append (one retries): the
    chain never forks, on SQLite and PostgreSQL alike. Triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(32))  # audit, recording, disclosure, qa.finding
    subject: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    source_id: Mapped[int | None]  # the row it seals (audit_log, recordings, qa_findings)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
