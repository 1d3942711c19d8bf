"""Tone detection in audio time: onsets and detection latency, cadences, and no false alarm on speech."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bench.amd_corpus import Timeline, sit, telephone_line
from voice import audio
from voice.frames import split_frames
from voice.synthesizers.piper import PiperSynthesizer
from voice.tones import ToneDetected, ToneDetector

from .speech import REPLY_PHRASES, noise, speech, telephone

RATE = 8000


def tone(freqs: list[float], seconds: float, rate: int = RATE, amplitude: float = 0.3) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    return audio.from_float(sum(amplitude / len(freqs) * np.sin(2 * np.pi * f * t) for f in freqs))


def silence(seconds: float, rate: int = RATE) -> bytes:
    return audio.silence(seconds, rate)


def detect(pcm: bytes, rate: int = RATE) -> list[ToneDetected]:
    """What a call's early media would show: G.711-coded, with a faint line-noise floor."""
    line = telephone(audio.mix(pcm, noise(len(pcm) / 2 / rate, rate, amplitude=20)))
    detector = ToneDetector()
    events: list[ToneDetected] = []
    for frame in split_frames(line, rate):
        events.extend(detector.process(frame))
    return events


@pytest.mark.parametrize(
    ("segments", "seconds"),
    [((913.8, 1370.6, 1776.7), 0.274), ((985.2, 1428.5, 1776.7), 0.380), ((913.8, 1428.5, 1776.7), 0.274)],
)
def test_special_information_tones(segments: tuple[float, ...], seconds: float) -> None:
    onset = 0.5
    pcm = silence(onset) + b"".join(tone([f], seconds) for f in segments) + silence(0.6)
    events = detect(pcm)
    assert [e.kind for e in events] == ["sit"]  # and no "beep" for the single-frequency segments
    (sit,) = events
    assert abs(sit.onset - onset) <= 0.04
    third = onset + 2 * seconds
    assert third < sit.detected_at <= third + 0.2  # decided early in the third segment


@pytest.mark.parametrize("freq", [1000.0, 1400.0, 1450.0, 2000.0])
def test_answering_machine_beep_after_the_greeting(freq: float) -> None:
    greeting = speech("Please leave a message after the tone")
    onset = len(greeting) / 2 / RATE + 0.4
    events = detect(greeting + silence(0.4) + tone([freq], 0.5) + silence(0.3))
    assert [e.kind for e in events] == ["beep"]
    beep = events[0]
    assert abs(beep.onset - onset) <= 0.04 and abs(beep.frequency - freq) <= 25
    assert beep.detected_at - onset <= 0.2 + 0.06


def test_a_short_blip_is_not_a_beep() -> None:
    assert detect(silence(0.3) + tone([1000.0], 0.12) + silence(0.3)) == []


@pytest.mark.parametrize(
    ("region", "freqs", "on", "off", "latest"),
    [("us", [480.0, 620.0], 0.5, 0.5, 1.2), ("cn", [450.0], 0.35, 0.35, 0.85)],
)
def test_busy_by_cadence(region: str, freqs: list[float], on: float, off: float, latest: float) -> None:
    onset = 0.3
    events = detect(silence(onset) + (tone(freqs, on) + silence(off)) * 3)
    assert [(e.kind, e.region) for e in events] == [("busy", region)]
    assert abs(events[0].onset - onset) <= 0.04
    assert events[0].detected_at - onset <= latest + 0.1  # second burst confirms the cadence


@pytest.mark.parametrize(
    ("region", "freqs", "on", "off"), [("us", [440.0, 480.0], 2.0, 4.0), ("cn", [450.0], 1.0, 4.0)]
)
def test_ringback_at_the_end_of_its_first_burst(
    region: str, freqs: list[float], on: float, off: float
) -> None:
    onset = 0.3
    events = detect(silence(onset) + tone(freqs, on) + silence(off) + tone(freqs, on))
    assert [(e.kind, e.region) for e in events] == [("ringback", region)]
    assert abs(events[0].onset - onset) <= 0.04
    assert 0 <= events[0].detected_at - (onset + on) <= 0.06


def test_continuous_dial_tone_is_neither_busy_nor_ringback() -> None:
    assert detect(tone([350.0, 440.0], 4.0)) == []
    assert detect(tone([450.0], 4.0)) == []  # CN dial tone: continuous 450 Hz


@pytest.mark.slow
def test_no_false_alarm_on_speech() -> None:
    piper = PiperSynthesizer()
    english = b"".join(speech(p) + silence(0.3) for p in REPLY_PHRASES)
    natural = b"".join(piper.synthesize(p, "en", RATE) for p in REPLY_PHRASES)
    chinese = speech("您好，这里是催收提醒。您的还款日期是十二月五日，请按时还款。", RATE, "zh")
    opening = speech("Hello, this is an automated call from Acme Collections. To stop these calls, say stop.")
    assert detect(english + natural + chinese + opening) == []


def test_works_at_16k() -> None:
    events = detect(silence(0.4, 16000) + tone([1000.0], 0.5, 16000) + silence(0.2, 16000), 16000)
    assert [e.kind for e in events] == ["beep"]


@pytest.mark.parametrize(("code", "seed"), [("VC", 35), ("IC", 4), ("IC", 16), ("IO", 35)])
def test_special_information_tones_on_a_noisy_line(code: str, seed: int) -> None:
    # the bench's phone line (band, noise, G.711, lost packets): the 10 Hz window's label drops out for a
    # frame or two, or ends before its segment does; neither breaks the sequence nor makes a segment a beep
    timeline = Timeline(2.0)
    timeline.put(0.2, sit(code))
    pcm = telephone_line(bytes(timeline.pcm), RATE, random.Random(seed))
    detector = ToneDetector()
    events = [e for frame in split_frames(pcm, RATE) for e in detector.process(frame)]
    assert [e.kind for e in events] == ["sit"]
    assert abs(events[0].onset - 0.2) <= 0.1
