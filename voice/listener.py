"""The callee's side of a turn: frames in, utterances out (endpointer -> recognizer stream).

One processor with one job, driven frame by frame in audio time. A recognizer stream is opened when
speech starts (fed the pre-roll the listener kept, so the first syllable is not lost), fed while the
callee speaks (Vosk streams; whisper speculates at pauses), and finished at end of speech. Barge-in
events pass through so the session can clear its outbound queue. `hints` can change per turn.

With `quick_end_ms`, a turn whose partial transcript already is one of the expected phrases
(`hints.phrases`: "yes", "stop", ...) ends after that shorter silence instead of the endpointer's usual
trailing silence: the caller who said a complete answer does not wait for the long timeout.

When the endpointer has an end-of-turn policy (`Endpointer.turn_end`, voice/turn_end.py), every new
partial goes to that policy instead (with whether it is an expected phrase), and the policy picks the
silence: short after a complete clause, long after "No." or "um" or "because".

The decode at end of speech runs on `finishing` (voice/background.py); `Heard` comes on the first
frame after it is back, in the order spoken, with its own end of speech. Without `finishing` it runs at
once, in `process` (a live call does so: `voice.background.call_runner` says why).
"""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from voice.background import InlineRunner, Pending, Runner
from voice.endpointing import BargeIn, Endpointer, OnsetLost, SpeechEnded, SpeechStarted, VoiceOnset
from voice.frames import AudioFrame, Utterance
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream
from voice.wer import units


@dataclass(frozen=True, slots=True)
class Heard:
    """A final utterance; its start/end are call audio time. `ended`: the endpointer's end of that
    speech (its first and last voiced frames), which a later utterance may follow before this one is
    decoded."""

    utterance: Utterance
    detected_at: float
    ended: SpeechEnded | None = None


@dataclass(frozen=True, slots=True)
class Hearing:
    """A partial transcript while the callee is still speaking (changed since the last one)."""

    utterance: Utterance
    detected_at: float


ListenerEvent = SpeechStarted | BargeIn | VoiceOnset | OnsetLost | Hearing | Heard


