"""Every attempt of a campaign with what the ledger holds about it, oldest first, a page at a time
(`dialer export`).

A row's call fields are the console's own (`scheduler.console_records` row shape) and `call_cells` writes
them for both CSV exports (this one and the console's calls.csv), so they name and format the same things
alike, with what the call measured (machine detection, opening latency, number-status
evidence), which `measure_cells` writes. The children (turns with their keypad digits, recordings,
promises, callbacks) are read per page of attempts, not per attempt, so a large campaign costs a few
queries per page.
The set of attempts is fixed when the iteration starts: attempts created meanwhile are left for the next
export rather than half-included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from scheduler import ledger as L
from scheduler.console_records import RecordQueries
from scheduler.console_records import _call as call_row
from scheduler.importing.values import neutralize
from scheduler.models import Account, Attempt, Callback, CallTurn, Campaign, ContactNumber, Promise, Recording
from scheduler.vocabulary import Speaker

CALL_COLUMNS = (
    "attempt_id",
    "campaign",
    "account_ref",
    "number",
    "attempt_no",
    "state",
    "scheduled_at",
    "dialing_at",
    "answered_at",
    "ended_at",
    "result",
    "disposition",
    "number_status",
    "sip_code",
    "talk_seconds",
)
MEASURE_COLUMNS = ("machine", "opening_ms", "number_status_evidence")  # what the call measured


def call_cells(call: dict[str, Any], number: str) -> list[str]:
    """The CSV cells of one call row under `CALL_COLUMNS`, formula-looking text neutralized (a spreadsheet
    will not evaluate it); `number` is the phone number as the reader may see it (whole or masked)."""
    times = (
        call[k].isoformat() if call[k] else ""
        for k in ("scheduled_at", "dialing_at", "answered_at", "ended_at")
    )
    values: list[object] = [
        call["id"],
        call["campaign"],
        call["account_ref"],
        number,
        call["attempt_no"],
        call["state"],
        *times,
        call["result"] or "",
        call["disposition"] or "",
        call["number_status"] or "",
        call["sip_code"] or "",
        call["talk_seconds"] if call["talk_seconds"] is not None else "",
    ]
    return [neutralize(str(v)) for v in values]


def measure_cells(call: dict[str, Any]) -> list[str]:
    """The CSV cells under `MEASURE_COLUMNS` of a call row: machine detection
    ("human", "machine"), opening latency in ms, and what the number status rests on ("sip 404")."""
    values = (call[name] for name in MEASURE_COLUMNS)
    return [neutralize("" if v is None else str(v)) for v in values]


@dataclass(frozen=True)
class TurnRecord(L.Turn):
    """A turn as the exports show it: the ledger's turn and the keypad digits that made it."""

    keys: str = ""


@dataclass(frozen=True)
class CallExport:
    call: dict[str, Any]  # the console's call row (id, account_ref, e164, state, times...) and measures
    turns: tuple[TurnRecord, ...]
    recordings: tuple[L.RecordingInfo, ...]
    promises: tuple[L.PromiseInfo, ...]
    callbacks: tuple[dt.datetime, ...]


class CallExports(RecordQueries):
    """The console's record reads, plus every attempt of a campaign with its children."""

    def count_attempts(self, campaign_id: int) -> int:
        with self._session() as s:
            return int(s.scalar(sa.select(sa.func.count()).where(Attempt.campaign_id == campaign_id)) or 0)

    def campaign_calls(self, campaign_id: int, *, page: int = 500) -> Iterator[CallExport]:
        """Each attempt of the campaign (ascending id) with its children; `BackendError` on failure."""
        with self._session() as s:
            last = s.scalar(sa.select(sa.func.max(Attempt.id)).where(Attempt.campaign_id == campaign_id))
        after = 0
        while last is not None and after < last:
            with self._session() as s:
                rows = s.execute(
                    sa.select(Attempt, Account.account_ref, ContactNumber.e164, Campaign.name)
                    .join(Account, Account.id == Attempt.account_id)
                    .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
                    .join(Campaign, Campaign.id == Attempt.campaign_id)
                    .where(Attempt.campaign_id == campaign_id, Attempt.id > after, Attempt.id <= last)
                    .order_by(Attempt.id)
                    .limit(page)
                ).all()
                if not rows:
                    return
                calls = [call_row(a, ref, e164, name) for a, ref, e164, name in rows]
                children = _children(s, [c["id"] for c in calls])
            for call in calls:
                turns, recordings, promises, callbacks = (part.get(call["id"], []) for part in children)
                yield CallExport(call, tuple(turns), tuple(recordings), tuple(promises), tuple(callbacks))
            after = calls[-1]["id"]


def _children(s: Session, ids: list[int]) -> tuple[dict[int, list[Any]], ...]:
    turns: dict[int, list[Any]] = {}
    for t in s.scalars(
        sa.select(CallTurn).where(CallTurn.attempt_id.in_(ids)).order_by(CallTurn.attempt_id, CallTurn.seq)
    ):
        turns.setdefault(t.attempt_id, []).append(
            TurnRecord(
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
                keys=t.keys or "",
            )
        )
    recordings: dict[int, list[Any]] = {}
    for r in s.scalars(sa.select(Recording).where(Recording.attempt_id.in_(ids)).order_by(Recording.id)):
        recordings.setdefault(r.attempt_id, []).append(
            L.RecordingInfo(r.path, r.seconds, r.channels, r.sample_rate, r.sha256)
        )
    promises: dict[int, list[Any]] = {}
    for p in s.scalars(sa.select(Promise).where(Promise.attempt_id.in_(ids)).order_by(Promise.id)):
        promises.setdefault(p.attempt_id or 0, []).append(
            L.PromiseInfo(p.id, p.attempt_id, p.account_id, p.promised_date, p.amount, p.currency, p.status)
        )
    callbacks: dict[int, list[Any]] = {}
    for attempt_id, at in s.execute(
        sa.select(Callback.attempt_id, Callback.requested_at)
        .where(Callback.attempt_id.in_(ids))
        .order_by(Callback.id)
    ):
        callbacks.setdefault(attempt_id or 0, []).append(at)
    return turns, recordings, promises, callbacks
