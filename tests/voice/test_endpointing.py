"""Endpointing on real synthesized speech, asserted in audio time (frames seen), never wall time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice import audio
from voice.endpointing import BargeIn, Endpointer, EndpointEvent, SpeechEnded, SpeechStarted
from voice.errors import AudioError
from voice.frames import AudioFrame, split_frames

from .speech import noise, speech, telephone

RATE = 8000


def run(endpointer: Endpointer, pcm: bytes, rate: int = RATE) -> list[EndpointEvent]:
    events: list[EndpointEvent] = []
    for frame in split_frames(pcm, rate):
        events.extend(endpointer.process(frame))
    return events


def with_floor(pcm: bytes, rate: int = RATE, amplitude: float = 30.0) -> bytes:
    return telephone(audio.mix(pcm, noise(len(pcm) / 2 / rate, rate, amplitude)))


@pytest.mark.parametrize("trailing_ms", [200, 300, 500])
@pytest.mark.parametrize("text", ["I will pay on Friday", "stop calling me", "wrong number"])
def test_end_of_speech_within_trailing_silence_plus_60ms(text: str, trailing_ms: int) -> None:
    utterance = speech(text)
    lead = 0.5
    pcm = with_floor(audio.silence(lead, RATE) + utterance + audio.silence(1.5, RATE))
    true_end = lead + len(utterance) / 2 / RATE
    events = run(Endpointer(end_ms=trailing_ms), pcm)
    kinds = [type(e) for e in events]
    assert kinds == [SpeechStarted, SpeechEnded]
    started, ended = events
    assert isinstance(started, SpeechStarted) and isinstance(ended, SpeechEnded)
    assert started.start == pytest.approx(lead, abs=0.1)
    assert trailing_ms / 1000 - 0.02 <= ended.detected_at - true_end <= trailing_ms / 1000 + 0.06
    assert ended.end == pytest.approx(true_end, abs=0.06)
    # the utterance audio covers the speech (with pre-roll before the onset)
    assert len(ended.audio) / 2 / RATE >= len(utterance) / 2 / RATE


def test_two_utterances_separated_by_a_pause() -> None:
    first, second = speech("I already paid"), speech("wrong number")
    pcm = with_floor(
        audio.silence(0.3, RATE) + first + audio.silence(0.8, RATE) + second + audio.silence(0.6, RATE)
    )
    ended = [e for e in run(Endpointer(end_ms=300), pcm) if isinstance(e, SpeechEnded)]
    assert len(ended) == 2
    assert ended[1].start > ended[0].detected_at


def test_short_pause_inside_an_utterance_does_not_end_it() -> None:
    pcm = with_floor(
        speech("yes") + audio.silence(0.15, RATE) + speech("this is John") + audio.silence(0.6, RATE)
    )
    ended = [e for e in run(Endpointer(end_ms=300), pcm) if isinstance(e, SpeechEnded)]
    assert len(ended) == 1


def test_silence_and_line_noise_open_nothing() -> None:
    assert run(Endpointer(), with_floor(audio.silence(3.0, RATE), amplitude=150)) == []


def test_barge_in_on_speech_over_the_bot_but_not_on_a_cough() -> None:
    cough = noise(0.12, RATE, amplitude=6000, seed=3)  # a 120 ms burst, loud
    reply = speech("stop calling me")
    cough_at, reply_at = 0.6, 1.6
    callee = (
        audio.silence(cough_at, RATE)
        + cough
        + audio.silence(reply_at - cough_at - 0.12, RATE)
        + reply
        + audio.silence(0.8, RATE)
    )
    endpointer = Endpointer(barge_in_ms=300)
    endpointer.set_bot_speaking(True)  # the prompt plays over all of this
    events = run(endpointer, with_floor(callee))
    barge = [e for e in events if isinstance(e, BargeIn)]
    assert len(barge) == 1
    assert barge[0].speech_start == pytest.approx(reply_at, abs=0.08)
    assert 0.3 - 0.02 <= barge[0].detected_at - reply_at <= 0.3 + 0.1


def test_no_barge_in_while_the_bot_is_silent() -> None:
    pcm = with_floor(audio.silence(0.3, RATE) + speech("I will pay on Friday") + audio.silence(0.6, RATE))
    events = run(Endpointer(), pcm)
    assert not any(isinstance(e, BargeIn) for e in events)
    assert any(isinstance(e, SpeechEnded) for e in events)


def test_overlong_speech_is_cut_at_the_maximum() -> None:
    long = b"".join(speech(t) for t in ("I will pay on Friday", "I already paid", "stop calling me") * 2)
    events = run(Endpointer(max_utterance_seconds=2.0), with_floor(long + audio.silence(0.5, RATE)))
    forced = [e for e in events if isinstance(e, SpeechEnded) and e.forced]
    assert forced and forced[0].detected_at - forced[0].start == pytest.approx(2.0, abs=0.03)


def test_works_at_16k() -> None:
    pcm = audio.silence(0.4, 16000) + speech("who is calling", 16000) + audio.silence(0.6, 16000)
    events = run(Endpointer(), with_floor(pcm, 16000), 16000)
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]


def test_rejects_frames_the_vad_cannot_take() -> None:
    with pytest.raises(AudioError):
        Endpointer().process(AudioFrame(bytes(2 * 441), 22050))


@pytest.mark.parametrize("echo_loss_db", [20, 30])
def test_the_bots_own_echo_is_not_a_barge_in_but_the_callee_over_it_is(echo_loss_db: int) -> None:
    """Overlapping audio: the prompt's echo (echo return loss 20-30 dB, as on a PSTN hybrid without a good
    canceller) plus the callee speaking over it from 2.0 s."""
    prompt = speech("Hello, this is an automated call from Acme Collections. To stop these calls, say stop.")
    seconds = len(prompt) / 2 / RATE
    echo = audio.scale(prompt, -echo_loss_db)
    reply_at = 2.0
    callee = audio.silence(reply_at, RATE) + speech("stop calling me") + audio.silence(seconds, RATE)
    outbound = list(split_frames(prompt + audio.silence(3.0, RATE), RATE))

    def events_for(inbound: bytes) -> list[EndpointEvent]:
        endpointer = Endpointer(barge_in_ms=300)
        endpointer.set_bot_speaking(True)
        found: list[EndpointEvent] = []
        for played, heard in zip(outbound, split_frames(with_floor(inbound), RATE), strict=False):
            endpointer.note_outbound(played)
            found.extend(endpointer.process(heard))
        return found

    assert events_for(echo) == []
    barge = [e for e in events_for(audio.mix(echo, callee)) if isinstance(e, BargeIn)]
    assert len(barge) == 1
    # the soft start of "stop" and the quieter frames hide under the echo gate: under double talk
    # with strong echo the barge-in comes up to ~350 ms later than on a clean line
    assert reply_at - 0.05 <= barge[0].speech_start <= reply_at + 0.15
    assert barge[0].detected_at - reply_at <= 0.3 + 0.35


class ScriptedVad:
    """A VAD that says what the test wants, frame by frame (the endpointer's logic alone)."""

    def __init__(self, pattern: list[bool]):
        self.pattern = iter(pattern)

    def is_speech(self, frame: AudioFrame, echo_floor_dbfs: float = -200.0) -> bool:
        return next(self.pattern)


@given(st.lists(st.booleans(), min_size=1, max_size=400), st.booleans())
def test_events_are_well_formed_for_any_voicing(pattern: list[bool], bot_speaking: bool) -> None:
    endpointer = Endpointer(vad=ScriptedVad(pattern), start_ms=60, end_ms=200, barge_in_ms=100)  # type: ignore[arg-type]
    endpointer.set_bot_speaking(bot_speaking)
    events: list[EndpointEvent] = []
    for _ in pattern:
        events.extend(endpointer.process(AudioFrame.silence(RATE)))
    open_utterance = False
    barge_ins = 0
    last_time = 0.0
    for event in events:
        assert event.detected_at >= last_time - 1e-9
        last_time = event.detected_at
        if isinstance(event, SpeechStarted):
            assert not open_utterance
            open_utterance, barge_ins = True, 0
            assert event.detected_at - event.start == pytest.approx(0.06)
        elif isinstance(event, SpeechEnded):
            assert open_utterance
            open_utterance = False
            assert event.start <= event.end <= event.detected_at
            assert event.forced or event.detected_at - event.end == pytest.approx(0.2)
        else:
            assert open_utterance and bot_speaking
            barge_ins += 1
            assert barge_ins == 1
    # three voiced frames in a row are needed to open an utterance
    longest_run = max(len(run) for run in "".join("x" if v else " " for v in pattern).split(" ") or [""])
    assert any(isinstance(e, SpeechStarted) for e in events) == (longest_run >= 3)
