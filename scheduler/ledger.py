"""The Ledger: everything import, campaigns, the scheduler and the call session write or read.

One interface (`Ledger`), one implementation: `scheduler.sql_ledger.SqlLedger` on a SQLite file or
PostgreSQL (the contract tests run on both databases).
Values crossing the seam are small frozen dataclasses, never ORM objects. Times are aware UTC datetimes;
a naive datetime is refused with `InvalidValue`. The ledger reads attempts but never moves one: the
planner queues them (scheduler/planner.py), and claims, leases, the start and the outcome go through one
door, each step fenced by the lease (scheduler/claims.py, scheduler/pacing.py, scheduler/results.py).

Exceptions:

    LedgerError
     ├── NotFound                 (also a KeyError)
     │    ├── CampaignNotFound
     │    ├── AttemptNotFound
     │    └── RecordNotFound      (account, debtor, DNC entry, import batch)
     ├── Conflict
     │    ├── CampaignExists
     │    └── InvalidTransition   (campaign state, attempt state)
     ├── InvalidValue             (a word outside the vocabulary, a naive datetime; also a ValueError)
     └── BackendError             (the database failed: locked, gone, constraint; the cause is chained)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from scheduler.vocabulary import (
    CampaignState,
    DncScope,
    DncSource,
    Speaker,
    VoicemailPolicy,
)


class LedgerError(Exception):
    """Base of every ledger failure."""


class NotFound(LedgerError, KeyError):
    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class CampaignNotFound(NotFound):
    pass


class AttemptNotFound(NotFound):
    pass


class RecordNotFound(NotFound):
    pass


class Conflict(LedgerError):
    pass


class CampaignExists(Conflict):
    pass


class InvalidTransition(Conflict):
    pass


class InvalidValue(LedgerError, ValueError):
    pass


class AccountsElsewhere(Conflict):
    """An import would move accounts out of another campaign without being asked to (--move)."""


class BackendError(LedgerError):
    pass


# ---- campaigns -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CampaignSpec:
    name: str
    script: str = "reminder-en"
    profiles: tuple[str, ...] = ()
    window_from: str | None = None
    window_to: str | None = None
    max_attempts_per_day: int = 1
    max_attempts_total: int = 7
    retry_policy: dict[str, Any] = field(default_factory=dict)
    trunk: str | None = None
    caller_id_pool: tuple[str, ...] = ()
    voicemail_policy: str = VoicemailPolicy.message.value


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    script: str
    profiles: tuple[str, ...]
    window_from: str | None
    window_to: str | None
    max_attempts_per_day: int
    max_attempts_total: int
    retry_policy: dict[str, Any]
    trunk: str | None
    caller_id_pool: tuple[str, ...]
    voicemail_policy: str
    state: str
    created_at: dt.datetime
    state_reason: str | None = None  # why it paused (itself, after local failures, or by whom)
    failure_streak: int = 0  # local failures in a row (scheduler.lifecycle)
    backoff_until: dt.datetime | None = None


@dataclass(frozen=True)
class CampaignStats:
    accounts: int
    amount_due: dict[str, Decimal]  # per currency
    attempts: int
    attempts_by_state: dict[str, int]
    dispositions: dict[str, int]
    promises: int


# ---- import ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ImportNumber:
    e164: str
    line_type: str
    region: str | None
    zones: tuple[str, ...]
    personal: bool = True


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One valid, normalized call-list row. The importer sends only the last valid row of each account
    ref (earlier ones are counted as duplicates), so the ledger never sees a ref twice in one batch."""

    line: int
    account_ref: str
    debtor_ref: str
    first_name: str
    last_name: str
    language: str
    country: str | None
    state: str | None
    postal_code: str | None
    amount_due: Decimal
    currency: str
    due_date: dt.date | None
    numbers: tuple[ImportNumber, ...]
    attorney: bool = False
    cease_requested: bool = False
    consent_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    reason: str
    raw: str


@dataclass(frozen=True)
class ImportChunk:
    rows: Sequence[ImportRow]
    rejects: Sequence[RejectedRow] = ()
    duplicates: int = 0  # rows of this stretch of the file superseded by a later row


@dataclass(frozen=True)
class ImportHeader:
    campaign: str
    filename: str
    sha256: str
    dry_run: bool = False
    move: bool = False  # accounts found in another campaign move into this one (else: AccountsElsewhere)


@dataclass(frozen=True)
class ImportCounts:
    """`rows` = imported + updated + unchanged + rejected + suppressed + duplicates."""

    batch: int
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    suppressed: int = 0
    duplicates: int = 0
    numbers_suppressed: int = 0
    moved: int = 0  # of `updated`: accounts moved here from another campaign


@dataclass(frozen=True)
class ImportBatchInfo:
    id: int
    campaign: str
    filename: str
    sha256: str
    rows: int
    imported: int
    updated: int
    rejected: int
    suppressed: int
    duplicates: int
    quality: dict[str, Any]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    dry_run: bool


@dataclass(frozen=True)
class DebtorRecord:
    """A debtor as the ledger holds it (the policy's view of a debtor is `policy.case.DebtorInfo`)."""

    id: int
    debtor_ref: str
    first_name: str
    last_name: str
    language: str
    country: str | None
    state: str | None
    postal_code: str | None
    attorney: bool
    cease_requested: bool


