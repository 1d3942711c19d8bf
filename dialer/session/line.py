"""The call as a session sees it: 20 ms frames in audio time, keypad digits, the end of the call.

The session's clock is audio time: frames consumed since the answer. `now` adds the frames already
waiting in the inbound queue, so it tracks the wall clock on a live call (a session that falls behind
sees its backlog as elapsed time) and virtual time on the fake engine.
"""

from __future__ import annotations

import collections
import queue
import time

from dialer.sip.interfaces import FRAME_MS, Call, CallEvent, EventKind
from voice.frames import AudioFrame

FRAME_SECONDS = FRAME_MS / 1000


class Line:
    def __init__(self, call: Call, poll_seconds: float = 0.1) -> None:
        self.call = call
        self.rate = call.rate
        self.poll_seconds = poll_seconds
        self.consumed = 0
        self.answered = False
        self.ended = False
        self.digits: collections.deque[tuple[float, str]] = collections.deque()
        self.transfers: list[int] = []  # SIP codes of the far end's answers to our REFER
        self.answered_wall = 0.0

    @property
    def t(self) -> float:
        """Audio time at the end of the last frame the session processed."""
        return self.consumed * FRAME_SECONDS

    @property
    def now(self) -> float:
        """Audio time including the frames not processed yet (what the callee's clock says)."""
        return (self.consumed + self.call.frames.qsize()) * FRAME_SECONDS

    def wall_elapsed(self) -> float:
        return time.monotonic() - self.answered_wall if self.answered else 0.0

    def wait_answer(self, timeout: float) -> bool:
        """Consume events until the answer (True) or the end (False); early media is left in the result."""
        deadline = time.monotonic() + timeout
        early = False
        while time.monotonic() < deadline:
            try:
                event = self.call.events.get(timeout=self.poll_seconds)
            except queue.Empty:
                continue
            if event.kind is EventKind.EARLY_MEDIA:
                early = True
            if event.kind is EventKind.ANSWERED:
                # early media belongs to the announcement, not the conversation; without it, frames
                # already queued came after the answer (the session was busy): they are the call's start
                if early:
                    self._drain_frames()
                self.answered = True
                self.answered_wall = time.monotonic()
                return True
            if event.kind is EventKind.ENDED:
                self.ended = True
                return False
        return False

    def _drain_frames(self) -> None:
        while True:
            try:
                self.call.frames.get_nowait()
            except queue.Empty:
                return

    def poll_events(self) -> None:
        while True:
            try:
                event = self.call.events.get_nowait()
            except queue.Empty:
                return
            self._note(event)

    def _note(self, event: CallEvent) -> None:
        if event.kind is EventKind.DTMF and event.digit:
            self.digits.append((self.now, event.digit))
        elif event.kind is EventKind.TRANSFER:
            self.transfers.append(event.sip_code)
        elif event.kind is EventKind.ENDED:
            self.ended = True

    def next_frame(self) -> AudioFrame | None:
        if self.call.result is not None and self.call.frames.empty():
            self.ended = True
            return None
        try:
            pcm = self.call.frames.get(timeout=self.poll_seconds)
        except queue.Empty:
            return None
        self.consumed += 1
        return AudioFrame(pcm, self.rate)
