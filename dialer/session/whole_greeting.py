"""A machine's greeting heard whole: one decode of the call's first seconds, off the call's loop.

The listener decodes a greeting piece by piece, cut at its pauses, and Whisper reads a piece of two
seconds with no context badly on a phone line: an IVR's "Thank you for calling …, for technical support
press 3" came out "Thank you for coming, not going or meeting. | Okay, let's go to the floor", and a
Mandarin assistant's 您好，我是机主的智能助理 "灵豪,我是他主的,他很助理". Decoded in one piece the same
audio gave "Thank you for calling …" and "您好,我是T组的智能助理" (bench/amd_bench.py, evaluation voices).

So when the detector can only say "a machine, by its length", or waits on a long greeting's words,
the audio from the answer on is decoded once more, whole, in a background thread: at the greeting's
first pause for an answer, and again at the end of the detection window for a greeting that talked on
(a menu). Only its machine phrases count (`MachineDetector.transcript`, not final): a person's words
decoded whole change nothing, so a person is never hung up on for this. The decode carries no prompt,
as for carrier announcements: priming with machine phrases would make the model hear them in noise.

`start` is how a decode runs (`whole_decodes` on a runner of voice/background.py): a thread in a call,
a timed synchronous run in the bench (whose clock is the call's, so a slow decode delays the verdict as
it would on a live call).
"""

from __future__ import annotations

from collections.abc import Callable

from dialer.session.machine import MachineDetector, Verdict
from voice.background import Pending, Runner
from voice.frames import AudioFrame
from voice.interfaces import ListeningHints, Recognizer

MAX_SECONDS = 10.0  # Whisper's mel window as the recognizer cuts it: longer costs a 30 s encode
_MORE_SECONDS = 1.5  # the second decode only when the greeting went on at least this much since the first

Decodes = Callable[[bytes, int, float], Pending[str]]


def hear_whole(recognizer: Recognizer, pcm: bytes, rate: int) -> str:
    """One decode of the greeting so far, with no prompt."""
    return recognizer.transcribe(pcm, rate, ListeningHints()).text.strip()


def whole_decodes(recognizer: Recognizer, runner: Runner) -> Decodes:
    """Whole-greeting decodes of `recognizer` on `runner` (voice/background.py): a call's own thread,
    or timed on the bench's clock."""

    def start(pcm: bytes, rate: int, now: float) -> Pending[str]:
        return runner.submit(lambda: hear_whole(recognizer, pcm, rate), now)

    return start


class WholeGreeting:
    def __init__(self, start: Decodes, *, max_decodes: int = 2) -> None:
        self._start = start
        self._pcm = bytearray()
        self._rate = 0
        self._pending: Pending[str] | None = None
        self._decoded_seconds = 0.0  # audio length of the last decode started
        self._decodes_left = max_decodes
        self.texts: list[str] = []  # what each finished decode heard (the carrier's words, for number status)

    @property
    def seconds(self) -> float:
        return len(self._pcm) / (2 * self._rate) if self._rate else 0.0

    def step(self, frame: AudioFrame, detector: MachineDetector, now: float) -> Verdict | None:
        """One inbound frame (after the detector has seen it): keeps the audio, starts a decode when the
        detector needs the greeting's words, and hands it a finished decode's words."""
        self._rate = frame.sample_rate
        if self.seconds < MAX_SECONDS:
            self._pcm += frame.pcm
        if self._pending is not None:
            text = _text(self._pending, now)
            if text is None:
                return None
            self._pending = None
            return self._heard(text, detector)
        if self._due(detector):
            self._decodes_left -= 1
            self._decoded_seconds = self.seconds
            self._pending = self._start(bytes(self._pcm), self._rate, now)
        return None

    def last_words(self, detector: MachineDetector) -> Verdict | None:
        """The call's audio ended (the bench's clip): a decode still running is waited for, as the call
        would have listened on until it came back."""
        pending, self._pending = self._pending, None
        text = _text(pending, float("inf")) if pending is not None else None
        return self._heard(text or "", detector)

    def _heard(self, text: str, detector: MachineDetector) -> Verdict | None:
        if not text:
            return None
        self.texts.append(text)
        return detector.transcript(text, whole=True)

    def _due(self, detector: MachineDetector) -> bool:
        if self._decodes_left <= 0 or not detector.judging_by_words:
            return False
        paused = detector.silence_since_voice() >= detector.s.after_greeting_silence_seconds
        over = detector.t >= detector.s.amd_window_seconds
        if self._decoded_seconds == 0.0:
            return paused or over
        return over and self.seconds - self._decoded_seconds >= _MORE_SECONDS


def _text(pending: Pending[str], now: float) -> str | None:
    """A decode's words once back (empty when it failed: the greeting's length still stands)."""
    try:
        return pending.result(now)
    except Exception:
        return ""
