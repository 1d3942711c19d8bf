"""The decode at end of speech runs off the call's loop: frames go on while it runs, and each utterance is
heard later with its own times, in the order spoken."""

from __future__ import annotations

import threading

import pytest

from voice.background import ThreadRunner
from voice.endpointing import Endpointer, SpeechStarted
from voice.errors import RecognitionError
from voice.frames import AudioFrame, Utterance, split_frames
from voice.interfaces import ListeningHints, RecognizerStream
from voice.listener import Heard, Listener
from voice.recognizers.scripted import ScriptedRecognizer

from .speech import noise, speech

RATE = 8000


class _Held(ScriptedRecognizer):
    """Scripted words whose decodes at end of speech wait for `release` (a slow engine), or fail."""

    def __init__(self, replies: list[str], *, fail: bool = False) -> None:
        super().__init__(replies)
        self.release = threading.Event()
        self.fail = fail

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        inner = super().open_stream(sample_rate, hints)
        outer = self

        class Stream(RecognizerStream):
            def accept(self, frame: AudioFrame) -> None:
                inner.accept(frame)

            def partial(self) -> Utterance | None:
                return None

            def finish(self) -> Utterance:
                outer.release.wait(10)
                if outer.fail:
                    raise RecognitionError("decoder broke")
                return inner.finish()

        return Stream()


def _two_utterances() -> bytes:
    quiet = noise(0.5, RATE, amplitude=20.0)
    gap = noise(1.0, RATE, amplitude=20.0)
    return quiet + speech("wrong number", RATE) + gap + speech("stop calling", RATE) + quiet


def test_frames_go_on_while_a_decode_runs_and_each_utterance_is_heard_with_its_own_end() -> None:
    recognizer = _Held(["wrong number", "stop calling"])
    runner = ThreadRunner("heard")
    listener = Listener(recognizer, Endpointer(end_ms=300), partials=False, finishing=runner)
    events: list[object] = []
    try:
        for frame in split_frames(_two_utterances(), RATE):
            events.extend(listener.process(frame))  # returns although both decodes are held
        assert sum(isinstance(e, SpeechStarted) for e in events) == 2
        assert not any(isinstance(e, Heard) for e in events) and listener.decoding
        recognizer.release.set()
        heard = listener.last_heard()
    finally:
        runner.close()
    assert [h.utterance.text for h in heard] == ["wrong number", "stop calling"]
    first, second = (h.ended for h in heard)
    assert first is not None and second is not None
    assert first.end < second.start  # each keeps its own speech, though both ended before either was heard
    assert heard[0].detected_at == first.detected_at and not listener.decoding


def test_a_failed_decode_is_raised_where_it_is_picked_up_and_not_waited_for_again() -> None:
    recognizer = _Held(["wrong number"], fail=True)
    recognizer.release.set()
    listener = Listener(recognizer, Endpointer(end_ms=300), partials=False)  # at once, in `process`
    with pytest.raises(RecognitionError):
        for frame in split_frames(_two_utterances(), RATE):
            listener.process(frame)
    assert not listener.decoding
