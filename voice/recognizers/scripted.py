"""The fake recognizer: replies come from a script, one per stream, in order.

Like livekit's fakes it still behaves like a streaming engine in audio time: the utterance's start and
end come from the frames actually fed, and a partial (the first word) appears after `partial_after`
seconds of audio, so sessions and policies can be tested without a model.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from voice.errors import RecognitionError
from voice.frames import AudioFrame, Utterance
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream


class ScriptedRecognizer(Recognizer):
    name = "scripted"

    def __init__(self, replies: Iterable[str] = (), *, partial_after: float = 0.3, confidence: float = 0.95):
        self._replies: deque[str] = deque(replies)
        self._lock = threading.Lock()
        self.partial_after = partial_after
        self.confidence = confidence
        self.hints_seen: list[ListeningHints | None] = []

    def add(self, *replies: str) -> None:
        with self._lock:
            self._replies.extend(replies)

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        with self._lock:
            reply = self._replies.popleft() if self._replies else ""
            self.hints_seen.append(hints)
        return ScriptedStream(reply, sample_rate, self.partial_after, self.confidence, hints)


class ScriptedStream(RecognizerStream):
    def __init__(
        self,
        reply: str,
        sample_rate: int,
        partial_after: float,
        confidence: float,
        hints: ListeningHints | None,
    ):
        self.reply = reply
        self.sample_rate = sample_rate
        self.partial_after = partial_after
        self.confidence = confidence
        self.hints = hints
        self.seconds = 0.0
        self._done = False

    def accept(self, frame: AudioFrame) -> None:
        if self._done:
            raise RecognitionError("stream already finished")
        if frame.sample_rate != self.sample_rate:
            raise RecognitionError(
                f"stream opened at {self.sample_rate} Hz, got a {frame.sample_rate} Hz frame"
            )
        self.seconds += frame.duration

    def _text(self) -> str:
        if self.hints and self.hints.phrases:
            # a grammar only lets through what it lists (like Vosk with a word list)
            allowed = {p.lower() for p in self.hints.phrases}
            return self.reply if self.reply.lower() in allowed else ""
        return self.reply

    def partial(self) -> Utterance | None:
        text = self._text()
        if self.seconds < self.partial_after or not text:
            return None
        return Utterance(
            text.split()[0], final=False, confidence=self.confidence, start=0.0, end=self.seconds
        )

    def finish(self) -> Utterance:
        if self._done:
            raise RecognitionError("stream already finished")
        self._done = True
        text = self._text()
        return Utterance(
            text, final=True, confidence=self.confidence if text else 0.0, start=0.0, end=self.seconds
        )
