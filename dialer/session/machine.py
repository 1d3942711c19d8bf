"""Who answered, in the first seconds of an answered call: a person, a voicemail, a call screener, a
company's menu, a fax machine, a carrier's announcement, or call-progress tones played after the answer.

One processor, fed every inbound frame from the answer on (audio time), plus the transcripts the
listener produces. Three kinds of evidence, as in VAD-timing detectors (arXiv 2604.09675):

* timing: a person says a short "hello?" (or "喂") and waits, or says nothing; a machine talks at once
  and for long. A hello (at most `hello_max_seconds`) and `hello_silence_seconds` of quiet is a person
  at once (``human``, ``hello``: the opening follows within a second of the first word). That quiet is
  shorter than the listener's end of speech on purpose: at its end the recognizer decodes the whole
  utterance in the call's loop (seconds for whisper base on Chinese), and a verdict that needs more
  quiet waits for it, the person in silence; so `hello_max_seconds` reaches `greeting_max_seconds`
  (a machine given this provisional verdict at its first pause hears the opening until its words,
  its length or its beep turn it around, and the session stops the opening); a greeting
  that ends within `greeting_max_seconds` and is followed by `after_greeting_silence_seconds` of quiet
  (a pause for an answer) is one too (``short_greeting``). A first greeting that reads on for
  `machine_greeting_seconds` with only the short pauses of read speech is a machine's, whatever its
  words (``long_greeting``), unless the words heard so far are a person's ("who's this?"). Voice is
  the VAD and the level over the line's noise floor; a lost packet (digital silence) changes neither.
* tones (voice/tones.py): a beep is a voicemail; CNG/CED a fax; SIT a carrier's announcement; busy or
  ring-back tones after the answer are call progress, nobody there.
* words (greeting.py): a greeting longer than `greeting_max_seconds` is decided by its words (all of
  them, once it ends) when a recognizer for the call's language feeds transcripts (`words=True`):
  voicemail, screener, menu or announcement phrases name the machine; a long greeting with none of them
  is a talkative person ("hello, who's this, I'm driving"). Without words the length alone says
  ``machine``. Thresholds are fitted on the corpus's training voices (bench/amd_bench.py --fit).

Where the listener decodes an utterance off the call's loop (voice/listener.py with a threaded runner;
a live call decodes in the loop today, `voice.background.call_runner`), a greeting's last words come
some time after its end: while they are being decoded (`process(..., decoding=True)`) a long greeting
is not judged and the window does not close (for `_WORDS_WAIT` more at most), as the words may still
name a voicemail ("Hello? ... please leave your name after the beep").

A human verdict is provisional for `amd_window_seconds`: a beep or a machine's words turn it around
(the session then stops the opening). `opening_due()` says when to speak: at a human verdict, or at
`opening_deadline_seconds` when nobody is talking.

Verdict kinds are the ledger's machine-detection words: human, machine (a voicemail), screener, ivr,
fax, announcement, progress (reason busy or ringback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialer.session.greeting import who_said
from dialer.session.settings import SessionSettings
from dialer.session.spec import SessionSpec
from voice.audio import level_dbfs
from voice.endpointing import VoiceActivity
from voice.frames import AudioFrame
from voice.tones import CNG_HZ, ToneDetector

# a voiced frame stands this far above the line's noise floor (chosen on the training split, timing only:
# at 8 dB a greeting on a line 10-13 dB above its noise was heard as a few syllables and long pauses)
_ABOVE_FLOOR_DB = 6.0
_LOST_DBFS = -90.0  # quieter than any line's noise: a lost packet the jitter buffer filled with zeros
_MIN_RUN = 0.06  # voiced time that opens a greeting (a click does not)
_CNG_WAIT = 4.0  # an 1100 Hz tone before any greeting: wait this long for a fax's second burst
_WORDS_WAIT = 2.0  # after a long greeting ends: wait this long for its transcript
_SETTLED = frozenset({"fax", "announcement", "progress"})  # nothing turns these around
_CARRIER_HOLD = 3.0  # a carrier's words are held this long at most for a voicemail's to follow
# verdicts that leave nobody to talk to: the call ends with this disposition (by the verdict's reason)
NOBODY = {
    "fax": {"": "fax"},
    "ivr": {"": "ivr"},
    "progress": {"busy": "busy", "": "no_answer"},
}
SCREENER_REPLY = {
    "en": "Hello, this is {agent} from {company}, calling for {name} about a personal matter. "
    "I will hold for {name}.",
    "zh": "您好，我是{company}的{agent}，找{name}，有一件个人事务，我在线等候。",
}


_HUMAN_MAX_WORDS = 9  # a long first greeting this short in words, with no machine phrase, is a person's
HUMAN_CUES = re.compile(r"\b(who'?s|who is|who are|what do you want|i'?m driving|hello\?)|哪位|你是谁|谁啊")


def _word_count(text: str) -> int:
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    return len(re.sub(r"[\u3400-\u9fff]", " ", text).split()) + (cjk + 1) // 2


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # human | machine | screener | ivr | fax | announcement | progress
    reason: str  # beep | words | long_greeting | short_greeting | silence | keypad | window | sit | cng...
    at: float  # audio seconds since the answer


def screener_reply(spec: SessionSpec) -> str:
    """What a call screener hears: the caller's name and a neutral reason (no word about a debt)."""
    template = SCREENER_REPLY.get(spec.language, SCREENER_REPLY["en"])
    return template.format(agent=spec.agent_name, company=spec.company, name=spec.first_name)


