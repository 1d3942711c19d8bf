"""A carrier's words are held until it stops talking: its voicemail says "not available" first."""

from __future__ import annotations

from dialer.session.machine import MachineDetector, Verdict
from dialer.session.settings import SessionSettings
from tests.voice.speech import noise, speech
from voice.frames import split_frames

from .fakes import RATE


def _greeting(sentences: list[str], seconds: float = 9.0) -> tuple[MachineDetector, list[Verdict]]:
    """The sentences read one after another (0.4 s apart); each sentence's transcript is fed as a final
    0.35 s after its end, as the endpointer would hand it over."""
    line = bytearray(noise(seconds, RATE, amplitude=20.0))
    at, finals = 2 * round(0.2 * RATE), []
    for text in sentences:
        pcm = speech(text, RATE)
        line[at : at + len(pcm)] = pcm
        at += len(pcm)
        finals.append((at / (2 * RATE) + 0.35, text))
        at += 2 * round(0.4 * RATE)
    detector = MachineDetector(SessionSettings(), words=True)
    verdicts: list[Verdict] = []
    for frame in split_frames(bytes(line), RATE):
        if (verdict := detector.process(frame)) is not None:
            verdicts.append(verdict)
        while finals and detector.t >= finals[0][0]:
            if (verdict := detector.transcript(finals.pop(0)[1], final=True)) is not None:
                verdicts.append(verdict)
    return detector, verdicts


def test_a_carrier_voicemail_that_says_not_available_first_is_a_voicemail() -> None:
    _, verdicts = _greeting(
        ["The person you are calling is not available.", "Please leave a message after the tone."]
    )
    assert verdicts and verdicts[-1].kind == "machine"
    assert "announcement" not in [v.kind for v in verdicts]


def test_a_carrier_announcement_is_one_once_the_carrier_stops_talking() -> None:
    said = "The number you have dialed is not in service."
    detector, verdicts = _greeting([said])
    assert [(v.kind, v.reason) for v in verdicts][-1] == ("announcement", "keywords")
    end = 0.2 + len(speech(said, RATE)) / (2 * RATE)
    settings = SessionSettings()
    # decided after the pause that ends a greeting, not at the words themselves
    assert end + settings.after_greeting_silence_seconds <= verdicts[-1].at <= end + 3.5
    assert detector.announced == said  # the words, for the number's status
    # a carrier that talks on: its words are kept together
    detector, verdicts = _greeting(["The subscriber you dialed is switched off.", "Please try again later."])
    assert verdicts[-1].kind == "announcement" and detector.announced.endswith("try again later.")


def test_a_carrier_named_by_a_partial_whose_final_is_misheard_is_still_an_announcement() -> None:
    said = "The number you have dialed is not in service. Please check the number and dial again."
    pcm = speech(said, RATE)
    line = bytearray(noise(9.0, RATE, amplitude=20.0))
    line[1600 : 1600 + len(pcm)] = pcm
    end = 0.2 + len(pcm) / (2 * RATE)
    detector = MachineDetector(SessionSettings(), words=True)
    verdicts: list[Verdict] = []
    fed = {
        1.5: ("The number you have dialed is not in service", False),
        end + 0.35: ("The number you have dialed in that interval.", True),
    }
    for frame in split_frames(bytes(line), RATE):
        if (verdict := detector.process(frame)) is not None:
            verdicts.append(verdict)
        for at in [a for a in fed if detector.t >= a]:
            text, final = fed.pop(at)
            if (verdict := detector.transcript(text, final=final)) is not None:
                verdicts.append(verdict)
    assert verdicts[-1].kind == "announcement", verdicts
    assert "not in service" in detector.announced  # the partial's words, for the number's status


def test_a_carrier_that_hangs_up_right_after_its_words_leaves_an_announcement() -> None:
    """Its words are held for a voicemail's to follow; the hang-up says nothing more comes."""
    said = "The number you have dialed is not in service."
    end = 0.2 + len(speech(said, RATE)) / (2 * RATE)
    detector, verdicts = _greeting([said], seconds=end + 0.5)  # the line ends before the pause is over
    assert not verdicts or verdicts[-1].kind != "announcement"  # still held when the audio stopped
    verdict = detector.line_ended()
    assert verdict is not None and (verdict.kind, verdict.reason) == ("announcement", "keywords")
    assert detector.announced == said
    assert detector.line_ended() is None  # decided once


def test_a_person_who_hangs_up_leaves_no_announcement() -> None:
    detector, verdicts = _greeting(["Hello? Who is this?"], seconds=2.0)
    assert detector.line_ended() is None
    assert all(v.kind != "announcement" for v in verdicts)
