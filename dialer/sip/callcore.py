"""The bookkeeping every engine's Call shares: events, frame queues, playback, recording, the result.

Engines subclass `CallCore` and implement `_command`; their media clock calls `rx_frame` / `tx_frame` once
per 20 ms, and their SIP thread calls the `mark_*` methods. Nothing here blocks or touches a SIP library.
"""

from __future__ import annotations

import array
import collections
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from dialer.sip.dispositions import classify
from dialer.sip.interfaces import (
    Call,
    CallEvent,
    CallResult,
    EventKind,
    Timings,
    frame_bytes,
)
from dialer.sip.recording import write_stereo

log = logging.getLogger(__name__)

INBOUND_QUEUE_FRAMES = 500  # 10 s: a handler that stops reading loses the oldest audio, not memory


class CallCore(Call):
    def __init__(
        self,
        call_id: str,
        direction: str,
        rate: int,
        *,
        record_path: str | None = None,
        dtmf_method: str = "rfc2833",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.call_id = call_id
        self.direction = direction
        self.rate = rate
        self.frame_size = frame_bytes(rate)
        self.record_path = record_path
        self.dtmf_method = dtmf_method
        self._clock = clock
        self._t0 = clock()
        self._events: queue.Queue[CallEvent] = queue.Queue()
        self._frames: queue.Queue[bytes] = queue.Queue(maxsize=INBOUND_QUEUE_FRAMES)
        self._tx: collections.deque[bytes] = collections.deque()
        self._tx_partial = b""
        self._tx_lock = threading.Lock()
        self._silence = bytes(self.frame_size)
        self._rec_left: list[bytes] = []
        self._rec_right: list[bytes] = []
        self._early = bytearray()
        self._digits: list[str] = []
        self._ringing: float | None = None
        self._early_at: float | None = None
        self._answered: float | None = None
        self._provisional = False
        self._responded = False  # any response to our INVITE (100 Trying counts): the trunk is alive
        self.cancelled_by_us = False
        self.ring_deadline: float | None = None  # seconds after the INVITE: CANCEL (outbound)
        self.max_duration: float | None = None  # seconds after answer: hang up
        self._transferred = False
        self._result: CallResult | None = None
        self._done = threading.Event()
        self.codec = ""  # negotiated, e.g. "PCMU/8000", set by the engine when media starts
        self._last_rx = 0.0
        self._gaps: array.array[float] = array.array("f")  # ms between received frames, after answer

    # -- the seam ------------------------------------------------------------------------------------
    @property
    def events(self) -> queue.Queue[CallEvent]:
        return self._events

    @property
    def frames(self) -> queue.Queue[bytes]:
        return self._frames

    @property
    def result(self) -> CallResult | None:
        return self._result

    @property
    def answered(self) -> bool:
        return self._answered is not None

    def play(self, pcm: bytes) -> None:
        with self._tx_lock:
            data = self._tx_partial + pcm
            n = self.frame_size
            whole = len(data) - len(data) % n
            self._tx.extend(data[i : i + n] for i in range(0, whole, n))
            self._tx_partial = data[whole:]

    def clear_playback(self) -> None:
        with self._tx_lock:
            self._tx.clear()
            self._tx_partial = b""

    def playback_pending(self) -> float:
        with self._tx_lock:
            frames = len(self._tx) + (1 if self._tx_partial else 0)
        return frames * 0.02

    def send_dtmf(self, digits: str, method: str | None = None) -> None:
        bad = set(digits) - set("0123456789*#ABCD")
        if bad or not digits:
            raise ValueError("DTMF digits are 0-9, *, #, A-D")
        self._command("dtmf", digits, method or self.dtmf_method)

    def transfer(self, uri: str) -> None:
        self._command("transfer", uri)

    def hangup(self) -> None:
        if self._result is None:
            self._command("hangup")

    def answer(self, code: int = 200) -> None:
        if self.direction != "inbound":
            raise ValueError("only an inbound call can be answered")
        self._command("answer", code)

    def reject(self, code: int) -> None:
        if self.direction != "inbound" or not 300 <= code <= 699:
            raise ValueError("reject needs an inbound call and a 3xx-6xx code")
        self._command("answer", code)

    def wait(self, timeout: float | None = None) -> CallResult | None:
        self._done.wait(timeout)
        return self._result

    def start_recording(self, path: str) -> None:
        """From the next frame on (both channels start empty, so they stay aligned); once per call."""
        if self.record_path is None and self._result is None:
            self.record_path = path

    def _command(self, name: str, *args: Any) -> None:
        raise NotImplementedError

    # -- media clock side (never blocks) ------------------------------------------------------------
    def rx_frame(self, pcm: bytes | None) -> None:
        """One 20 ms frame from the far end (None: no audio this tick)."""
        frame = pcm if pcm and len(pcm) == self.frame_size else self._silence
        if self._answered is not None:
            now = time.monotonic()
            if self._last_rx:
                self._gaps.append((now - self._last_rx) * 1000.0)
            self._last_rx = now
        if self.record_path is not None:
            self._rec_left.append(frame)
        if self._answered is None and pcm:
            self._early += frame
        try:
            self._frames.put_nowait(frame)
        except queue.Full:
            try:
                self._frames.get_nowait()
                self._frames.put_nowait(frame)
            except (queue.Empty, queue.Full):
                pass

    def tx_frame(self) -> bytes:
        """The next 20 ms frame to send: queued bot audio or silence."""
        with self._tx_lock:
            if self._tx:
                frame = self._tx.popleft()
            elif self._tx_partial:
                frame = self._tx_partial + bytes(self.frame_size - len(self._tx_partial))
                self._tx_partial = b""
            else:
                frame = self._silence
        if self.record_path is not None:
            right = self._rec_right
            # keep the two channels sample-aligned if the clock skipped a receive
            while len(right) > len(self._rec_left) + 1:
                self._rec_left.append(self._silence)
            right.append(frame)
        return frame

    # -- SIP thread side -----------------------------------------------------------------------------
    def now(self) -> float:
        return self._clock() - self._t0

    def restart_clock(self) -> None:
        """The INVITE goes out now (a call may wait for a free slot first): timings count from here."""
        self._t0 = self._clock()

    def talk_time(self) -> float:
        return self.now() - self._answered if self._answered is not None else 0.0

    def emit(self, kind: EventKind, **kw: Any) -> None:
        self._events.put(CallEvent(kind, self.now(), **kw))

    def mark_trying(self) -> None:
        self._responded = True

    def mark_ringing(self, code: int) -> None:
        self._responded = True
        self._provisional = True
        if self._ringing is None:
            self._ringing = self.now()
            self.emit(EventKind.RINGING, sip_code=code)

    def mark_early_media(self) -> None:
        self._responded = True
        self._provisional = True
        if self._early_at is None and self._answered is None:
            self._early_at = self.now()
            self.emit(EventKind.EARLY_MEDIA, sip_code=183)

    def mark_answered(self) -> None:
        if self._answered is None:
            self._answered = self.now()
            self.emit(EventKind.ANSWERED, sip_code=200)

    def mark_dtmf(self, digit: str) -> None:
        self._digits.append(digit)
        self.emit(EventKind.DTMF, digit=digit)

    def mark_transfer(self, code: int, final: bool) -> None:
        if final and 200 <= code < 300:
            self._transferred = True
        self.emit(EventKind.TRANSFER, sip_code=code)

    def finish(self, code: int, reason: str, result: str | None = None) -> CallResult:
        """Build the result once, write the recording, wake waiters, emit ENDED."""
        if self._result is not None:
            return self._result
        ended = self.now()
        answered = self._answered is not None
        if result is None:
            result = classify(
                code,
                answered=answered,
                cancelled_by_us=self.cancelled_by_us,
                provisional_seen=self._provisional,
                trunk_silent=self.direction == "outbound" and not self._responded and not answered,
                transferred=self._transferred,
            )
        recording, recording_error = None, ""
        if self.record_path is not None and (self._rec_left or self._rec_right):
            try:
                recording = write_stereo(self.record_path, self._rec_left, self._rec_right, self.rate)
            except OSError as exc:  # disk full, quota: the call's result must go out all the same
                recording_error = f"recording not written: {type(exc).__name__}: {exc.strerror or exc}"
                log.error("call %s: %s", self.call_id, recording_error)
        self._rec_left, self._rec_right = [], []
        self._result = CallResult(
            call_id=self.call_id,
            sip_code=code,
            reason=reason,
            result=result,
            answered=answered,
            early_media_seconds=len(self._early) / (2 * self.rate),
            talk_seconds=(ended - self._answered) if self._answered is not None else 0.0,
            dtmf="".join(self._digits),
            recording=recording,
            recording_error=recording_error,
            timings=Timings(self._ringing, self._early_at, self._answered, ended),
            direction=self.direction,
            early_media=bytes(self._early),
            rate=self.rate,
            frame_gap_p99_ms=_p99(self._gaps),
            frame_gap_max_ms=max(self._gaps, default=0.0),
            codec=self.codec,
        )
        self.clear_playback()
        self._done.set()
        self.emit(EventKind.ENDED, sip_code=code, result=self._result)
        return self._result


def _p99(values: array.array[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))])