@dataclass(frozen=True)
class AccountInfo:
    id: int
    account_ref: str
    debtor_id: int
    campaign_id: int
    amount_due: Decimal
    currency: str
    due_date: dt.date | None
    status: str
    promised_until: dt.date | None


# ---- DNC, attempts, call records ------------------------------------------------------------------------
@dataclass(frozen=True)
class DncEntryInfo:
    id: int
    scope: str
    e164: str | None
    debtor_id: int | None
    reason: str
    source: str
    created_at: dt.datetime
    removed_at: dt.datetime | None = None
    removed_reason: str | None = None


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    campaign_id: int
    account_id: int
    contact_number_id: int
    debtor_id: int
    e164: str
    attempt_no: int
    state: str
    scheduled_at: dt.datetime
    dialing_at: dt.datetime | None
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    caller_id: str | None
    sip_code: int | None
    result: str | None
    disposition: str | None
    number_status: str | None
    talk_seconds: float | None
    decision_rule: str | None


@dataclass(frozen=True)
class Turn:
    seq: int
    speaker: Speaker
    text: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    intent: str | None = None
    confidence: float | None = None  # the dialogue's confidence in `intent`
    latency_ms: int | None = None
    heard_by: str = ""  # callee turns: the recognizer and model that heard the text
    asr_confidence: float | None = None  # the recognizer's confidence in the text
    no_speech_prob: float | None = None
    heard_language: str = ""  # another language than the call's the speech was heard in


@dataclass(frozen=True)
class RecordingInfo:
    path: str  # relative to the data directory
    seconds: float
    channels: int
    sample_rate: int
    sha256: str


@dataclass(frozen=True)
class PromiseInfo:
    id: int
    attempt_id: int | None
    account_id: int
    promised_date: dt.date
    amount: Decimal
    currency: str
    status: str


@dataclass(frozen=True)
class CallRecord:
    """Everything the ledger holds about one attempt: what a report or the console shows for a call."""

    attempt: AttemptRecord
    turns: tuple[Turn, ...]
    recordings: tuple[RecordingInfo, ...]
    promises: tuple[PromiseInfo, ...]
    callbacks: tuple[dt.datetime, ...]


@dataclass(frozen=True)
class AuditRecord:
    actor: str
    action: str
    subject: str = ""
    rule: str | None = None
    profile_versions: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    at: dt.datetime | None = None  # None: now


@runtime_checkable
class Ledger(Protocol):
    # campaigns
    def create_campaign(self, spec: CampaignSpec) -> CampaignInfo: ...
    def get_campaign(self, name: str) -> CampaignInfo: ...
    def list_campaigns(self) -> list[CampaignInfo]: ...
    def set_campaign_state(self, name: str, state: CampaignState, *, actor: str) -> CampaignInfo: ...
    def campaign_stats(self, name: str) -> CampaignStats: ...

    # call-list import: one transaction; a dry run rolls the data back and keeps only the batch record
    def import_batch(self, header: ImportHeader, chunks: Iterable[ImportChunk]) -> ImportCounts: ...
    def set_batch_quality(self, batch_id: int, quality: dict[str, Any]) -> None: ...
    def get_import_batch(self, batch_id: int) -> ImportBatchInfo: ...
    def list_import_batches(self, campaign: str, *, limit: int = 10) -> list[ImportBatchInfo]: ...
    def list_import_rejects(self, batch_id: int) -> list[RejectedRow]: ...
    def get_account(self, account_ref: str) -> AccountInfo: ...
    def get_debtor(self, debtor_id: int) -> DebtorRecord: ...
    def contact_numbers(self, account_ref: str) -> list[tuple[int, str]]: ...

    # do-not-call
    def is_number_blocked(self, e164: str, debtor_id: int | None = None) -> bool: ...
    def add_dnc(
        self,
        scope: DncScope,
        *,
        source: DncSource,
        reason: str = "",
        e164: str | None = None,
        debtor_id: int | None = None,
    ) -> DncEntryInfo: ...
    def remove_dnc(self, entry_id: int, *, reason: str) -> DncEntryInfo: ...
    def list_dnc(self, *, active_only: bool = True) -> list[DncEntryInfo]: ...

    # attempts and what happened on the call (the lifecycle itself: claims, pacing, results)
    def get_attempt(self, attempt_id: int) -> AttemptRecord: ...
    def call_record(self, attempt_id: int) -> CallRecord: ...
    def history(self, debtor_id: int, since: dt.datetime, until: dt.datetime) -> list[AttemptRecord]: ...
    def add_promise(
        self, attempt_id: int | None, account_id: int, promised_date: dt.date, amount: Decimal, currency: str
    ) -> int: ...
    def add_callback(self, attempt_id: int | None, account_id: int, requested_at: dt.datetime) -> int: ...
    def add_turns(self, attempt_id: int, turns: Sequence[Turn]) -> None: ...
    def add_recording(self, attempt_id: int, recording: RecordingInfo) -> int: ...
    def append_audit(self, record: AuditRecord) -> int: ...
    def list_audit(self, *, subject: str | None = None, limit: int = 100) -> list[AuditRecord]: ...
