"""Answering-machine detection on real speech (espeak-ng) and tones, frame by frame in audio time."""

from __future__ import annotations

import pytest

from dialer.callee.synth import tone
from dialer.session.machine import MachineDetector, Verdict, names_a_machine
from dialer.session.settings import SessionSettings
from tests.voice.speech import noise, speech
from voice.frames import split_frames

RATE = 8000


def feed(audio: list[tuple[float, bytes]], seconds: float) -> tuple[MachineDetector, list[Verdict]]:
    line = bytearray(noise(seconds, RATE, amplitude=20.0))
    for at, pcm in audio:
        i = 2 * round(at * RATE)
        line[i : i + len(pcm)] = pcm
    detector = MachineDetector(SessionSettings())
    verdicts = [v for f in split_frames(bytes(line), RATE) if (v := detector.process(f)) is not None]
    return detector, verdicts


def test_silence_is_a_person_waiting_and_the_opening_is_due_at_once() -> None:
    detector, verdicts = feed([], 7.0)
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "silence")]
    assert verdicts[0].at == pytest.approx(0.8, abs=0.03)
    assert detector.opening_due() and detector.final


def test_a_short_hello_is_a_person_as_soon_as_it_pauses() -> None:
    hello = speech("hello?", RATE)
    _, verdicts = feed([(0.2, hello)], 7.0)
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "hello")]
    # the hello's pause (hello_silence_seconds, 0.3 s), not the greeting's end (0.7 s), decides
    assert verdicts[0].at < 0.2 + len(hello) / (2 * RATE) + 0.45


def test_a_long_greeting_is_a_machine_before_it_ends() -> None:
    greeting = speech("Hi, you have reached Sam. I cannot take your call right now. Leave a message.", RATE)
    _, verdicts = feed([(0.1, greeting)], 7.0)
    assert [(v.kind, v.reason) for v in verdicts] == [("machine", "long_greeting")]
    assert verdicts[0].at == pytest.approx(0.1 + 2.5, abs=0.3)
    assert verdicts[0].at < len(greeting) / (2 * RATE)


def test_the_beep_turns_a_short_greeting_into_a_machine_and_is_timed() -> None:
    detector, verdicts = feed([(0.2, speech("leave a message", RATE)), (2.5, tone(1000, 0.5, RATE))], 7.0)
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "hello"), ("machine", "beep")]
    assert detector.beep_at is not None and 2.6 < detector.beep_at < 3.1


def test_a_person_answering_the_opening_at_length_is_not_a_machine() -> None:
    long_answer = speech("Yes this is John speaking, what is this about, I am quite busy right now.", RATE)
    _, verdicts = feed([(3.0, long_answer)], 8.0)
    assert [v.kind for v in verdicts] == ["human"]


@pytest.mark.parametrize(
    ("text", "machine"),
    [
        ("Please leave a message after the tone.", True),
        ("I can’t take your call right now", True),
        ("您好，请在提示音后留言", True),
        ("对方无法接听，请留言", True),
        ("Yes, speaking.", False),
        ("Who is this?", False),
        ("你好，我是张三", False),
    ],
)
def test_keywords(text: str, machine: bool) -> None:
    assert names_a_machine(text) is machine


def test_a_keyword_in_the_window_overrides_a_human_verdict_but_not_after_it() -> None:
    detector, _ = feed([], 2.0)
    assert detector.verdict is not None and detector.verdict.kind == "human"
    flipped = detector.transcript("Hi, please leave a message")
    assert flipped is not None and (flipped.kind, flipped.reason) == ("machine", "keywords")
    late, _ = feed([], 7.0)
    assert late.transcript("please leave a message") is None


def test_a_key_press_settles_it() -> None:
    detector, _ = feed([], 0.5)
    verdict = detector.keypad()
    assert verdict is not None and verdict.kind == "human" and detector.final
    assert detector.transcript("leave a message") is None