def names_a_machine(text: str) -> bool:
    return who_said(text) is not None


class MachineDetector:
    def __init__(
        self, settings: SessionSettings, *, vad: VoiceActivity | None = None, words: bool = False
    ) -> None:
        self.s = settings
        self.words = words
        self.vad = vad or VoiceActivity(2, gate_db=_ABOVE_FLOOR_DB)
        self.tones = ToneDetector()
        self.t = 0.0
        self.verdict: Verdict | None = None
        self.beep_at: float | None = None  # end of the beep, once heard
        self.sit_at: float | None = None  # special information tones after the answer: a carrier speaks
        self.heard_voice = False
        self._run = 0.0
        self._onset: float | None = None  # the first greeting's first voiced frame
        self._last_voiced: float | None = None
        self._first_done = False  # the first greeting ended (or was judged by its length)
        self._awaiting_words = False  # a long greeting: its transcript decides
        self._greeting_words: list[str] = []  # its finals so far (one per pause within it)
        self._announced: list[str] = []  # a carrier's words (finals), held until it stops talking
        self._announced_partial = ""  # the last partial that named a carrier (its final may not)
        self._announced_at = 0.0
        self._cng_at: float | None = None  # an 1100 Hz burst before any greeting: a fax, or a bare beep
        self._locked = False  # a key press settled it
        self._floor: float | None = None  # dBFS
        self._was_voiced = False  # the last frame that carried sound was voiced
        self._greeting_ran = True  # the first greeting has not yet paused for an answer
        self._decoding = False  # the listener is decoding speech heard on this call
        # voiced frames (start, end) heard while one frequency carried them: a beep's start or a vowel;
        # dropped if it proves a tone, counted as voice once it does not
        self._held: list[tuple[float, float]] = []

    @property
    def final(self) -> bool:
        """Nothing can change the verdict any more."""
        v = self.verdict
        settled = v is not None and v.kind != "human" and v.reason != "long_greeting"
        over = (
            self.t >= self.s.amd_window_seconds
            and not self._words_due
            and not self._carrier_spoke
            and not self._words_coming
        )
        return settled or self._locked or over

    @property
    def _words_due(self) -> bool:
        """A person's verdict given at a first pause ("Hello?"), while the greeting talked on past the
        window and its words are still being decoded: they may yet say it was a voicemail ("... please
        leave your name after the beep"). The opening already plays, so nobody waits for them."""
        v = self.verdict
        hello = v is not None and v.kind == "human" and not self._locked
        return hello and self._awaiting_words and self.t < self.s.amd_window_seconds + _WORDS_WAIT

    @property
    def _words_coming(self) -> bool:
        """A long greeting's words are still being decoded: it is judged when they come."""
        return self._decoding and self._awaiting_words and self.silence_since_voice() < 2 * _WORDS_WAIT

    @property
    def last_voiced(self) -> float | None:
        return self._last_voiced

    @property
    def onset(self) -> float | None:
        return self._onset

    def opening_due(self) -> bool:
        if self.verdict is not None:
            return self.verdict.kind == "human"
        talking = self._awaiting_words or (self._onset is not None and not self._first_done)
        waiting = self._cng_at is not None or self.tones.in_tone or bool(self._held)
        return not talking and not waiting and self.t >= self.s.opening_deadline_seconds

    def process(self, frame: AudioFrame, *, decoding: bool = False) -> Verdict | None:
        """One inbound frame; returns a new or changed verdict. `decoding`: the listener is still
        decoding speech of this call (its words may yet come)."""
        self._decoding = decoding
        start = self.t
        self.t += frame.duration
        for tone in self.tones.process(frame):
            verdict = self._tone(tone.kind, tone.frequency, tone.onset)
            if verdict is not None:
                return verdict
        level = level_dbfs(frame.pcm)
        if level <= _LOST_DBFS:
            # a lost packet (digital silence): no news about the line; it would drag both noise floors
            # to nothing and make the line's noise after it sound like a voice
            voiced = self._was_voiced
        else:
            # the line's noise floor: the quietest recent frame, rising slowly (a noisy line is no voice)
            self._floor = min(level, self._floor + 0.05) if self._floor is not None else level
            loud = level >= self._floor + _ABOVE_FLOOR_DB
            # every frame goes to the VAD: its own noise floor must see the pauses, not only the loud
            # frames (fed loud frames alone, it climbs into the speech and cuts a greeting into bursts)
            speech = self.vad.is_speech(frame)
            voiced = loud and speech and not self.tones.in_tone
        self._was_voiced = voiced
        voiced = self._hold(start, voiced)
        if voiced:
            self._voiced(start, self.t)
        else:
            self._run = 0.0
        return self._timers()

    def _hold(self, start: float, voiced: bool) -> bool:
        """Voice while a tone may be starting waits for the tone detector's word: a steady tone drops
        it, a vowel (the candidate ended or started over later) makes it voice after all."""
        tones = self.tones
        if tones.in_tone:
            self._held.clear()
            return False
        candidate = tones.tone_start if tones.tone_starting else None
        if self._held:
            kept = [f for f in self._held if candidate is not None and f[0] >= candidate - 1e-6]
            for frame_start, frame_end in self._held[: len(self._held) - len(kept)]:
                self._voiced(frame_start, frame_end)
            self._held = kept
        if voiced and candidate is not None:
            self._held.append((start, self.t))
            return False
        return voiced

    def _voiced(self, start: float, end: float) -> None:
        self._run += end - start
        if self._run >= _MIN_RUN - 1e-9:
            self.heard_voice = True
            if self._onset is None:
                self._onset = end - self._run
            self._last_voiced = end

    def _tone(self, kind: str, frequency: float, onset: float) -> Verdict | None:
        if kind == "fax":
            return self._decide("fax", "ced" if frequency > 2000 else "cng", force=True)
        if kind == "sit":
            self.sit_at = self.t
            return self._decide("announcement", "sit", force=True)
        if kind in ("busy", "ringback"):
            # after a greeting it is somebody's hold music or a phone in the room: not the line's state
            # (the first tenth of a second of the tone itself looks like a voice to the VAD)
            before = self._onset is not None and self._onset < onset - 0.25
            return None if before else self._decide("progress", kind, force=True)
        if kind != "beep":
            return None
        if self._onset is None and 425 <= frequency <= 475:
            return None  # China's 450 Hz call-progress tone; its cadence is judged above
        if self._onset is None and abs(frequency - CNG_HZ) <= 30:
            self._cng_at = self.t  # a fax's calling tone or a bare beep: the next seconds tell
            return None
        self.beep_at = self.t
        return self._decide("machine", "beep")

    @property
    def announced(self) -> str:
        """The carrier's words that made the verdict an announcement (for the number's status)."""
        return " ".join([*self._announced, self._announced_partial]).strip()

    @property
    def _carrier_spoke(self) -> bool:
        return bool(self._announced or self._announced_partial)

    def _timers(self) -> Verdict | None:
        settled = self.verdict is not None and self.verdict.kind in _SETTLED  # tones may have decided
        if self._carrier_spoke and not settled:
            done = self.silence_since_voice() >= self.s.after_greeting_silence_seconds
            if done or self.t - self._announced_at >= _CARRIER_HOLD:
                return self._carrier_verdict()
        if self._cng_at is not None and self.t - self._cng_at >= _CNG_WAIT:
            self._cng_at = None
            self.beep_at = self.t
            return self._decide("machine", "beep")
        if self._awaiting_words and self._greeting_words and self.final and not self._words_coming:
            return self._judge_words()  # still talking at the window's end: what it said so far
        if self.final and self.verdict is None:
            return self._decide("human", "window")
        if self._onset is None:
            # a tone is no silent person; held voice may be one's first word
            waiting = self._cng_at is not None or self.tones.in_tone or bool(self._held)
            if self.verdict is None and not waiting and self.t >= self.s.opening_silence_seconds:
                return self._decide("human", "silence")
            return None
        if self._held:
            return None  # voice or a tone's start: the timing waits for the tone detector's word
        assert self._last_voiced is not None
        greeting = self._last_voiced - self._onset
        quiet = self.t - self._last_voiced
        # only a greeting that starts right away is judged by its length: a person answering the
        # opening at length is not a machine
        early = self._onset <= self.s.opening_silence_seconds + 0.7
        if quiet >= self.s.after_greeting_silence_seconds:
            self._greeting_ran = False  # the first greeting paused for an answer: it has ended
        reading = self._greeting_ran and early and greeting >= self.s.machine_greeting_seconds
        if reading:
            self._greeting_ran = False
            verdict = self._reads_on()
            if verdict is not None:
                return verdict
        hello = self.verdict is not None and self.verdict.reason == "hello"
        if not self._first_done:
            if early and greeting >= self.s.greeting_max_seconds and (self.verdict is None or hello):
                self._first_done = True
                if self.words:
                    self._awaiting_words = True
                    return None
                if not hello:  # after a hello only a greeting that reads on turns it (above)
                    return self._decide("machine", "long_greeting")
            if (
                self.verdict is None
                and greeting <= self.s.hello_max_seconds
                and quiet >= self.s.hello_silence_seconds
            ):
                # a short hello and a pause: a person, at once (the greeting may still go on: then
                # its words or its length turn this around, and the session stops the opening)
                return self._decide("human", "hello")
            if quiet >= self.s.after_greeting_silence_seconds:
                self._first_done = True
                if self.verdict is None:
                    return self._decide("human", "short_greeting")
        elif self._words_coming:
            return None  # its last words are being decoded
        elif self._awaiting_words and self._greeting_words and quiet >= self.s.after_greeting_silence_seconds:
            return self._judge_words()  # the whole greeting is in
        elif self._awaiting_words and quiet >= _WORDS_WAIT:
            # no transcript came: length says machine, but a person must never be taken for one
            self._awaiting_words = False
            return self._decide("human", "no_words")
        return None

    def _reads_on(self) -> Verdict | None:
        """The first greeting ran `machine_greeting_seconds` without a pause for an answer: read speech,
        a machine's greeting (VAD-timing evidence), unless the words heard so far are a person's."""
        said = " ".join(self._greeting_words).lower()
        if HUMAN_CUES.search(said):
            return None
        self._awaiting_words = False
        return self._decide("machine", "long_greeting")

    def _judge_words(self) -> Verdict | None:
        """A long greeting judged by all its words, never by its first sentence alone ("Hi, it's Sam.")."""
        self._awaiting_words = False
        said = " ".join(self._greeting_words)
        if _word_count(said) <= _HUMAN_MAX_WORDS or HUMAN_CUES.search(said.lower()):
            return self._decide("human", "words")
        return self._decide("machine", "long_greeting")  # many words, none a person's: a greeting

    @property
    def open_to_words(self) -> bool:
        """Words can still change the verdict: in the window, or while a machine judged by its length
        talks on (its words may say it is a screener, a menu or a carrier; nobody is spoken to meanwhile)."""
        return not self.final or self._by_length

    @property
    def judging_by_words(self) -> bool:
        """A long greeting whose kind only its words can tell: its transcript is awaited, or a machine was
        named by its length alone (a screener, a menu or a carrier may still say what it is)."""
        return self.open_to_words and (self._awaiting_words or self._by_length)

    @property
    def _by_length(self) -> bool:
        return self.verdict is not None and self.verdict.reason == "long_greeting" and not self._locked

    def transcript(self, text: str, *, final: bool = False, whole: bool = False) -> Verdict | None:
        """A transcript of the callee (partial, `final`, or the `whole` greeting so far) while
        `open_to_words`. A carrier's words are held until it stops talking (`_timers`): "The person you
        are calling is not available." goes on "Please leave a message" in a carrier's voicemail."""
        if not self.open_to_words:
            return None
        kind = who_said(" ".join([*self._announced, text]) if self._announced else text)
        if kind == "announcement" or (kind is None and self._carrier_spoke):
            # (a partial can be right where its final is not: "… is not in service" became "… in
            # that interval"; it is kept beside the finals)
            self._announced_at = self._announced_at if self._carrier_spoke else self.t
            if (final or whole) and text.strip():
                self._announced.append(text.strip())
            elif kind == "announcement":
                self._announced_partial = text.strip()
            return None
        if kind is not None:
            self._announced.clear()
            self._announced_partial = ""
            late_words = self._words_due
            self._awaiting_words = False
            return self._decide(kind, "keywords", late_words=late_words)
        if final and (self._awaiting_words or self._greeting_ran) and text.strip():
            self._greeting_words.append(text.strip())  # judged when the greeting ends (`_timers`)
        return None

    def line_ended(self) -> Verdict | None:
        """The far end hung up (or the audio ended) while a carrier's words were held for a voicemail's
        to follow (`_CARRIER_HOLD`): nothing more can come, so they decide now. A carrier that plays its
        message and hangs up at once would otherwise leave the call a voicemail judged by its length."""
        settled = self.verdict is not None and self.verdict.kind in _SETTLED
        if not self._carrier_spoke or settled or self._locked:
            return None
        return self._carrier_verdict()

    def _carrier_verdict(self) -> Verdict | None:
        """The held carrier words decide: an announcement, even over a verdict by length or a hello."""
        self._awaiting_words = False
        return self._decide("announcement", "keywords", late_words=True)

    def keypad(self) -> Verdict | None:
        """A key press: only a person presses keys."""
        if self.verdict is not None and self.verdict.kind == "human":
            return None
        self._locked = True
        self._awaiting_words = False
        self.verdict = Verdict("human", "keypad", self.t)
        return self.verdict

    def _decide(
        self, kind: str, reason: str, *, force: bool = False, late_words: bool = False
    ) -> Verdict | None:
        """A new verdict, unless it would undo a settled one: a machine is never turned back into a
        person, and after the window or a key press only tones that leave nobody to talk to count (and
        the words of a first greeting still being decoded, `late_words`)."""
        v = self.verdict
        if v is not None:
            if v.kind == kind or v.kind in _SETTLED:
                return None
            if kind == "human":
                return None
            late = self._locked or self.t >= self.s.amd_window_seconds
            if not force and late and not self._by_length and not late_words:
                return None
        self.verdict = Verdict(kind, reason, self.t)
        return self.verdict

    def silence_since_voice(self) -> float:
        return self.t - (self._last_voiced if self._last_voiced is not None else 0.0)
