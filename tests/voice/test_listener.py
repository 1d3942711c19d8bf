"""A turn end to end: synthesized speech in frames -> endpointer -> recognizer -> utterance in call time."""

from __future__ import annotations

import pytest

from voice import audio
from voice.endpointing import BargeIn, Endpointer, SpeechStarted
from voice.frames import split_frames
from voice.interfaces import ListeningHints, Recognizer
from voice.listener import Heard, Hearing, Listener
from voice.recognizers.scripted import ScriptedRecognizer
from voice.wer import words

from .speech import noise, speech, telephone

RATE = 8000


def call_audio(*parts: bytes) -> bytes:
    pcm = b"".join(parts)
    return telephone(audio.mix(pcm, noise(len(pcm) / 2 / RATE, RATE)))


def listen(listener: Listener, pcm: bytes) -> list[object]:
    events: list[object] = []
    for frame in split_frames(pcm, RATE):
        events.extend(listener.process(frame))
    return events


def test_two_turns_with_whisper(whisper_recognizer: Recognizer) -> None:
    # phrases espeak-ng renders clearly: this test is about the plumbing, test_whisper about accuracy
    first, second = speech("wrong number"), speech("stop calling me")
    pcm = call_audio(
        audio.silence(0.5, RATE), first, audio.silence(1.0, RATE), second, audio.silence(0.6, RATE)
    )
    context = ListeningHints(prompt="This is Acme Collections. You owe one hundred dollars. Can you pay?")
    listener = Listener(whisper_recognizer, Endpointer(end_ms=300), hints=context)
    heard = [e for e in listen(listener, pcm) if isinstance(e, Heard)]
    assert [words(h.utterance.text) for h in heard] == [["wrong", "number"], ["stop", "calling", "me"]]
    second_start = 0.5 + len(first) / 2 / RATE + 1.0
    assert heard[0].utterance.start == pytest.approx(0.5, abs=0.15)
    assert heard[1].utterance.start == pytest.approx(second_start, abs=0.15)
    assert heard[1].detected_at > heard[1].utterance.end


def test_vosk_partials_and_grammar_per_turn(vosk_korean: Recognizer) -> None:
    pcm = call_audio(audio.silence(0.4, RATE), speech("안녕하세요", RATE, "ko"), audio.silence(0.6, RATE))
    listener = Listener(
        vosk_korean, Endpointer(), hints=ListeningHints(phrases=("네", "아니요", "안녕하세요"))
    )
    events = listen(listener, pcm)
    kinds = [type(e) for e in events]
    assert kinds[0] is SpeechStarted and kinds[-1] is Heard and Hearing in kinds
    assert kinds.index(Hearing) < kinds.index(Heard)
    heard = events[-1]
    assert isinstance(heard, Heard) and heard.utterance.text == "안녕하세요"


def test_barge_in_passes_through_while_the_bot_talks() -> None:
    recognizer = ScriptedRecognizer(["stop"])
    listener = Listener(recognizer, Endpointer(barge_in_ms=300))
    listener.set_bot_speaking(True)
    events = listen(
        listener, call_audio(audio.silence(0.5, RATE), speech("stop calling me"), audio.silence(0.5, RATE))
    )
    assert [type(e) for e in events if not isinstance(e, Hearing)] == [SpeechStarted, BargeIn, Heard]


def test_the_stream_gets_the_pre_roll() -> None:
    recognizer = ScriptedRecognizer(["yes"], partial_after=10.0)
    listener = Listener(recognizer, Endpointer(), pre_roll_ms=200)
    utterance = speech("yes")
    pcm = call_audio(audio.silence(0.6, RATE), utterance, audio.silence(0.5, RATE))
    heard = next(e for e in listen(listener, pcm) if isinstance(e, Heard))
    # the stream saw 200 ms before the onset, the speech, and the trailing silence up to the end event
    fed = heard.utterance.end - heard.utterance.start
    expected = 0.2 + len(utterance) / 2 / RATE + 0.3
    assert fed == pytest.approx(expected, abs=0.1)


def test_a_complete_expected_answer_ends_the_turn_sooner(vosk_korean: Recognizer) -> None:
    hints = ListeningHints(phrases=("네", "아니요", "안녕하세요"))
    reply = speech("아니요", RATE, "ko")
    pcm = call_audio(audio.silence(0.4, RATE), reply, audio.silence(1.0, RATE))

    def heard_at(quick_end_ms: int | None) -> Heard:
        listener = Listener(vosk_korean, Endpointer(end_ms=500), hints=hints, quick_end_ms=quick_end_ms)
        return next(e for e in listen(listener, pcm) if isinstance(e, Heard))

    normal, quick = heard_at(None), heard_at(150)
    assert normal.utterance.text == quick.utterance.text == "아니요"
    # the turn ends once the partial is complete and 150 ms of silence have passed; Vosk's partial itself
    # trails the audio by ~0.3 s here, so the gain is smaller than the 350 ms of silence saved
    assert quick.detected_at <= normal.detected_at - 0.1
    true_end = 0.4 + len(reply) / 2 / RATE
    assert normal.detected_at - true_end >= 0.5


def test_an_answer_made_of_expected_phrases_is_a_whole_answer() -> None:
    from voice.listener import made_of

    opening = ("yes", "no", "speaking", "that's right", "this is his wife")
    assert made_of("Yes, speaking.", opening)
    assert made_of("Yes. Yes. Yes.", opening)
    assert made_of("No, this is his wife.", opening)
    assert made_of("是，是我", ("是", "是我", "不是"))
    assert not made_of("Yes, I can pay on Friday.", opening)
    assert not made_of("yesterday", opening)
    assert not made_of("我不是", ("是", "是我"))
    assert not made_of("", opening)
    assert not made_of("yes", ())
