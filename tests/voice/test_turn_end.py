"""End of turn: the text check, the adaptive silence, and whole turns of real speech through whisper tiny.en.

The turn tests decode at every pause at once (as whisper's incremental stream does live, without the
decode's wall time), so they are deterministic in audio time; the bench measures the decode delay.
"""

from __future__ import annotations

import pytest

from voice import audio
from voice.endpointing import BargeIn, Endpointer, SpeechEnded, SpeechStarted
from voice.frames import AudioFrame, Utterance, split_frames
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream
from voice.listener import Heard, Listener
from voice.turn_end import AdaptiveSilence, FixedSilence, TurnSoFar, read_turn
from voice.turn_end_smart import SmartTurn, SmartTurnModel
from voice.wer import words

from .speech import noise, speech, telephone

RATE = 8000


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("No.", "short"),
        ("Well", "incomplete"),
        ("Nope.", "short"),
        ("Yeah, okay.", "brief"),  # a bare yes is the whole answer to a yes/no question
        ("Yes. Yes. Yes.", "brief"),
        ("对对对", "brief"),
        ("是的。", "brief"),
        ("No, no.", "short"),
        ("no, no, no, no", "short"),  # "No." as beam search sometimes writes it
        ("不不不", "short"),
        ("Um,", "incomplete"),
        ("I can pay on Friday,", "complete"),  # tiny.en's trailing comma on a complete sentence
        ("Yeah, speaking...", "brief"),
        ("I already paid, but...", "incomplete"),
        ("我下个月，", "incomplete"),  # Chinese keeps the comma as evidence
        ("I already paid, but", "incomplete"),
        ("I'll pay on the", "incomplete"),
        ("No, that's not correct.", "complete"),
        ("I'm driving.", "brief"),
        ("不对不对。", "brief"),
        ("I already paid that online.", "complete"),
        ("He passed away in October.", "complete"),
        ("不是。", "short"),
        ("嗯，", "incomplete"),
        ("我下个月，因为", "incomplete"),
        ("我已经还清了。", "complete"),
        ("", "incomplete"),
        # a sentence Whisper closed ends there even on a word that often leads on
        ("What company are you calling from?", "complete"),
        ("No, I don't think so.", "complete"),
        ("Sorry, what's this about?", "complete"),
        ("I'm not who you are looking for.", "complete"),
        ("what company are you calling from", "incomplete"),
        ("I can pay, but.", "incomplete"),
        ("Well, um.", "incomplete"),
        ("我下个月还，因为。", "incomplete"),
        ("这个月底我去还。", "complete"),
    ],
)
def test_the_text_check_reads_a_partial(text: str, reading: str) -> None:
    assert read_turn(text) == reading


def _turn(silence_ms: float) -> TurnSoFar:
    return TurnSoFar(silence_ms, 500.0, 1.0, lambda: b"", RATE)


def test_a_partial_heard_before_more_speech_does_not_decide() -> None:
    policy = AdaptiveSilence(complete_ms=250, pending_ms=600, short_ms=1000, incomplete_ms=1200)
    policy.begin(0.0)
    policy.speaking(1.0)
    policy.heard("I already paid that.", 1.2)  # decoded in the pause after 1.0: covers the turn
    assert policy.needed_ms() == 250
    policy.speaking(1.5)  # the callee went on: that transcript no longer covers what was said
    assert policy.needed_ms() == 600
    policy.heard("I already paid that. But", 1.5)  # arrived while speaking: still not the pause's
    assert policy.needed_ms() == 600
    policy.heard("I already paid that. But no.", 1.7)
    assert policy.needed_ms() == 250
    policy.heard("No.", 1.8)
    assert not policy.ended(_turn(900)) and policy.ended(_turn(1000))


def test_the_setting_picks_the_policy() -> None:
    from voice.settings import VoiceSettings
    from voice.turn_end import policy_for

    assert policy_for(VoiceSettings(end_of_turn="fixed")) is None  # the endpointer's end_of_speech_ms
    adaptive = policy_for(VoiceSettings(end_of_turn_short_ms=1500), quick_end_ms=200)
    assert isinstance(adaptive, AdaptiveSilence) and adaptive.short_ms == 1500
    assert adaptive.expected_ms == 200


class _Verdicts(SmartTurnModel):
    """A classifier that answers from a list, counting how often it is asked (no model file)."""

    def __init__(self, answers: list[float]):
        self.answers = answers
        self.asked = 0
        self.last_seconds = 0.0

    def probability(self, pcm: bytes, sample_rate: int) -> float:
        self.asked += 1
        return self.answers.pop(0)


def test_smart_turn_asks_once_per_pause_and_waits_when_incomplete() -> None:
    model = _Verdicts([0.2, 0.9])
    policy = SmartTurn(model, probe_ms=200, incomplete_ms=1200)
    policy.begin(0.0)
    assert not policy.ended(_turn(100)) and model.asked == 0
    assert not policy.ended(_turn(200)) and not policy.ended(_turn(600)) and model.asked == 1
    assert policy.ended(_turn(1200))
    policy.speaking(2.0)  # more speech: the next pause is asked again
    assert policy.ended(_turn(200)) and model.asked == 2


