"""The bot goes quiet on the callee's first voiced frame over a prompt; a click or the bot's own echo on
the line does not cut the prompt (fake SIP engine, virtual time: audio time, never the wall clock)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dialer.session.settings import SessionSettings
from dialer.sip.fake_engine import FakeCall, FakeSipEngine, ScriptedCallee
from dialer.sip.interfaces import CallRequest
from dialogue.interfaces import BotAction, HangUp, Say
from tests.voice.speech import noise, speech
from voice import audio
from voice.interfaces import Synthesizer

from .fakes import RATE, Run, Timeline, ToneSynthesizer, run_call

REPLIES: list[list[BotAction]] = [[Say("Thank you. Goodbye.", "utter_close"), HangUp()]]
FRAME = 2 * RATE // 50


class SpeakingSynthesizer(Synthesizer):
    """Real speech (espeak-ng) for every prompt: its echo looks like a voice to the VAD, as on a line."""

    name = "speaking"

    def voice_for(self, lang: str) -> str:
        return "espeak"

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        return speech(text, sample_rate)


def with_echo(loss_db: float, delay_frames: int = 3) -> Callable[[FakeSipEngine], None]:
    """The callee's line returns the bot's audio `loss_db` down, `delay_frames` later (a hybrid)."""

    def hook(engine: FakeSipEngine) -> None:
        dial = engine.dial

        def dial_with_echo(request: CallRequest) -> FakeCall:
            call = dial(request)
            receive = call.rx_frame
            sent: list[bytes] = []
            send = call.tx_frame

            def tx_frame() -> bytes:
                frame = send()
                sent.append(frame)
                return frame

            def rx_frame(pcm: bytes | None) -> None:
                back = sent[-delay_frames] if len(sent) >= delay_frames else bytes(FRAME)
                receive(audio.mix(pcm or bytes(FRAME), audio.scale(back, -loss_db)))

            call.tx_frame = tx_frame  # type: ignore[method-assign]
            call.rx_frame = rx_frame  # type: ignore[method-assign]
            return call

        engine.dial = dial_with_echo  # type: ignore[method-assign]

    return hook


def quiet_from(run: Run, after: float) -> float:
    """The first time after `after` from which the bot is silent for 100 ms."""
    frames = run.heard[round(after * RATE) :]
    n = RATE // 50
    loud = [bool(np.abs(frames[i : i + n]).max(initial=0) > 0) for i in range(0, len(frames) - n, n)]
    for k in range(len(loud) - 5):
        if not any(loud[k : k + 5]):
            return after + k * 0.02
    return float("inf")


def test_the_bot_goes_quiet_on_the_first_voiced_frame_not_three_frames_later() -> None:
    callee = Timeline([(2.3, "sorry who is calling")]).pcm()
    quiet: dict[int | None, float] = {}
    stop_ms: dict[int | None, int] = {}
    for pause_on in (20, None):
        run = run_call(
            ScriptedCallee(audio=callee),
            replies=["sorry who is calling"],
            synthesizer=ToneSynthesizer(seconds_per_char=0.045),
            policy_replies=REPLIES,
            settings=SessionSettings(pause_on_voice_ms=pause_on),
        )
        r = run.report
        assert r.turns[0].barged_in and len(r.barge_in_stop_ms) == 1, r.turns
        quiet[pause_on], stop_ms[pause_on] = quiet_from(run, 2.0), r.barge_in_stop_ms[0]
    assert 2.3 <= quiet[20] <= quiet[None] - 0.04 + 1e-6  # start_ms (60) less one frame (20)
    assert stop_ms[20] <= stop_ms[None] - 40


def test_a_click_pauses_the_bot_for_a_frame_and_the_prompt_plays_on() -> None:
    click = speech("hello there", RATE)[: 2 * round(0.03 * RATE)]  # 30 ms: one or two voiced frames
    plain, clicked = (
        run_call(
            ScriptedCallee(audio=Timeline(parts).pcm()),
            replies=[""],
            synthesizer=ToneSynthesizer(seconds_per_char=0.045),
        )
        for parts in ([], [(2.3, click)])
    )
    opening = clicked.report.turns[0]
    assert not opening.barged_in and not clicked.report.barge_in_stop_ms
    assert not quiet_gaps(plain, 2.2, 2.6)
    gap = quiet_gaps(clicked, 2.2, 2.6)
    assert gap and gap[0] <= 0.06, gap  # it paused, for a frame or two, not for an utterance's end
    played = plain.report.turns[0]
    assert opening.end_s is not None and played.end_s is not None
    # nothing was skipped: the callee heard every sample of the opening, only later (counted in the audio
    # itself: the report's end times move by a frame with the media queue on a busy host)
    assert opening_samples(clicked, opening.end_s) == opening_samples(plain, played.end_s) > 0


def opening_samples(run: Run, opening_end: float) -> int:
    """Samples of bot audio the callee heard up to just after the opening (it asks nothing for seconds)."""
    return int(np.count_nonzero(run.heard[: round((opening_end + 0.3) * RATE)]))


def quiet_gaps(run: Run, start: float, end: float) -> list[float]:
    """Lengths of the silent stretches of the bot's audio between two times (whole frames)."""
    part = run.heard[round(start * RATE) : round(end * RATE)]
    n = RATE // 50
    gaps, current = [], 0
    for i in range(0, len(part) - n + 1, n):
        if np.abs(part[i : i + n]).max() == 0:
            current += 1
        elif current:
            gaps.append(current * 0.02)
            current = 0
    return gaps


