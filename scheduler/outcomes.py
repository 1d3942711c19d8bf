"""What the dialer hands the ledger when an attempt ends: one value, recorded in one transaction.

The supervisor builds a `CallOutcome` from the SIP result, the session's report and the number-status
classification; `scheduler.results` records it (attempt, turns, recording, promise, callback, opt-out,
number status, audit). Times are UTC; offsets inside a call are seconds since the answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from scheduler.vocabulary import Disposition, NumberStatus


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """One side's utterance. `latency_ms` (bot turns): end of the callee's speech to the bot's first audio."""

    seq: int
    speaker: str  # "bot" or "callee"
    text: str
    start_s: float
    end_s: float | None = None
    intent: str | None = None
    confidence: float | None = None
    latency_ms: int | None = None
    keys: str = ""  # keypad digits that made this turn (stored in the database, never logged)
    heard_by: str = ""  # callee turns: the recognizer and model that heard it
    asr_confidence: float | None = None  # the recognizer's confidence (`confidence`: the dialogue's)
    no_speech_prob: float | None = None
    heard_language: str = ""  # another language than the call's the speech was heard in


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    date: dt.date
    amount: Decimal | None  # None: the full amount due
    currency: str = ""


@dataclass(frozen=True, slots=True)
class DisclosureOutcome:
    """A disclosure the bot played: `kind` (recording_notice, opening, debt_collector), seconds since the
    answer; `complete`: it played to its end (not cut off by a hang-up)."""

    kind: str
    start_s: float
    end_s: float | None
    complete: bool


# Replies that put a flag on the account (the policy's ACCOUNT rules act on it).
FLAG_DISPOSITIONS = frozenset(
    {
        Disposition.attorney,
        Disposition.bankruptcy,
        Disposition.cease,
        Disposition.deceased,
        Disposition.dispute,
        Disposition.language_barrier,
    }
)


@dataclass(frozen=True, slots=True)
class CallOutcome:
    attempt_id: int
    ended_at: dt.datetime
    disposition: Disposition
    history_result: str  # the compliance history's coarser result (vocabulary.HistoryResult value)
    number_status: NumberStatus | None = None
    number_status_evidence: str = ""  # e.g. "sip 404", "SIT vacant", "announcement: not in service"
    sip_code: int = 0
    sip_reason: str = ""
    answered_at: dt.datetime | None = None
    early_media_seconds: float = 0.0
    talk_seconds: float = 0.0
    machine: str = ""  # answering-machine detection: "human", "machine" or "" (not answered/undecided)
    promise: PromiseOutcome | None = None
    paid_date: dt.date | None = None
    callback_at: dt.datetime | None = None
    callback_requested: bool = False
    opt_out: str = ""  # "", "number" or "all" (every number of this person)
    turns: tuple[TurnOutcome, ...] = field(default_factory=tuple)
    recording_path: str | None = None  # relative to the data directory
    opening_ms: int | None = None  # answer to the first audio of the opening
    error: str = ""  # why a session ended abnormally (no personal data)
    plan: tuple[PromiseOutcome, ...] = ()  # a payment plan: every part in the order agreed (2 or more)
    settlement_total: Decimal | None = None  # the plan settles the whole balance for this total (below it)
    attorney_name: str = ""  # taken down with an attorney reply
    attorney_phone: str = ""
    spoken_language: str = ""  # what a language barrier revealed ("zh"); "" unknown
    disclosures: tuple[DisclosureOutcome, ...] = ()
    recording_withheld: bool = False  # REC: the notice never played, so no audio was kept
