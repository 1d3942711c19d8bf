"""What of a call's early media goes to the recognizer: after the SIT, up to the carrier's last sound.
A quiet tail took Whisper's 30 s window and made it stop early; silence and noise alone are never sent."""

from __future__ import annotations

from dialer.numberstatus import detect_sit, match, transcribe_announcement
from dialer.numberstatus.listen import TAIL_SECONDS, announcement_audio
from tests.outcomes.sounds import RATE, line, sit
from tests.voice.speech import noise, speech
from voice import audio
from voice.errors import VoiceError
from voice.frames import Utterance
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream

WORDS = "The number you have dialed is not in service."


class Recording(Recognizer):
    """A recognizer that keeps what it was sent and says the carrier's words."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.prompts: list[str] = []

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        raise AssertionError("an announcement is transcribed whole")

    def transcribe(self, pcm: bytes, sample_rate: int, hints: ListeningHints | None = None) -> Utterance:
        self.sent.append(pcm)
        self.prompts.append(hints.prompt if hints is not None else "")
        return Utterance(WORDS, True, 0.9)


def _mixed(pcm: bytes, seconds: float) -> bytes:
    """`pcm` from the start of `seconds` of line noise, the noise going on after it."""
    out = bytearray(noise(seconds, RATE, amplitude=40.0))
    out[: len(pcm)] = pcm
    return bytes(out)


def _seconds(pcm: bytes) -> float:
    return len(pcm) / (2 * RATE)


def test_the_quiet_after_the_carrier_is_not_sent() -> None:
    words = speech(WORDS, RATE)
    start = audio.silence(0.2, RATE)
    early = line(_mixed(start + words, 12.0))
    sent = announcement_audio(early, RATE)
    end = _seconds(start + words)
    assert end <= _seconds(sent) <= end + TAIL_SECONDS + 0.05  # every word, and half a second at most
    assert sent == early[: len(sent)]  # cut at its end only


def test_after_a_sit_only_the_words_are_sent() -> None:
    tones = audio.silence(0.3, RATE) + sit("VC") + audio.silence(0.2, RATE)
    words = speech(WORDS, RATE)
    early = line(_mixed(tones + words, 12.0))
    found = detect_sit(early, RATE)
    assert found is not None
    sent = announcement_audio(early, RATE, found)
    assert _seconds(words) + 0.2 - 0.05 <= _seconds(sent) <= _seconds(words) + 0.2 + TAIL_SECONDS + 0.05


def test_line_noise_alone_is_never_sent() -> None:
    assert announcement_audio(noise(12.0, RATE, amplitude=40.0), RATE) == b""
    assert announcement_audio(audio.silence(12.0, RATE), RATE) == b""


def test_primed_or_not_the_cut_audio_is_sent() -> None:
    words = speech(WORDS, RATE)
    early = line(_mixed(words, 12.0))
    number_status, session = Recording(), Recording()
    assert match(transcribe_announcement(number_status, early, RATE) or "") is not None
    assert transcribe_announcement(session, early, RATE, primed=True) == WORDS
    assert number_status.sent == session.sent == [announcement_audio(early, RATE)]
    assert _seconds(session.sent[0]) < 9.5  # Whisper's 10 s window, not its 30 s one
    assert number_status.prompts == [""] and "not in service" in session.prompts[0]


class Failing(Recording):
    def transcribe(self, pcm: bytes, sample_rate: int, hints: ListeningHints | None = None) -> Utterance:
        raise VoiceError("the model is gone")


def test_a_recognizer_that_fails_is_told_apart_from_silence() -> None:
    early = line(_mixed(speech(WORDS, RATE), 12.0))
    assert transcribe_announcement(Failing(), early, RATE, primed=True) is None  # counted as an ASR error
    assert transcribe_announcement(Failing(), audio.silence(3.0, RATE), RATE) == ""  # nothing to decode
