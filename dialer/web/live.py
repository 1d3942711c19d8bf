"""Live calls as the console shows them, behind one small interface the daemon feeds.

`LiveCallProvider.snapshot()` is all the console asks. Two implementations:
- `InMemoryLiveCalls`: the daemon's call workers push `LiveCall` updates (`update`, `end`); exact and
  instant, but only in the process that runs the console next to the supervisor.
- `LedgerLiveCalls`: reads attempts in `claimed`/`dialing` state and their latest turn from the ledger;
  works from any process or host, as fresh as the ledger writes.
`CombinedLiveCalls` prefers pushed entries and fills in from the ledger.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from scheduler.console_queries import ConsoleQueries
from scheduler.models import utcnow


@dataclass(frozen=True)
class LiveCall:
    attempt_id: int
    campaign: str
    e164: str  # full; the web layer masks it per viewer
    state: str  # claimed | dialing | ringing | answered | ...
    started_at: dt.datetime | None
    turn_seq: int | None = None
    turn_speaker: str | None = None
    turn_intent: str | None = None

    def duration(self, now: dt.datetime) -> float:
        return max((now - self.started_at).total_seconds(), 0.0) if self.started_at else 0.0


@runtime_checkable
class LiveCallProvider(Protocol):
    def snapshot(self) -> list[LiveCall]: ...


class InMemoryLiveCalls:
    """Thread-safe: call workers update from their own threads, the console reads from its own."""

    def __init__(self) -> None:
        self._calls: dict[int, LiveCall] = {}
        self._lock = threading.Lock()

    def update(self, call: LiveCall) -> None:
        with self._lock:
            self._calls[call.attempt_id] = call

    def turn(self, attempt_id: int, seq: int, speaker: str, intent: str | None = None) -> None:
        with self._lock:
            call = self._calls.get(attempt_id)
            if call is not None:
                self._calls[attempt_id] = replace(
                    call, turn_seq=seq, turn_speaker=speaker, turn_intent=intent
                )

    def end(self, attempt_id: int) -> None:
        with self._lock:
            self._calls.pop(attempt_id, None)

    def snapshot(self) -> list[LiveCall]:
        with self._lock:
            return sorted(self._calls.values(), key=lambda c: c.attempt_id)


class LedgerLiveCalls:
    def __init__(self, queries: ConsoleQueries) -> None:
        self._queries = queries

    def snapshot(self) -> list[LiveCall]:
        out = []
        for row in self._queries.live_attempts():
            turn = row["turn"]
            out.append(
                LiveCall(
                    attempt_id=row["attempt_id"],
                    campaign=row["campaign"],
                    e164=row["e164"],
                    state=row["state"],
                    started_at=row["started_at"],
                    turn_seq=turn[0] if turn else None,
                    turn_speaker=turn[1] if turn else None,
                    turn_intent=(turn[2] or None) if turn else None,
                )
            )
        return out


class CombinedLiveCalls:
    def __init__(self, pushed: InMemoryLiveCalls, ledger: LedgerLiveCalls) -> None:
        self.pushed = pushed
        self._ledger = ledger

    def snapshot(self) -> list[LiveCall]:
        pushed = {c.attempt_id: c for c in self.pushed.snapshot()}
        merged = {c.attempt_id: c for c in self._ledger.snapshot()}
        merged.update(pushed)
        return sorted(merged.values(), key=lambda c: c.attempt_id)


def durations(
    calls: list[LiveCall], clock: Callable[[], dt.datetime] = utcnow
) -> list[tuple[LiveCall, float]]:
    now = clock()
    return [(c, c.duration(now)) for c in calls]