class Listener:
    def __init__(
        self,
        recognizer: Recognizer,
        endpointer: Endpointer,
        *,
        hints: ListeningHints | None = None,
        pre_roll_ms: int = 200,
        partials: bool = True,
        quick_end_ms: int | None = None,
        finishing: Runner | None = None,
    ):
        self.recognizer = recognizer
        self.endpointer = endpointer
        self.hints = hints
        self.partials = partials
        self.pre_roll_ms = pre_roll_ms
        self.quick_end_ms = quick_end_ms
        self._end_ms = endpointer.end_ms
        self._recent: collections.deque[tuple[float, AudioFrame]] = collections.deque()
        self._stream: RecognizerStream | None = None
        self._stream_start = 0.0
        self._opened_at = 0.0
        self._last_partial = ""
        self._finishing = finishing or InlineRunner()
        # decodes at end of speech not heard yet: (result, the stream's start in call time, the end)
        self._unheard: collections.deque[tuple[Pending[Utterance], float, SpeechEnded]] = collections.deque()

    @property
    def decoding(self) -> bool:
        """An utterance has ended and its decode is not back yet."""
        return bool(self._unheard)

    def set_bot_speaking(self, speaking: bool) -> None:
        self.endpointer.set_bot_speaking(speaking)

    def note_outbound(self, frame: AudioFrame) -> None:
        """Each frame the bot plays, so its echo is not mistaken for the callee."""
        self.endpointer.note_outbound(frame)

    def process(self, frame: AudioFrame) -> list[ListenerEvent]:
        start = self.endpointer.now
        self._remember(start, frame)
        out: list[ListenerEvent] = []
        for event in self.endpointer.process(frame):
            if isinstance(event, SpeechStarted):
                self._open(event.start)
                out.append(event)
            elif isinstance(event, BargeIn | VoiceOnset | OnsetLost):
                out.append(event)
            elif isinstance(event, SpeechEnded) and self._stream is not None:
                self.endpointer.end_ms = self._end_ms
                self._finish(event)
        out.extend(self._heard())
        if self._stream is not None and self.endpointer.in_speech and self._opened_before(start):
            self._stream.accept(frame)
            if self.partials:
                self._partial(out)
        return out

    def _remember(self, start: float, frame: AudioFrame) -> None:
        self._recent.append((start, frame))
        while self._recent and start - self._recent[0][0] > (self.pre_roll_ms + 100) / 1000:
            self._recent.popleft()

    def _open(self, speech_start: float) -> None:
        self._stream = self.recognizer.open_stream(self._recent[-1][1].sample_rate, self.hints)
        first = speech_start - self.pre_roll_ms / 1000
        earlier = [(t, f) for t, f in self._recent if t >= first - 1e-9]
        self._stream_start = earlier[0][0] if earlier else speech_start
        for _, frame in earlier:
            self._stream.accept(frame)
        self._opened_at = self.endpointer.now
        self._last_partial = ""

    def _opened_before(self, frame_start: float) -> bool:
        # the frame that opened the stream was already fed with the pre-roll
        return frame_start >= self._opened_at - 1e-9

    def _partial(self, out: list[ListenerEvent]) -> None:
        assert self._stream is not None
        partial = self._stream.partial()
        if partial is not None and partial.text != self._last_partial:
            self._last_partial = partial.text
            out.append(Hearing(self._shift(partial), self.endpointer.now))
            policy = self.endpointer.turn_end
            if policy is not None:
                expected = made_of(partial.text, self.hints.phrases if self.hints else ())
                policy.heard(partial.text, self.endpointer.now, expected=expected)
            elif self.quick_end_ms is not None:
                complete = _normal(partial.text) in self._expected()
                self.endpointer.end_ms = self.quick_end_ms if complete else self._end_ms

    def _expected(self) -> set[str]:
        return {_normal(p) for p in self.hints.phrases} if self.hints else set()

    def _finish(self, ended: SpeechEnded) -> None:
        assert self._stream is not None
        stream, self._stream = self._stream, None
        pending = self._finishing.submit(stream.finish, self.endpointer.now)
        self._unheard.append((pending, self._stream_start, ended))

    def last_heard(self) -> list[Heard]:
        """The audio ended (a bench's clip): the decodes still running are waited for, as a call would
        have listened on until they came back."""
        return [e for e in self._heard(math.inf) if isinstance(e, Heard)]

    def _heard(self, now: float | None = None) -> list[ListenerEvent]:
        out: list[ListenerEvent] = []
        while self._unheard:
            pending, start, ended = self._unheard[0]
            try:
                utterance = pending.result(self.endpointer.now if now is None else now)
            except BaseException:
                self._unheard.popleft()  # a failed decode is not waited for again
                raise
            if utterance is None:
                break
            self._unheard.popleft()
            out.append(Heard(_shifted(utterance, start), ended.detected_at, ended))
        return out

    def _shift(self, utterance: Utterance) -> Utterance:
        return _shifted(utterance, self._stream_start)


def _shifted(utterance: Utterance, by: float) -> Utterance:
    return replace(utterance, start=utterance.start + by, end=utterance.end + by)


def _normal(text: str) -> str:
    return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace()).split())


def made_of(text: str, phrases: Sequence[str]) -> bool:
    """The text is nothing but expected phrases, one after another ("Yes, speaking." when "yes" and
    "speaking" are expected; "是，是我"): a whole answer, as the one phrase alone is."""
    words = units(text)
    pieces = {tuple(units(p)) for p in phrases} - {()}
    if not words or not pieces:
        return False
    ends = [True] + [False] * len(words)  # ends[i]: words[:i] splits into expected phrases
    for i in range(1, len(words) + 1):
        ends[i] = any(len(p) <= i and ends[i - len(p)] and tuple(words[i - len(p) : i]) == p for p in pieces)
    return ends[-1]
