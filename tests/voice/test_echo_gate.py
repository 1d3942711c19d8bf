"""The echo gate learns the line's echo return loss from what the bot sends and hears back."""

from __future__ import annotations

import numpy as np
import pytest

from voice import audio
from voice.echo_gate import EchoGate
from voice.endpointing import Endpointer, EndpointEvent, SpeechStarted, VoiceOnset
from voice.frames import AudioFrame, split_frames

from .speech import noise, speech, telephone

RATE = 8000
PROMPT = "Hello, this is an automated call from Acme Collections. To stop these calls, say stop."


def tone(dbfs: float) -> AudioFrame:
    """A 20 ms frame of 440 Hz at `dbfs` (RMS)."""
    t = np.arange(RATE // 50) / RATE
    amplitude = 32768 * 10 ** (dbfs / 20) * np.sqrt(2)
    return AudioFrame((np.sin(2 * np.pi * 440 * t) * amplitude).astype("<i2").tobytes(), RATE)


def feed(gate: EchoGate, frames: int, out_dbfs: float, in_dbfs: float) -> float:
    floor = -200.0
    for _ in range(frames):
        gate.outbound(tone(out_dbfs))
        floor = gate.floor(in_dbfs)
    return floor


def test_a_clean_line_opens_the_gate_and_an_echoing_one_keeps_it() -> None:
    clean = EchoGate()
    clean.start()
    assert feed(clean, 5, -12.0, -100.0) == pytest.approx(
        -12.0 - 15.0, abs=0.05
    )  # too early to tell: the fixed loss
    feed(clean, 100, -12.0, -100.0)
    assert clean.loss_db == pytest.approx(45.0)
    echoing = EchoGate()
    echoing.start()
    feed(echoing, 100, -12.0, -32.0)  # 20 dB return loss, less the margin: under the fixed 15 dB
    assert echoing.loss_db == pytest.approx(15.0)
    weak = EchoGate()
    weak.start()
    feed(weak, 100, -12.0, -42.0)  # 30 dB: the gate opens to 30 - 6 dB
    assert weak.loss_db == pytest.approx(24.0, abs=0.2)


def test_new_echo_closes_the_gate_within_a_few_frames() -> None:
    gate = EchoGate()
    gate.start()
    feed(gate, 100, -12.0, -100.0)
    assert gate.loss_db == pytest.approx(45.0)
    feed(gate, 6, -12.0, -30.0)
    assert gate.loss_db == pytest.approx(15.0)


def test_no_sample_while_nothing_is_sent_or_the_bot_is_quiet() -> None:
    gate = EchoGate()
    gate.start()
    feed(gate, 100, -12.0, -32.0)
    learnt = gate.loss_db
    for _ in range(200):  # paused: the echo stopped with the prompt, the silence says nothing
        gate.floor(-100.0)
    assert gate.loss_db == learnt
    gate.stop()
    assert gate.floor(-100.0) == -200.0  # the bot is quiet: nothing is echo
    gate.start()
    assert gate.loss_db == learnt  # the line's loss is kept for the next prompt


def test_fixed_gate_when_not_adaptive() -> None:
    gate = EchoGate(adaptive=False)
    gate.start()
    feed(gate, 100, -12.0, -100.0)
    assert gate.loss_db == 15.0


def test_on_a_clean_line_the_callees_first_soft_frames_over_the_prompt_are_heard() -> None:
    """The first voiced frame of a barge-in on a line without echo: the learnt gate hears it no later
    than the fixed one, and the utterance starts no later."""
    prompt = speech(PROMPT)
    reply_at = 2.0
    callee = audio.silence(reply_at, RATE) + speech("sorry who is calling") + audio.silence(3.0, RATE)
    line = telephone(audio.mix(callee, noise(len(callee) / 2 / RATE, RATE, 30.0)))
    outbound = list(split_frames(prompt + audio.silence(5.0, RATE), RATE))

    def first(adaptive: bool) -> tuple[float, float]:
        endpointer = Endpointer(barge_in_ms=120, onset_ms=20, adaptive_echo=adaptive)
        endpointer.set_bot_speaking(True)
        events: list[EndpointEvent] = []
        for played, heard in zip(outbound, split_frames(line, RATE), strict=False):
            endpointer.note_outbound(played)
            events.extend(endpointer.process(heard))
        onset = next(e for e in events if isinstance(e, VoiceOnset))
        started = next(e for e in events if isinstance(e, SpeechStarted))
        return onset.detected_at, started.detected_at

    learnt, fixed = first(True), first(False)
    assert learnt[0] <= fixed[0] and learnt[1] <= fixed[1]
    assert learnt[0] >= reply_at - 0.05
