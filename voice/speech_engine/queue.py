"""The engine's queue of decode requests: end of turn first, speculation only while it can still help.

Two kinds of request come from a call. An end-of-turn request is what the caller is waiting for right
now: the bot cannot answer before it is decoded. A speculative request decodes the audio so far at a
pause, in case the callee says nothing more; it only saves time if it is decoded before the turn ends.
So:

* end-of-turn requests are always taken before speculative ones, in arrival order, batched by language;
* a new speculative request replaces the queued one of the same stream (it holds the same audio and
  more), and an end-of-turn request drops every queued speculative one of its stream (the turn ended);
* a speculative request is refused when `speculative_queue` requests wait already, and dropped when it
  waited `speculative_age` seconds: on a busy host it would come too late and only delay the others;
* `promote` turns a queued speculative request into an end-of-turn one (the turn ended on exactly that
  audio and the stream now waits for it).

Every request gets exactly one outcome through its `reply`: a `Decoded`, a `Dropped` or a `Failed`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voice.recognizers.whisper_decoder import Decoded


@dataclass(frozen=True, slots=True)
class Dropped:
    """A speculative request not decoded: superseded, turn_ended, busy, stale or cancelled."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    message: str


Outcome = Decoded | Dropped | Failed


@dataclass(eq=False)
class Job:
    key: Hashable  # unique per request across connections
    stream: Hashable  # one utterance stream of one call
    language: str
    samples: np.ndarray  # 16 kHz float32
    prompt: str
    fallback: str | None
    urgent: bool
    reply: Callable[[Outcome], None]
    queued_at: float = 0.0
    promoted: bool = False


@dataclass
class QueueStats:
    decoded: int = 0
    batches: int = 0
    decode_seconds: float = 0.0
    last_batch_ms: float = 0.0
    urgent_wait_seconds: float = 0.0  # total time end-of-turn requests waited before their decode
    urgent_decoded: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    failed: int = 0


class DecodeQueue:
    def __init__(
        self,
        *,
        batch: int = 8,
        speculative_batch: int = 2,
        speculative_queue: int = 4,
        speculative_age: float = 1.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.batch = batch
        self.speculative_batch = speculative_batch
        self.speculative_queue = speculative_queue
        self.speculative_age = speculative_age
        self.clock = clock
        self._urgent: list[Job] = []
        self._speculative: list[Job] = []
        self._in_flight = 0
        self._cond = threading.Condition()
        self._closed = False
        self.stats = QueueStats()

    # -- requests in -------------------------------------------------------------------------------
    def put(self, job: Job) -> None:
        job.queued_at = self.clock()
        drops: list[tuple[Job, str]] = []
        with self._cond:
            if self._closed:
                drops.append((job, "closed"))
            elif job.urgent:
                drops += [(j, "turn_ended") for j in self._take_stream(job.stream)]
                self._urgent.append(job)
            else:
                drops += [(j, "superseded") for j in self._take_stream(job.stream)]
                if len(self._urgent) + len(self._speculative) >= self.speculative_queue:
                    drops.append((job, "busy"))
                else:
                    self._speculative.append(job)
            self._cond.notify()
        self._drop(drops)

    def promote(self, key: Hashable) -> None:
        with self._cond:
            for job in self._speculative:
                if job.key == key:
                    self._speculative.remove(job)
                    job.urgent = job.promoted = True
                    self._urgent.append(job)
                    self._cond.notify()
                    return

    def cancel(self, key: Hashable) -> None:
        with self._cond:
            found = [j for j in self._speculative if j.key == key]
            self._speculative = [j for j in self._speculative if j.key != key]
        self._drop([(j, "cancelled") for j in found])

    # -- batches out -------------------------------------------------------------------------------
    def take(self, ready: Callable[[str], bool] = lambda _lang: True, timeout: float = 0.5) -> list[Job]:
        """The next batch, all of one language whose model is `ready`: end-of-turn requests if any wait,
        else speculative ones. Empty after `timeout` with nothing to do."""
        deadline = self.clock() + timeout
        while True:
            drops: list[tuple[Job, str]] = []
            with self._cond:
                now = self.clock()
                stale = [j for j in self._speculative if now - j.queued_at >= self.speculative_age]
                if stale:
                    self._speculative = [j for j in self._speculative if j not in stale]
                    drops = [(j, "stale") for j in stale]
                batch = self._pick(self._urgent, self.batch, ready) or self._pick(
                    self._speculative, self.speculative_batch, ready
                )
                if batch:
                    self._in_flight += len(batch)
                elif not drops and not self._closed:
                    left = deadline - now
                    if left <= 0:
                        return []
                    self._cond.wait(left)
            self._drop(drops)
            if batch or self._closed:
                return batch

    def done(self, batch: list[Job], outcomes: list[Outcome], seconds: float) -> None:
        """Reply to a batch taken with `take` (one outcome per job, in order)."""
        now = self.clock()
        with self._cond:
            self._in_flight -= len(batch)
            self.stats.batches += 1
            self.stats.decoded += sum(isinstance(o, Decoded) for o in outcomes)
            self.stats.failed += sum(isinstance(o, Failed) for o in outcomes)
            self.stats.decode_seconds += seconds
            self.stats.last_batch_ms = seconds * 1000
            for job in batch:
                if job.urgent:
                    self.stats.urgent_decoded += 1
                    self.stats.urgent_wait_seconds += max(0.0, now - seconds - job.queued_at)
        for job, outcome in zip(batch, outcomes, strict=True):
            _reply(job, outcome)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            left, self._urgent, self._speculative = [*self._urgent, *self._speculative], [], []
            self._cond.notify_all()
        for job in left:
            _reply(job, Failed("the speech engine is stopping"))

    def snapshot(self) -> dict[str, Any]:
        """Figures for /metrics: queue depth now and counters since the engine started."""
        with self._cond:
            s = self.stats
            return {
                "queued_end_of_turn": len(self._urgent),
                "queued_speculative": len(self._speculative),
                "in_flight": self._in_flight,
                "decoded": s.decoded,
                "batches": s.batches,
                "decode_seconds": round(s.decode_seconds, 4),
                "last_batch_ms": round(s.last_batch_ms, 1),
                "end_of_turn_decoded": s.urgent_decoded,
                "end_of_turn_wait_seconds": round(s.urgent_wait_seconds, 4),
                "failed": s.failed,
                "dropped": dict(s.dropped),
            }

    # -- inside ------------------------------------------------------------------------------------
    def _take_stream(self, stream: Hashable) -> list[Job]:
        mine = [j for j in self._speculative if j.stream == stream]
        if mine:
            self._speculative = [j for j in self._speculative if j.stream != stream]
        return mine

    def _pick(self, jobs: list[Job], limit: int, ready: Callable[[str], bool]) -> list[Job]:
        first = next((j for j in jobs if ready(j.language)), None)
        if first is None:
            return []
        batch = [j for j in jobs if j.language == first.language][:limit]
        for job in batch:
            jobs.remove(job)
        return batch

    def _drop(self, drops: list[tuple[Job, str]]) -> None:
        if not drops:
            return
        with self._cond:
            for _, reason in drops:
                self.stats.dropped[reason] = self.stats.dropped.get(reason, 0) + 1
        for job, reason in drops:
            _reply(job, Failed(reason) if reason == "closed" else Dropped(reason))


def _reply(job: Job, outcome: Outcome) -> None:
    with contextlib.suppress(Exception):  # a connection that broke: its client fails the request itself
        job.reply(outcome)