class _DecodeAtPause(Recognizer):
    """tiny.en decoding the audio so far after each 80 ms pause, at once (whisper's live speculation
    without its wall time); the final decode covers the whole utterance."""

    def __init__(self, whisper: Recognizer):
        self.whisper = whisper

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        return _PauseStream(self.whisper, sample_rate)


class _PauseStream(RecognizerStream):
    def __init__(self, whisper: Recognizer, rate: int):
        self.whisper, self.rate = whisper, rate
        self.pcm = bytearray()
        self.quiet_ms = 0.0
        self.text: str | None = None

    def accept(self, frame: AudioFrame) -> None:
        self.pcm += frame.pcm
        if audio.level_dbfs(frame.pcm) > -40:
            self.quiet_ms = 0.0
            return
        self.quiet_ms += frame.duration * 1000
        if 80 <= self.quiet_ms < 100:
            self.text = self.whisper.transcribe(bytes(self.pcm), self.rate).text

    def partial(self) -> Utterance | None:
        return Utterance(self.text, final=False) if self.text else None

    def finish(self) -> Utterance:
        return self.whisper.transcribe(bytes(self.pcm), self.rate)


def _call(*parts: bytes) -> bytes:
    pcm = b"".join(parts)
    return telephone(audio.mix(pcm, noise(len(pcm) / 2 / RATE, RATE)))


def _heard(listener: Listener, pcm: bytes) -> list[Heard]:
    heard: list[Heard] = []
    for frame in split_frames(pcm, RATE):
        heard += [e for e in listener.process(frame) if isinstance(e, Heard)]
    return heard


@pytest.fixture(scope="module")
def no_then_more() -> bytes:
    """ "No." then 700 ms of silence, then the rest: the widow's reply as people pause in it."""
    return _call(
        audio.silence(0.5, RATE),
        speech("No."),
        audio.silence(0.7, RATE),
        speech("He passed away in October."),
        audio.silence(2.0, RATE),
    )


def test_no_then_a_pause_then_more_is_one_turn(whisper_recognizer: Recognizer, no_then_more: bytes) -> None:
    listener = Listener(_DecodeAtPause(whisper_recognizer), Endpointer(turn_end=AdaptiveSilence()))
    heard = _heard(listener, no_then_more)
    assert len(heard) == 1, [h.utterance.text for h in heard]
    said = words(heard[0].utterance.text)
    assert said[0] == "no" and {"passed", "away", "october"} <= set(said)


def test_a_fixed_300_ms_cuts_the_same_reply_after_no(
    whisper_recognizer: Recognizer, no_then_more: bytes
) -> None:
    listener = Listener(_DecodeAtPause(whisper_recognizer), Endpointer(turn_end=FixedSilence(300)))
    heard = _heard(listener, no_then_more)
    # the first turn is the "No." alone (Whisper may write it twice: "No? No")
    assert len(heard) == 2 and set(words(heard[0].utterance.text)) == {"no"}


def test_a_complete_answer_still_ends_quickly(whisper_recognizer: Recognizer) -> None:
    reply = speech("I already paid that online.")
    pcm = _call(audio.silence(0.5, RATE), reply, audio.silence(1.5, RATE))
    true_end = 0.5 + len(reply) / 2 / RATE
    listener = Listener(_DecodeAtPause(whisper_recognizer), Endpointer(turn_end=AdaptiveSilence()))
    heard = _heard(listener, pcm)
    assert len(heard) == 1 and "paid" in words(heard[0].utterance.text)
    assert heard[0].detected_at - true_end <= 0.32  # 250 ms of silence once the transcript is complete


def test_barge_in_is_the_same_with_the_adaptive_policy() -> None:
    pcm = _call(audio.silence(0.5, RATE), speech("stop calling me"), audio.silence(1.5, RATE))

    def events(endpointer: Endpointer) -> list[tuple[str, float]]:
        endpointer.set_bot_speaking(True)
        out = []
        for frame in split_frames(pcm, RATE):
            out += [
                (type(e).__name__, e.detected_at)
                for e in endpointer.process(frame)
                if isinstance(e, BargeIn | SpeechStarted)
            ]
        return out

    plain, adaptive = events(Endpointer()), events(Endpointer(turn_end=AdaptiveSilence()))
    assert plain == adaptive and [kind for kind, _ in plain] == ["SpeechStarted", "BargeIn"]


def test_without_a_transcript_the_turn_ends_after_the_pending_silence() -> None:
    reply = speech("I already paid")
    pcm = _call(audio.silence(0.5, RATE), reply, audio.silence(1.5, RATE))
    ended = []
    endpointer = Endpointer(turn_end=AdaptiveSilence(pending_ms=600))
    for frame in split_frames(pcm, RATE):
        ended += [e for e in endpointer.process(frame) if isinstance(e, SpeechEnded)]
    true_end = 0.5 + len(reply) / 2 / RATE
    assert len(ended) == 1 and 0.58 <= ended[0].detected_at - true_end <= 0.68


def test_a_policy_switched_on_starts_afresh() -> None:
    policy = AdaptiveSilence(pending_ms=800)
    policy.begin(0.0)
    policy.heard("I already paid that.", 5.0)  # an earlier turn's complete reading
    assert policy.needed_ms() == 250
    endpointer = Endpointer()
    endpointer.turn_end = policy  # the dialogue started: its turns use the policy from now on
    assert policy.needed_ms() == 800
