"""Aggregates for the operator console: today's counters, funnels, answer rate by hour, turn latencies,
data quality per list, live attempts.

The Ledger interface answers one-record questions; a console page asks aggregate ones over many attempts,
so these queries read `scheduler.models` directly (read-only, but for `add_dnc_numbers`, a bulk form of
Ledger.add_dnc for list imports). Record lists and the campaign-settings write are in
`scheduler.console_records`, which this class extends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from scheduler.console_records import RecordQueries
from scheduler.models import (
    Account,
    Attempt,
    CallTurn,
    Campaign,
    ContactNumber,
    DncEntry,
    ImportBatch,
    Promise,
    utcnow,
)
from scheduler.vocabulary import AttemptState, DncScope, DncSource, HistoryResult, Speaker

DNC_BATCH = 500


class ConsoleQueries(RecordQueries):
    """Aggregates for the console's pages, plus every record read (RecordQueries)."""

    # ---- do-not-call import ----------------------------------------------------------------------------
    def add_dnc_numbers(self, numbers: list[str], *, source: DncSource, reason: str) -> int:
        """Number-scope DNC entries for every E.164 number not already actively listed; returns how many
        were added. One short transaction per DNC_BATCH numbers (other writers wait at most one batch)."""
        added = 0
        unique = list(dict.fromkeys(numbers))
        for start in range(0, len(unique), DNC_BATCH):
            batch = unique[start : start + DNC_BATCH]
            with self._session() as s:
                listed = set(
                    s.scalars(
                        sa.select(DncEntry.e164).where(
                            DncEntry.scope == DncScope.number.value,
                            DncEntry.removed_at.is_(None),
                            DncEntry.e164.in_(batch),
                        )
                    )
                )
                now = utcnow()
                rows = [
                    DncEntry(
                        scope=DncScope.number.value,
                        e164=e164,
                        reason=reason[:200],
                        source=DncSource(source).value,
                        created_at=now,
                    )
                    for e164 in batch
                    if e164 not in listed
                ]
                s.add_all(rows)
                added += len(rows)
        return added

    # ---- counters --------------------------------------------------------------------------------------
    def counters(self, since: dt.datetime, campaign_id: int | None = None) -> dict[str, int]:
        """Attempts dialed, answered, conversations, promises and opt-outs since `since`; live now."""
        scope = [Attempt.campaign_id == campaign_id] if campaign_id is not None else []
        with self._session() as s:
            row = s.execute(
                sa.select(
                    sa.func.count(Attempt.dialing_at),
                    sa.func.count(Attempt.answered_at),
                    sa.func.sum(sa.case((Attempt.result == HistoryResult.conversation.value, 1), else_=0)),
                    sa.func.sum(sa.case((Attempt.disposition == "opt_out", 1), else_=0)),
                ).where(Attempt.dialing_at >= since, *scope)
            ).one()
            live = s.scalar(
                sa.select(sa.func.count()).where(
                    Attempt.state.in_([AttemptState.claimed.value, AttemptState.dialing.value]), *scope
                )
            )
            queued = s.scalar(
                sa.select(sa.func.count()).where(Attempt.state == AttemptState.queued.value, *scope)
            )
            promises_q = sa.select(sa.func.count()).select_from(Promise).where(Promise.created_at >= since)
            if campaign_id is not None:
                promises_q = promises_q.join(Account, Account.id == Promise.account_id).where(
                    Account.campaign_id == campaign_id
                )
            promises = s.scalar(promises_q)
        return {
            "dialed": int(row[0] or 0),
            "answered": int(row[1] or 0),
            "conversations": int(row[2] or 0),
            "opt_outs": int(row[3] or 0),
            "promises": int(promises or 0),
            "live": int(live or 0),
            "queued": int(queued or 0),
        }

    def funnel(self, campaign_id: int) -> list[tuple[str, int]]:
        """Accounts -> dialed -> answered -> right party -> promise, counted per account."""
        with self._session() as s:
            accounts = s.scalar(sa.select(sa.func.count()).where(Account.campaign_id == campaign_id))
            base = sa.select(sa.func.count(sa.distinct(Attempt.account_id))).where(
                Attempt.campaign_id == campaign_id
            )
            dialed = s.scalar(base.where(Attempt.dialing_at.is_not(None)))
            answered = s.scalar(base.where(Attempt.answered_at.is_not(None)))
            right = s.scalar(base.where(Attempt.result == HistoryResult.conversation.value))
            promised = s.scalar(
                sa.select(sa.func.count(sa.distinct(Promise.account_id)))
                .join(Account, Account.id == Promise.account_id)
                .where(Account.campaign_id == campaign_id)
            )
        values = [accounts, dialed, answered, right, promised]
        names = ["accounts", "dialed", "answered", "right party", "promise to pay"]
        return [(n, int(v or 0)) for n, v in zip(names, values, strict=True)]

    def answer_rate_by_hour(
        self, campaign_id: int, zone: str, since: dt.datetime
    ) -> list[tuple[int, int, int]]:
        """(hour of day in `zone`, dialed, answered) for the 24 hours of the day."""
        tz = ZoneInfo(zone)
        table = [[0, 0] for _ in range(24)]
        with self._session() as s:
            rows = s.execute(
                sa.select(Attempt.dialing_at, Attempt.answered_at).where(
                    Attempt.campaign_id == campaign_id, Attempt.dialing_at >= since
                )
            )
            for dialing_at, answered_at in rows:
                if dialing_at is None:
                    continue
                hour = dialing_at.astimezone(tz).hour
                table[hour][0] += 1
                table[hour][1] += answered_at is not None
        return [(h, d, a) for h, (d, a) in enumerate(table)]

    def turn_latencies(self, campaign_id: int, limit: int = 50_000) -> list[int]:
        """Bot turn latencies (ms from the end of the callee's speech to the bot's first audio)."""
        with self._session() as s:
            rows = s.scalars(
                sa.select(CallTurn.latency_ms)
                .join(Attempt, Attempt.id == CallTurn.attempt_id)
                .where(
                    Attempt.campaign_id == campaign_id,
                    CallTurn.speaker == Speaker.bot.value,
                    CallTurn.latency_ms.is_not(None),
                )
                .order_by(CallTurn.id.desc())
                .limit(limit)
            )
            return [int(v) for v in rows if v is not None]

    def import_batches(self, campaign_id: int) -> list[dict[str, Any]]:
        with self._session() as s:
            rows = s.scalars(
                sa.select(ImportBatch)
                .where(ImportBatch.campaign_id == campaign_id)
                .order_by(ImportBatch.id.desc())
            )
            return [
                {
                    "id": b.id,
                    "filename": b.filename,
                    "rows": b.rows,
                    "imported": b.imported,
                    "updated": b.updated,
                    "rejected": b.rejected,
                    "suppressed": b.suppressed,
                    "duplicates": b.duplicates,
                    "quality": dict(b.quality or {}),
                    "started_at": b.started_at,
                    "dry_run": b.dry_run,
                }
                for b in rows
            ]

    # ---- lists -----------------------------------------------------------------------------------------
    def live_attempts(self) -> list[dict[str, Any]]:
        """Attempts the ledger shows as claimed or dialing, with their latest turn."""
        live = [AttemptState.claimed.value, AttemptState.dialing.value]
        with self._session() as s:
            rows = s.execute(
                sa.select(Attempt, ContactNumber.e164, Campaign.name)
                .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
                .join(Campaign, Campaign.id == Attempt.campaign_id)
                .where(Attempt.state.in_(live))
                .order_by(Attempt.id)
            ).all()
            last: dict[int, tuple[int, str, str]] = {}
            ids = [a.id for a, _, _ in rows]
            for turn in s.scalars(
                sa.select(CallTurn).where(CallTurn.attempt_id.in_(ids)).order_by(CallTurn.seq)
            ):
                last[turn.attempt_id] = (turn.seq, turn.speaker, turn.intent or "")
            return [
                {
                    "attempt_id": a.id,
                    "campaign": name,
                    "e164": e164,
                    "state": "answered" if a.answered_at else a.state,
                    "started_at": a.dialing_at or a.claimed_at,
                    "turn": last.get(a.id),
                }
                for a, e164, name in rows
            ]