def test_the_bots_own_echo_does_not_stop_it_but_the_callee_over_the_echo_does() -> None:
    # the machine verdict is settled before the opening: this is about the prompt, not the greeting
    settings = SessionSettings(amd_window_seconds=1.1)
    run = run_call(
        ScriptedCallee(audio=Timeline([]).pcm()),
        synthesizer=SpeakingSynthesizer(),
        settings=settings,
        on_engine=with_echo(20.0),
    )
    r = run.report
    opening = r.turns[0]
    assert r.machine == "human" and not opening.barged_in and not r.barge_in_stop_ms, r.turns
    assert opening.end_s is not None and r.turns[-1].text != opening.text  # played to its end, then on

    talk = run_call(
        ScriptedCallee(audio=Timeline([(2.3, "sorry who is calling")]).pcm()),
        replies=["sorry who is calling"],
        synthesizer=SpeakingSynthesizer(),
        policy_replies=REPLIES,
        settings=settings,
        on_engine=with_echo(20.0),
    )
    assert talk.report.turns[0].barged_in and len(talk.report.barge_in_stop_ms) == 1, talk.report.turns


def cough() -> bytes:
    """180 ms of loud noise, fast attack, decaying: webrtcvad calls it speech, it has no pitch."""
    burst = np.frombuffer(noise(0.18, RATE, amplitude=9000, seed=3), dtype="<i2").astype(np.float64)
    t = np.arange(len(burst)) / len(burst)
    return (burst * np.minimum(1.0, t * 12) * np.exp(-2.0 * t)).astype("<i2").tobytes()


def test_a_cough_pauses_the_bot_but_does_not_cut_the_prompt() -> None:
    runs = {
        name: run_call(
            ScriptedCallee(audio=Timeline([(2.3, cough())]).pcm()),
            replies=[""],
            synthesizer=ToneSynthesizer(seconds_per_char=0.045),
            settings=settings,
        )
        for name, settings in (("pitch", SessionSettings()), ("any", SessionSettings(barge_in_voicing_ms=0)))
    }
    kept = runs["pitch"].report
    assert not kept.turns[0].barged_in and not kept.barge_in_stop_ms, kept.turns
    assert quiet_gaps(runs["pitch"], 2.2, 2.8)  # paused while it might have been the callee
    end = kept.turns[0].end_s
    assert end is not None and runs["pitch"].bot_audio_at(end - 0.4, end - 0.1) > 5000  # and played on
    cut = runs["any"].report  # any voiced audio confirming a barge-in: the cough cuts the prompt
    assert cut.turns[0].barged_in and len(cut.barge_in_stop_ms) == 1
