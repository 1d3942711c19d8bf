"""A machine's greeting decoded whole: when it runs, what its words may change, and a call acting on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.session.machine import MachineDetector, Verdict
from dialer.session.settings import SessionSettings
from dialer.session.whole_greeting import MAX_SECONDS, WholeGreeting
from dialer.sip.fake_engine import ScriptedCallee
from tests.voice.speech import noise, speech
from voice.background import Ready
from voice.frames import Utterance, split_frames
from voice.interfaces import ListeningHints

from .fakes import RATE, DictationRecognizer, Timeline, run_call

MENU = (
    "Thank you for calling North Wind. For billing, press one. For technical support, press three. "
    "For all other questions, please stay on the line."
)


@dataclass
class _Decodes:
    """What each whole decode hears, in order, each ready `takes` seconds after it starts."""

    said: list[str]
    takes: float = 0.5
    started: list[tuple[float, float]] = field(default_factory=list)  # (call time, audio seconds)

    def __call__(self, pcm: bytes, rate: int, now: float) -> Ready[str]:
        self.started.append((now, len(pcm) / (2 * rate)))
        return Ready(self.said.pop(0) if self.said else "", now + self.takes)


def _play(
    audio: list[tuple[float, bytes]], seconds: float, decodes: _Decodes
) -> tuple[MachineDetector, list[Verdict]]:
    line = bytearray(noise(seconds, RATE, amplitude=20.0))
    for at, pcm in audio:
        i = 2 * round(at * RATE)
        line[i : i + len(pcm)] = pcm[: len(line) - i]
    detector = MachineDetector(SessionSettings(), words=False)  # no fragments: the whole decode alone
    whole = WholeGreeting(decodes)
    verdicts = []
    for frame in split_frames(bytes(line), RATE):
        if (verdict := detector.process(frame)) is not None:
            verdicts.append(verdict)
        if (verdict := whole.step(frame, detector, detector.t)) is not None:
            verdicts.append(verdict)
    return detector, verdicts


def test_a_menu_taken_for_a_machine_by_its_length_is_named_by_its_whole_words() -> None:
    decodes = _Decodes(["Thank you for calling North Wind. For billing, press 1."])
    _, verdicts = _play([(0.1, speech(MENU, RATE))], 10.0, decodes)
    # ("Thank you for calling North Wind." and its pause may pass for a hello first)
    assert [(v.kind, v.reason) for v in verdicts][-2:] == [("machine", "long_greeting"), ("ivr", "keywords")]
    ((started_at, audio),) = decodes.started
    # decoded once the greeting paused or the window ended, from the answer on, and heard after it ran
    assert audio >= SessionSettings().machine_greeting_seconds and audio <= MAX_SECONDS
    assert verdicts[-1].at >= started_at + decodes.takes


def test_a_second_decode_at_the_window_end_hears_what_the_first_missed() -> None:
    decodes = _Decodes(["Thank you.", "For billing, press 1."])
    _, verdicts = _play([(0.1, speech(MENU, RATE))], 10.0, decodes)
    assert verdicts[-1].kind == "ivr"
    assert len(decodes.started) == 2 and decodes.started[1][1] > decodes.started[0][1]
    assert decodes.started[1][0] >= SessionSettings().amd_window_seconds


def test_a_hello_is_never_decoded_whole_and_a_persons_words_change_nothing() -> None:
    decodes = _Decodes([])
    _, verdicts = _play([(0.3, speech("Hello?", RATE))], 8.0, decodes)
    assert [v.kind for v in verdicts] == ["human"] and decodes.started == []
    # a long greeting awaiting its words: the whole decode of a person's words names no machine
    decodes = _Decodes(["Hello, who is this? I am driving right now, can you make it quick please?"])
    said = speech("Hello, who is this? I am driving right now, can you make it quick please?", RATE)
    detector = MachineDetector(SessionSettings(), words=True)
    whole = WholeGreeting(decodes)
    line = bytearray(noise(8.0, RATE, amplitude=20.0))
    line[800 : 800 + len(said)] = said
    turned = [
        v
        for f in split_frames(bytes(line), RATE)
        if (detector.process(f), v := whole.step(f, detector, detector.t))[1] is not None
    ]
    assert decodes.started and turned == []  # decoded, and no verdict came of it


class _WholeHears(DictationRecognizer):
    """Pieces of a greeting come out as nonsense; the whole greeting, decoded at once, as `whole`."""

    def __init__(self, pieces: list[str], whole: str) -> None:
        super().__init__(pieces)
        self.whole = whole
        self.whole_decodes = 0

    def transcribe(self, pcm: bytes, sample_rate: int, hints: ListeningHints | None = None) -> Utterance:
        self.whole_decodes += 1
        return Utterance(self.whole, final=True, confidence=0.8, start=0.0, end=len(pcm) / (2 * sample_rate))


def test_a_call_whose_menu_is_misheard_in_pieces_ends_as_ivr_from_the_whole_decode() -> None:
    nonsense = ["Thank you for coming, not going or meeting.", "Okay, let's go to the floor"] * 3
    for whole, ended in (("Thank you for calling North Wind. For billing, press 1.", "ivr"), ("Oh.", None)):
        recognizer = _WholeHears(list(nonsense), whole)
        run = run_call(
            ScriptedCallee(audio=Timeline([(0.2, MENU)], 14).pcm(), hangup_after=13), recognizer=recognizer
        )
        r = run.report
        assert recognizer.whole_decodes >= 1
        if ended:
            assert (r.machine, r.disposition) == ("ivr", "ivr")
        else:  # the pieces and the whole decode name nothing: a machine by its length, as before
            assert r.machine == "machine"


def test_a_decode_still_running_when_the_audio_ends_is_waited_for() -> None:
    decodes = _Decodes(["For billing, press 1."], takes=30.0)  # back long after the clip's end
    detector, verdicts = _play([(0.1, speech(MENU, RATE))], 7.0, decodes)
    assert verdicts[-1].kind == "machine" and len(decodes.started) == 1
    whole = WholeGreeting(_Decodes(["For billing, press 1."], takes=30.0))
    for frame in split_frames(noise(6.5, RATE, amplitude=20.0), RATE):
        whole.step(frame, detector, 0.0)
    turned = whole.last_words(detector)
    assert turned is not None and turned.kind == "ivr" and whole.last_words(detector) is None
