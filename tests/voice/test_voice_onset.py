"""The tentative pause: a voiced frame over the bot's prompt is reported at once (`VoiceOnset`), and a run
too short to be speech is taken back (`OnsetLost`); echo of the prompt reports neither. Audio time only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice import audio
from voice.endpointing import (
    PITCH_STRENGTH,
    BargeIn,
    Endpointer,
    EndpointEvent,
    OnsetLost,
    SpeechEnded,
    SpeechStarted,
    VoiceOnset,
    pitch_strength,
)
from voice.frames import AudioFrame, split_frames

from .speech import noise, speech, telephone

RATE = 8000


class ScriptedVad:
    """A VAD that says what the test wants, frame by frame (the endpointer's logic alone)."""

    def __init__(self, pattern: list[bool]):
        self.pattern = iter(pattern)

    def is_speech(self, frame: AudioFrame, echo_floor_dbfs: float = -200.0) -> bool:
        return next(self.pattern)


def scripted(pattern: list[bool], *, bot: bool = True, onset_ms: int | None = 20) -> list[EndpointEvent]:
    endpointer = Endpointer(
        vad=ScriptedVad(pattern),  # type: ignore[arg-type]
        start_ms=60,
        end_ms=200,
        barge_in_ms=120,
        onset_ms=onset_ms,
    )
    endpointer.set_bot_speaking(bot)
    events: list[EndpointEvent] = []
    for _ in pattern:
        events.extend(endpointer.process(AudioFrame.silence(RATE)))
    return events


def test_a_click_is_an_onset_taken_back_on_the_next_quiet_frame() -> None:
    events = scripted([False, False, True, False, False, False])
    assert events == [VoiceOnset(start=0.04, detected_at=0.06), OnsetLost(start=0.04, detected_at=0.08)]


def test_speech_is_an_onset_then_an_utterance_and_a_barge_in() -> None:
    events = scripted([False] + [True] * 8 + [False] * 12)
    kinds = [type(e) for e in events]
    assert kinds == [VoiceOnset, SpeechStarted, BargeIn, SpeechEnded]
    onset, started = events[0], events[1]
    assert isinstance(onset, VoiceOnset) and isinstance(started, SpeechStarted)
    assert onset.start == started.start  # one run: the pause and the utterance begin at the same frame
    assert onset.detected_at < started.detected_at


def test_no_onset_while_the_bot_is_quiet_or_when_switched_off() -> None:
    pattern = [False, True, False, True, True, True, False]
    assert not any(isinstance(e, VoiceOnset | OnsetLost) for e in scripted(pattern, bot=False))
    assert not any(isinstance(e, VoiceOnset | OnsetLost) for e in scripted(pattern, onset_ms=None))


def test_no_onset_inside_an_open_utterance() -> None:
    # speech, a gap shorter than the end of speech, more speech: one onset only, at the first run
    events = scripted([True] * 4 + [False] * 3 + [True] * 4 + [False] * 12)
    assert [type(e) for e in events].count(VoiceOnset) == 1
    assert not any(isinstance(e, OnsetLost) for e in events)


@given(st.lists(st.booleans(), min_size=1, max_size=300), st.sampled_from([20, 40]))
def test_every_onset_is_followed_by_an_utterance_or_taken_back(pattern: list[bool], onset_ms: int) -> None:
    pending = False  # an onset waits for SpeechStarted or OnsetLost
    in_speech = False
    for event in scripted(pattern, onset_ms=onset_ms):
        if isinstance(event, VoiceOnset):
            assert not pending and not in_speech
            pending = True
        elif isinstance(event, OnsetLost):
            assert pending
            pending = False
        elif isinstance(event, SpeechStarted):
            pending, in_speech = False, True
        elif isinstance(event, SpeechEnded):
            in_speech = False


@pytest.mark.parametrize("echo_loss_db", [20, 30])
def test_the_bots_echo_pauses_nothing_but_the_callee_over_it_does_at_once(echo_loss_db: int) -> None:
    prompt = speech("Hello, this is an automated call from Acme Collections. To stop these calls, say stop.")
    seconds = len(prompt) / 2 / RATE
    echo = audio.scale(prompt, -echo_loss_db)
    reply_at = 2.0
    callee = audio.silence(reply_at, RATE) + speech("stop calling me") + audio.silence(seconds, RATE)
    outbound = list(split_frames(prompt + audio.silence(3.0, RATE), RATE))

    def events_for(inbound: bytes) -> list[EndpointEvent]:
        endpointer = Endpointer(barge_in_ms=120, onset_ms=20)
        endpointer.set_bot_speaking(True)
        found: list[EndpointEvent] = []
        line = telephone(audio.mix(inbound, noise(len(inbound) / 2 / RATE, RATE, 30.0)))
        for played, heard in zip(outbound, split_frames(line, RATE), strict=False):
            endpointer.note_outbound(played)
            found.extend(endpointer.process(heard))
        return found

    assert events_for(echo) == []
    events = events_for(audio.mix(echo, callee))
    onsets = [e for e in events if isinstance(e, VoiceOnset)]
    started = [e for e in events if isinstance(e, SpeechStarted)]
    assert onsets and started
    assert reply_at - 0.05 <= onsets[0].start <= started[0].start
    assert onsets[0].detected_at < started[0].detected_at  # quiet before the utterance is confirmed


def cough(seconds: float = 0.18, seed: int = 3) -> bytes:
    """Loud noise with a fast attack and a decay: what webrtcvad takes for speech, without a pitch."""
    burst = np.frombuffer(noise(seconds, RATE, amplitude=9000, seed=seed), dtype="<i2").astype(np.float64)
    t = np.arange(len(burst)) / len(burst)
    return (burst * np.minimum(1.0, t * 12) * np.exp(-2.0 * t)).astype("<i2").tobytes()


def two_frame_strengths(pcm: bytes) -> list[float]:
    n = 2 * RATE // 50
    return [pitch_strength(pcm[i - n : i + n], RATE) for i in range(n, len(pcm) - n + 1, n)]


@pytest.mark.parametrize("text", ["no", "yes", "stop", "sorry who is calling", "mm hmm"])
def test_speech_has_a_pitch_and_a_cough_or_a_click_has_none(text: str) -> None:
    spoken = audio.ulaw_decode(audio.ulaw_encode(speech(text)))  # through the codec, as on a call
    assert sum(s >= PITCH_STRENGTH for s in two_frame_strengths(spoken)) >= 2
    assert max(two_frame_strengths(cough())) < PITCH_STRENGTH
    click = bytes(640) + np.array([20000, -15000, 9000, -4000] + [0] * 156, dtype="<i2").tobytes() * 2
    assert max(two_frame_strengths(click)) < PITCH_STRENGTH


@pytest.mark.parametrize("voicing_ms", [80, 0])
def test_a_cough_over_the_bot_pauses_it_and_only_speech_with_a_pitch_barges_in(voicing_ms: int) -> None:
    prompt = speech("Hello, this is an automated call from Acme Collections. To stop these calls, say stop.")
    line = (
        audio.silence(1.0, RATE)
        + cough()
        + audio.silence(1.0, RATE)
        + speech("stop")
        + audio.silence(1, RATE)
    )
    line = telephone(audio.mix(line, noise(len(line) / 2 / RATE, RATE, 30.0)))
    endpointer = Endpointer(barge_in_ms=120, onset_ms=20, barge_in_voicing_ms=voicing_ms)
    endpointer.set_bot_speaking(True)
    events: list[EndpointEvent] = []
    outbound = list(split_frames(prompt + audio.silence(5.0, RATE), RATE))
    for played, heard in zip(outbound, split_frames(line, RATE), strict=False):
        endpointer.note_outbound(played)
        events.extend(endpointer.process(heard))
    started = [e.start for e in events if isinstance(e, SpeechStarted)]
    barge = [e.speech_start for e in events if isinstance(e, BargeIn)]
    assert started and started[0] == pytest.approx(1.0, abs=0.06)  # the cough is heard: the bot pauses
    if voicing_ms:
        assert len(barge) == 1 and barge[0] > 2.0  # only "stop" cuts the prompt
    else:
        assert barge and barge[0] == pytest.approx(1.0, abs=0.06)  # without the pitch rule, the cough cuts


def concealed(pcm: bytes, frame: int) -> bytes:
    """`pcm` with one 20 ms frame replaced as a jitter buffer conceals a lost packet: the last 5 ms
    before it repeated (a periodic waveform, whatever the audio was)."""
    n = 2 * RATE // 50
    period = pcm[frame * n - 80 : frame * n]
    return pcm[: frame * n] + period * (n // len(period)) + pcm[(frame + 1) * n :]


@pytest.mark.parametrize("voicing_ms", [80, 20])
def test_a_concealed_packet_in_a_cough_is_not_pitch_enough_for_a_barge_in(voicing_ms: int) -> None:
    burst = concealed(cough(0.24), 4)
    n = 2 * RATE // 50
    assert pitch_strength(burst[3 * n : 5 * n], RATE) >= PITCH_STRENGTH  # the repeated frame has a pitch
    prompt = speech("Hello, this is an automated call from Acme Collections. To stop these calls, say stop.")
    line = audio.silence(1.0, RATE) + burst + audio.silence(1.0, RATE)
    endpointer = Endpointer(barge_in_ms=120, onset_ms=20, barge_in_voicing_ms=voicing_ms)
    endpointer.set_bot_speaking(True)
    events: list[EndpointEvent] = []
    for played, heard in zip(split_frames(prompt, RATE), split_frames(line, RATE), strict=False):
        endpointer.note_outbound(played)
        events.extend(endpointer.process(heard))
    assert any(isinstance(e, SpeechStarted) for e in events)
    assert any(isinstance(e, BargeIn) for e in events) == (voicing_ms <= 20)
