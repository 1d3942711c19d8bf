"""Answering-machine detection in the first seconds of an answered call.

One processor, fed every inbound frame from the answer on (audio time), plus the transcripts the
listener produces. A person says a short "hello?" and waits, or says nothing; a machine talks at once
and for long, names itself ("leave a message", "请在提示音后留言") and beeps. The verdicts:

* ``machine``: a beep, a keyword, or a first greeting longer than `greeting_max_seconds`; reason
  ``sit`` for special information tones (a carrier's announcement follows: nobody to talk to);
* ``human``: a short greeting followed by silence, or no greeting within `opening_silence_seconds`.

A human verdict is provisional for `amd_window_seconds`: a machine whose greeting starts late or is
short but names itself turns the verdict around (the session then stops the opening). The detector
never delays the opening past `opening_deadline_seconds`: `opening_due()` says when to speak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialer.session.settings import SessionSettings
from voice.endpointing import VoiceActivity
from voice.frames import AudioFrame
from voice.tones import ToneDetector

KEYWORDS = (
    "leave a message",
    "leave your message",
    "leave me a message",
    "after the tone",
    "after the beep",
    "not available",
    "can't take your call",
    "cannot take your call",
    "can't come to the phone",
    "voicemail",
    "voice mail",
    "record your message",
    "请在提示音后留言",
    "提示音后留言",
    "请留言",
    "留言",
    "语音信箱",
    "不方便接听",
)
_MIN_RUN = 0.06  # voiced time that opens a greeting (a click does not)


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # "human" | "machine"
    reason: str  # beep | keywords | long_greeting | short_greeting | silence | keypad | window
    at: float  # audio seconds since the answer


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()


def names_a_machine(text: str) -> bool:
    said = _normal(text)
    return any(k in said for k in KEYWORDS)


class MachineDetector:
    def __init__(self, settings: SessionSettings, *, vad: VoiceActivity | None = None) -> None:
        self.s = settings
        self.vad = vad or VoiceActivity(2)
        self.tones = ToneDetector()
        self.t = 0.0
        self.verdict: Verdict | None = None
        self.beep_at: float | None = None  # end of the beep, once heard
        self.sit_at: float | None = None  # special information tones after the answer: a carrier speaks
        self._run = 0.0
        self._onset: float | None = None  # the first greeting's first voiced frame
        self._last_voiced: float | None = None
        self._first_done = False  # the first greeting ended
        self._locked = False  # a key press settled it

    @property
    def final(self) -> bool:
        """Nothing can change the verdict any more."""
        machine = self.verdict is not None and self.verdict.kind == "machine"
        return machine or self._locked or self.t >= self.s.amd_window_seconds

    @property
    def last_voiced(self) -> float | None:
        return self._last_voiced

    def opening_due(self) -> bool:
        human = self.verdict is not None and self.verdict.kind == "human"
        return human or (self.verdict is None and self.t >= self.s.opening_deadline_seconds)

    def process(self, frame: AudioFrame) -> Verdict | None:
        """One inbound frame; returns a new or changed verdict."""
        start = self.t
        self.t += frame.duration
        for tone in self.tones.process(frame):
            if tone.kind == "beep":
                self.beep_at = self.t
                return self._decide("machine", "beep")
            if tone.kind == "sit" and not self.final:
                self.sit_at = self.t
                self.verdict = None  # a carrier, not a machine: the verdict is replaced
                return self._decide("machine", "sit")
        voiced = self.vad.is_speech(frame)
        if voiced:
            self._run += frame.duration
            if self._run >= _MIN_RUN - 1e-9:
                if self._onset is None:
                    self._onset = start - self._run + frame.duration
                self._last_voiced = self.t
        else:
            self._run = 0.0
        return self._timers()

    def _timers(self) -> Verdict | None:
        if self.final and self.verdict is None:
            return self._decide("human", "window")
        if self._onset is None:
            if self.verdict is None and self.t >= self.s.opening_silence_seconds:
                return self._decide("human", "silence")
            return None
        assert self._last_voiced is not None
        greeting = self._last_voiced - self._onset
        if not self._first_done:
            # only a greeting that starts right away is judged by its length: a person answering
            # the opening at length is not a machine
            early = self._onset <= self.s.opening_silence_seconds + 0.7
            if early and greeting >= self.s.greeting_max_seconds:
                self._first_done = True
                return self._decide("machine", "long_greeting")
            if self.t - self._last_voiced >= self.s.after_greeting_silence_seconds:
                self._first_done = True
                if self.verdict is None:
                    return self._decide("human", "short_greeting")
        return None

    def transcript(self, text: str) -> Verdict | None:
        """A transcript of the callee (partial or final) while the window is open."""
        if self.final or not names_a_machine(text):
            return None
        return self._decide("machine", "keywords")

    def keypad(self) -> Verdict | None:
        """A key press: only a person presses keys."""
        if self.verdict is not None and self.verdict.kind == "human":
            return None
        self._locked = True
        self.verdict = Verdict("human", "keypad", self.t)
        return self.verdict

    def _decide(self, kind: str, reason: str) -> Verdict | None:
        if self.verdict is not None and (self.verdict.kind == kind or self.verdict.kind == "machine"):
            return None
        if self.verdict is not None and (self._locked or self.t >= self.s.amd_window_seconds):
            return None
        self.verdict = Verdict(kind, reason, self.t)
        return self.verdict

    def silence_since_voice(self) -> float:
        return self.t - (self._last_voiced if self._last_voiced is not None else 0.0)
