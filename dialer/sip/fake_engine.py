"""A loopback SipEngine for fast tests: scripted callees, no sockets, virtual time.

Each destination URI maps to a `ScriptedCallee` (ring, early media, a final code or an answer, audio to
play, DTMF to send, when to hang up). Time is a frame counter: `advance(seconds)` steps every call by 20 ms
frames deterministically; `autorun=True` steps on a background thread instead (`speed` x real time), which is
what the contract tests shared with the pjsua2 engine use.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from dialer.sip.callcore import CallCore
from dialer.sip.interfaces import (
    CallRequest,
    CapacityError,
    EngineError,
    IncomingHandler,
    SipEngine,
    frame_bytes,
)


@dataclass(frozen=True)
class ScriptedCallee:
    """What the far end does. `final_code` 200 answers after `ring_seconds`; anything else rejects."""

    final_code: int = 200
    reason: str = ""
    ring_seconds: float = 0.2
    ringing: bool = True
    early_media: bytes = b""  # PCM16 at the engine rate, sent after a 183 before the final code
    audio: bytes = b""  # PCM16 spoken after answer
    dtmf: tuple[tuple[float, str], ...] = ()  # (seconds after answer, digit)
    hangup_after: float | None = None  # the callee hangs up this long after answer
    never_answer: bool = False


@dataclass
class _Leg:
    core: FakeCall
    callee: ScriptedCallee
    frame: int = 0
    answered_frame: int | None = None
    pending: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    heard: bytearray = field(default_factory=bytearray)
    dtmf_heard: list[str] = field(default_factory=list)


class FakeCall(CallCore):
    def __init__(self, engine: FakeSipEngine, leg_holder: list[_Leg], *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self._engine = engine
        self._holder = leg_holder

    def _command(self, name: str, *args: Any) -> None:
        with self._engine._lock:
            self._holder[0].pending.append((name, args))


class FakeSipEngine(SipEngine):
    def __init__(
        self,
        callees: dict[str, ScriptedCallee] | None = None,
        *,
        rate: int = 8000,
        max_calls: int = 4,
        autorun: bool = False,
        speed: float = 1.0,
    ) -> None:
        self.callees = dict(callees or {})
        self.rate, self.max_calls = rate, max_calls
        self.autorun, self.speed = autorun, speed
        self.frame_size = frame_bytes(rate)
        self._frames = 0
        self._legs: list[_Leg] = []
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._running = False
        self._incoming: IncomingHandler | None = None
        self.registrations = 0

    def clock(self) -> float:
        return self._frames * 0.02

    def start(self) -> None:
        self._running = True
        if self.autorun and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="fake-sip", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        period = 0.02 / self.speed
        next_at = time.monotonic()
        while self._running:
            self.step()
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))

    def dial(self, request: CallRequest) -> FakeCall:
        if not self._running:
            raise EngineError("the SIP engine is not running")
        callee = self.callees.get(request.uri.split(";")[0])
        if callee is None:
            callee = ScriptedCallee(final_code=404, reason="Not Found", ringing=False)
        holder: list[_Leg] = []
        core = FakeCall(
            self,
            holder,
            request.call_id,
            "outbound",
            self.rate,
            record_path=request.record_path,
            clock=self.clock,
        )
        leg = _Leg(core, callee)
        holder.append(leg)
        core.ring_deadline = request.ring_timeout
        core.max_duration = request.max_duration
        with self._lock:
            if sum(1 for x in self._legs if x.core.result is None) >= self.max_calls:
                raise CapacityError(f"this engine carries {self.max_calls} calls already")
            self._legs.append(leg)
        return core

    def leg(self, call_id: str) -> _Leg:
        """Test access to what the scripted callee heard."""
        with self._lock:
            return next(x for x in self._legs if x.core.call_id == call_id)

    def on_incoming(self, handler: IncomingHandler | None) -> None:
        self._incoming = handler

    def active_calls(self) -> int:
        with self._lock:
            return sum(1 for x in self._legs if x.core.result is None)

    def register(self, timeout: float = 10.0) -> tuple[int, str]:
        self.registrations += 1
        return 200, "OK"

    def advance(self, seconds: float) -> None:
        for _ in range(round(seconds / 0.02)):
            self.step()

    def step(self) -> None:
        """One 20 ms tick for every live call."""
        with self._lock:
            self._frames += 1
            legs = [x for x in self._legs if x.core.result is None]
        for leg in legs:
            self._step_leg(leg)

    def _step_leg(self, leg: _Leg) -> None:
        core, callee = leg.core, leg.callee
        leg.frame += 1
        t = leg.frame * 0.02
        with self._lock:
            pending, leg.pending = leg.pending, []
        for name, args in pending:
            if name == "hangup":
                if core.answered:
                    core.finish(200, "Normal call clearing")
                else:
                    core.cancelled_by_us = True
                    core.finish(487, "Request Terminated")
                return
            if name == "dtmf" and core.answered:
                leg.dtmf_heard.extend(args[0])
            if name == "transfer" and core.answered:
                core.mark_transfer(202, False)
                core.mark_transfer(200, True)
                core.finish(200, "Normal call clearing")
                return
        if not core.answered:
            if callee.ringing:
                core.mark_ringing(180)
            if core.ring_deadline is not None and t > core.ring_deadline:
                core.cancelled_by_us = True
                core.finish(487, "Request Terminated")
                return
            if callee.early_media:
                core.mark_early_media()
                i = (leg.frame - 1) * self.frame_size
                core.rx_frame(callee.early_media[i : i + self.frame_size] or None)
                core.tx_frame()
                if i >= len(callee.early_media):
                    core.finish(callee.final_code, callee.reason or "Not Found")
                return
            if callee.never_answer or t < callee.ring_seconds:
                return
            if callee.final_code != 200:
                core.finish(callee.final_code, callee.reason)
                return
            core.mark_answered()
            leg.answered_frame = leg.frame
            return
        assert leg.answered_frame is not None
        k = leg.frame - leg.answered_frame - 1
        i = k * self.frame_size
        core.rx_frame(callee.audio[i : i + self.frame_size] or None)
        leg.heard += core.tx_frame()
        for at, digit in callee.dtmf:
            if round(at / 0.02) == k:
                core.mark_dtmf(digit)
        talk = k * 0.02
        if callee.hangup_after is not None and talk >= callee.hangup_after:
            core.finish(200, "Normal call clearing")
        elif core.max_duration is not None and talk > core.max_duration:
            core.finish(200, "Maximum call duration")

    def shutdown(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        with self._lock:
            for leg in self._legs:
                if leg.core.result is None:
                    leg.core.finish(0, "engine shut down", "interrupted")
