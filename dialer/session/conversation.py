"""The turn loop of one answered call: detect a machine, open, listen, answer, until someone hangs up.

Driven frame by frame in audio time (see `line.py`), on the call's handler thread:

    frame -> speaker.tick (prompt finished?) -> machine detector (first seconds) -> listener
          -> VoiceOnset (pause the bot) / OnsetLost (resume it) / SpeechStarted / BargeIn (stop the bot)
          / Hearing (partials) / Heard (a turn)
          -> policy.handle -> actions -> prompts rendered and queued, outcome recorded

States: ``detecting`` (answered, the opening not yet due) -> ``talking`` (a person, the dialogue runs)
or ``machine_wait`` (waiting for the beep) -> ``voicemail`` (the limited-content message), or
``announcement`` (special information tones: the carrier's words are kept, nobody is spoken to); a
closing flag ends the call once the last prompt has played. Latency of a reply: end of the callee's speech (or
the key press) to the first frame of the reply on the wire, in the call's audio time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from dialer.numberstatus import detect_sit, transcribe_announcement
from dialer.session.closing import close
from dialer.session.context import call_context
from dialer.session.line import Line
from dialer.session.machine import NOBODY, MachineDetector, Verdict, screener_reply
from dialer.session.notices import CollectorNotice
from dialer.session.outcome import Outcome
from dialer.session.prompts import PromptRenderer
from dialer.session.reply import ReplyStream
from dialer.session.report import SessionReport
from dialer.session.settings import SessionSettings
from dialer.session.speaker import Playing, PromptPlayer
from dialer.session.speaking import HeardTimes, Speaking
from dialer.session.spec import SessionSpec
from dialer.session.waits import announcement_over, message_due
from dialer.session.whole_greeting import WholeGreeting, whole_decodes
from dialer.sip.interfaces import Call
from dialogue.interfaces import (
    BotAction,
    DialoguePolicy,
    HangUp,
    KeyPressed,
    MachineDetected,
    NoInput,
    Say,
    Transfer,
    UserSaid,
)
from voice.background import Runner, call_runner
from voice.endpointing import (
    BargeIn,
    Endpointer,
    EndpointEvent,
    OnsetLost,
    SpeechEnded,
    SpeechStarted,
    VoiceOnset,
)
from voice.errors import VoiceError
from voice.frames import AudioFrame, Utterance
from voice.interfaces import ListeningHints, Recognizer
from voice.listener import Heard, Hearing, Listener
from voice.settings import VoiceSettings
from voice.turn_end import policy_for

log = logging.getLogger(__name__)

SCREENER_WAIT_SECONDS = 25.0  # after telling a call screener who calls: the person picks up, or not


class _Endpointer(Endpointer):
    """Keeps the last end of speech: the listener reports utterances, the latency needs the last sample."""

    last_end: SpeechEnded | None = None

    def process(self, frame: AudioFrame) -> list[EndpointEvent]:
        events = super().process(frame)
        for event in events:
            if isinstance(event, SpeechEnded):
                self.last_end = event
        return events


class Conversation:
    def __init__(
        self,
        call: Call,
        spec: SessionSpec,
        *,
        recognizer: Recognizer,
        prompts: PromptRenderer,
        new_policy: Callable[[], DialoguePolicy],
        settings: SessionSettings,
        voice: VoiceSettings,
        now: dt.datetime | None = None,
        background: Callable[[str], Runner] = call_runner,
    ) -> None:
        self.call = call
        self.spec = spec
        self.s = settings
        self.recognizer = recognizer
        self.prompts = prompts
        self.new_policy = new_policy
        self.line = Line(call)
        self.endpointer = _Endpointer(
            aggressiveness=voice.vad_aggressiveness,
            start_ms=voice.start_of_speech_ms,
            end_ms=voice.end_of_speech_ms,
            barge_in_ms=settings.barge_in_ms,
            onset_ms=settings.pause_on_voice_ms,
            barge_in_voicing_ms=settings.barge_in_voicing_ms,
        )
        self._turn_end = policy_for(voice, settings.quick_end_ms)  # for dialogue turns only
        # the decode at each end of speech: in the call's loop on a live call (`call_runner`)
        self._finishing = background("heard")
        self.listener = Listener(
            recognizer, self.endpointer, quick_end_ms=settings.quick_end_ms, finishing=self._finishing
        )
        self.speaker = PromptPlayer(call, self.listener)
        self.outcome = Outcome(spec)
        self.speaking = Speaking(call, self.line, self.speaker, prompts, self.outcome, spec.language)
        # the call's recognizer hears the greeting, so a long one is judged by its words, as
        # bench/amd_bench.py measures it ("hello, who's this, I'm driving" is a person)
        self.detector = MachineDetector(settings, words=True)
        self._greeting_decodes = background("greeting")
        self.whole_greeting = WholeGreeting(whole_decodes(recognizer, self._greeting_decodes))
        self.context = call_context(spec, now)
        self.max_seconds = min(spec.max_seconds, settings.max_call_seconds)
        self.policy: DialoguePolicy | None = None
        self.state = "detecting"
        self.closing = False
        self.transfer_target = ""
        self.listening_since: float | None = None
        self.machine_at = 0.0
        # a person spoke over the bot telling a screener who calls: the opening follows the message
        self._picked_up = False
        self._opening: tuple[DialoguePolicy, list[BotAction]] | None = None
        self._opening_reply: ReplyStream | None = None
        self._notice_turn: int | None = None  # REC: the recording notice's bot turn, while it plays
        self._open_after_notice = False
        self.collector_notice = CollectorNotice()
        self._heard_times: HeardTimes | None = None  # the last callee turn answered
        self._held_words: list[tuple[str, float]] = []  # (text, start) heard while the callee talked on

    # -- the call -------------------------------------------------------------------------------------
    def run(self, answer_timeout: float) -> SessionReport:
        try:
            self._prepare_opening()
            if self.line.wait_answer(answer_timeout):
                self._converse()
            else:
                self._unanswered()
        except Exception as exc:  # any failure ends the call cleanly, with an outcome
            log.warning("call %s: session failed (%s)", self.call.call_id, type(exc).__name__)
            log.debug("session failure", exc_info=True)
            self.outcome.error = f"{type(exc).__name__}: {exc}"
            self.outcome.ended_by = "error"
        finally:
            if self._opening_reply is not None:  # never spoken (a machine, no answer)
                self._opening_reply.cancel()
            if self.speaker.busy:  # cut off by the end of the call
                self._bot_done(self.speaker.stop(self.line.now, None))
            if self.policy is not None:
                self.outcome.take_slots(self.policy.slots)
            self._greeting_decodes.close()
            self._finishing.close()
            if self.call.result is None:
                self.call.hangup()
        return self.outcome.report(tuple(self.speaker.stop_ms))

    def _unanswered(self) -> None:
        """No answer: a carrier's early-media announcement is transcribed for number status."""
        result = self.call.wait(10)
        if result is None or result.answered or not result.early_media:
            return
        early, rate = result.early_media, result.rate
        text = transcribe_announcement(self.recognizer, early, rate, detect_sit(early, rate), primed=True)
        if text is None:
            self.outcome.asr_errors += 1
        else:
            self.outcome.announcement = text

    def _converse(self) -> None:
        line = self.line
        while True:
            line.poll_events()
            if line.ended:
                self.outcome.ended_by = self.outcome.ended_by or "callee"
                verdict = self.detector.line_ended()  # a carrier that spoke and hung up
                if verdict is not None:
                    self._verdict(verdict)
                return
            self._keys()
            if line.t >= self.max_seconds or line.wall_elapsed() > self.max_seconds + 5:
                self.outcome.ended_by = "max_duration"
                log.info("call %s: maximum duration reached", self.call.call_id)
                return
            if self.closing and not self.speaker.busy:
                self._close()
                return
            frame = line.next_frame()
            if frame is None:
                continue
            self.speaking.feed()
            done = self.speaker.tick(line.now)
            if done is not None:
                self._bot_done(done)
            if self.state in ("detecting", "talking", "machine_wait") and not self.detector.final:
                self._detect(frame)
            elif self.state in ("machine_wait", "announcement"):
                self.detector.process(frame)  # the beep can come after the window
            if self.state in ("detecting", "talking", "machine_wait"):
                self._whole_greeting(frame)
            for event in self._listen(frame):
                self._on_listener(event)
            self._timers(frame)
            if self._open_after_notice:
                self._open_after_notice = False
                if self.state == "talking" and self.policy is None and not self.closing:
                    self._open()

    # -- machine or human -----------------------------------------------------------------------------
    def _detect(self, frame: AudioFrame) -> None:
        verdict = self.detector.process(frame, decoding=self.listener.decoding)
        if verdict is not None:
            self._verdict(verdict)
        if self.state == "detecting" and self.detector.opening_due():
            self._open()

    def _whole_greeting(self, frame: AudioFrame) -> None:
        verdict = self.whole_greeting.step(frame, self.detector, self.line.t)
        if verdict is not None:
            self._verdict(verdict)

    def _verdict(self, verdict: Verdict) -> None:
        log.info("call %s: %s (%s) at %.2f s", self.call.call_id, verdict.kind, verdict.reason, verdict.at)
        self.outcome.machine = verdict.kind
        if verdict.kind == "announcement" and self.detector.announced:  # its words, for number status
            self.outcome.announcement = self.detector.announced
        if verdict.kind == "announcement" and self.state != "announcement":
            if self.speaker.busy:
                self._bot_done(self.speaker.stop(self.line.now, None))
            self.state, self.policy, self.closing, self.listening_since = "announcement", None, False, None
            return
        if verdict.kind in NOBODY or verdict.kind == "screener":
            self._not_a_person(verdict)
            return
        if verdict.kind == "machine" and self.state in ("detecting", "talking"):
            if self._opening_reply is not None:  # nobody to open to: stop rendering it
                self._opening_reply.cancel()
            if self.speaker.busy:
                self._bot_done(self.speaker.stop(self.line.now, None))
            self.state, self.policy, self.closing = "machine_wait", None, False
            self.listening_since = None
            self.machine_at = self.line.t
            if self.spec.machine_action != "voicemail":
                self._voicemail()

    def _not_a_person(self, verdict: Verdict) -> None:
        """A fax, a company's menu or call-progress tones end the call with that disposition; a call
        screener hears who calls and a neutral reason, then the bot waits for the person."""
        if self._opening_reply is not None:
            self._opening_reply.cancel()
        if self.speaker.busy:
            self._bot_done(self.speaker.stop(self.line.now, None))
        self.policy, self.listening_since = None, None
        if verdict.kind in NOBODY:
            self.state, self.closing = "ended", True
            self.outcome.disposition = NOBODY[verdict.kind].get(verdict.reason, NOBODY[verdict.kind][""])
            return
        self.state, self.machine_at = "screener", self.line.t
        self._say([screener_reply(self.spec)], reply_to=None, opening=False)

    def _prepare_opening(self) -> None:
        """While the phone rings: start the policy and render the opening, so a person hears it at once."""
        policy = self.new_policy()
        actions = policy.start(self.context)
        self._opening = (policy, actions)
        texts = [a.text for a in actions if isinstance(a, Say)]
        if texts:  # rendered sentence by sentence from now on; taken up by `_say` when the opening is due
            self._opening_reply = self.speaking.stream(texts)

    def _open(self) -> None:
        self.state = "talking"
        if self.spec.recording_notice and self._notice_turn is None:
            self._recording_notice()
            return
        if self._opening is not None:
            (self.policy, actions), self._opening = self._opening, None
        else:
            self.policy = self.new_policy()
            actions = self.policy.start(self.context)
        self._apply(actions, reply_to=None, opening=True)

    def _recording_notice(self) -> None:
        """REC: the notice before anything is recorded; the recorder starts when it has played to its end
        (`_bot_done`), then the opening follows. Cut off (barge-in, hang-up): nothing is ever recorded."""
        notice = self.s.recording_notice_zh if self.spec.language == "zh" else self.s.recording_notice_en
        self.outcome.recording_withheld = True
        self._say([notice], None, opening=False, responses=("utter_recording_notice",))
        self._notice_turn = len(self.outcome.turns) - 1

    def _notice_done(self, playing: Playing) -> None:
        self._notice_turn = -1  # played (or cut off): never again on this call
        if not playing.barged_in and self.spec.recording_path and self.call.result is None:
            self.call.start_recording(self.spec.recording_path)
            self.outcome.recording_withheld = False
            log.info("call %s: recording notice played, recording started", self.call.call_id)
        self._open_after_notice = True  # on the next frame, unless a machine verdict changed the state

    def _voicemail(self) -> None:
        self.state = "voicemail"
        self.policy = self.new_policy()
        self._apply(self.policy.start(self.context, MachineDetected()), reply_to=None)

    # -- listening ------------------------------------------------------------------------------------
    def _listen(self, frame: AudioFrame) -> list[object]:
        # while words can still make it a machine, a menu or a carrier (and for greetings, machines and
        # announcements) the fixed silence the detector is tuned to ends an utterance
        talking = self.state == "talking" and not self.detector.open_to_words
        self.endpointer.turn_end = self._turn_end if talking else None
        try:
            return list(self.listener.process(frame))
        except VoiceError as exc:
            self.outcome.asr_errors += 1
            log.warning("call %s: recognizer failed (%s)", self.call.call_id, type(exc).__name__)
            return []

    def _on_listener(self, event: object) -> None:
        now = self.line.now
        if isinstance(event, VoiceOnset):
            if self.state == "talking" and not self.closing:
                self.speaker.pause(now)  # the first voiced frame: quiet now, speech or not
        elif isinstance(event, OnsetLost):
            if self.speaker.paused and not self.endpointer.in_speech:
                self.speaker.resume()  # a click, the peak of a cough: the prompt goes on
        elif isinstance(event, SpeechStarted):
            self.listening_since = None
            if self.state == "talking" and not self.closing:
                self.speaker.pause(now)  # quiet at once; a barge-in or a resume follows
        elif isinstance(event, BargeIn):
            if self.state == "talking" and not self.closing and self.speaker.current is not None:
                # speech that began before the prompt (a greeting at the deadline) times no barge-in
                talking_first = event.speech_start >= self.speaker.current.started
                self._bot_done(self.speaker.stop(now, event.speech_start if talking_first else None))
        elif isinstance(event, Hearing):
            if self.detector.open_to_words:
                verdict = self.detector.transcript(event.utterance.text)
                if verdict is not None:
                    self._verdict(verdict)
        elif isinstance(event, Heard):
            self._heard(event)

    def _heard(self, event: Heard) -> None:
        u = event.utterance
        last = event.ended or self.endpointer.last_end
        start, end = (last.start, last.end) if last is not None else (u.start, u.end)
        heard_at = self.line.now
        text = u.text.strip()
        if self.speaker.paused:  # a click, a breath, an "mm-hm": too short to interrupt, the bot goes on
            self.speaker.resume()
            if text:
                self._callee_turn(text, start, end, u)
            return
        if self.state == "screener":  # the person took the call (the screener's own words do not count)
            if text and self.detector.transcript(text) is None:
                self.outcome.machine, self._picked_up = "human", True
                self.outcome.callee_turn(text, start, end, confidence=u.confidence)
                if not self.speaker.busy:  # else when the message to the screener has played (`_bot_done`)
                    self._open()
            return
        if self.detector.open_to_words:
            verdict = self.detector.transcript(text, final=True)
            if verdict is not None:
                self._callee_turn(text, start, end, u)
                self._verdict(verdict)
                return
        if self.state == "announcement":  # the carrier's words, for number status
            self.outcome.announcement = f"{self.outcome.announcement} {text}".strip()
        if self.state != "talking" or self.policy is None or self.closing:
            if text:
                self._callee_turn(text, start, end, u)
            return
        if self._held_words:  # said before, while the callee talked on: one reply answers both
            text = " ".join([*(t for t, _ in self._held_words), text]).strip()
            start = self._held_words[0][1]
            self._held_words.clear()
        if self.speaker.busy:  # said while a reply to something else began: kept, not answered
            if text:
                self._callee_turn(text, start, end, u)
            return
        if self.endpointer.in_speech or self.listener.decoding:
            # the bot is quiet and the callee talks on ("No. ... He passed away in October."): their words
            # came back from the decoder after they went on speaking, and are answered with what follows
            if text:
                self._held_words.append((text, start))
            return
        if not text and end - start < 0.5:  # a click or a breath: keep listening
            self._listening()
            return
        turn = self._callee_turn(text, start, end, u)
        actions = self.policy.handle(UserSaid(text, u.confidence if text else 0.0, u.language))
        self._heard_times = (end, event.detected_at, heard_at, self.line.now)
        parsed = getattr(self.policy, "last_parse", None)
        if parsed is not None:
            self.outcome.set_intent(turn, parsed.intent, parsed.confidence)
        self._apply(actions, reply_to=end)

    def _callee_turn(self, text: str, start: float, end: float, u: Utterance) -> int:
        """A callee turn with what heard it: the recognizer's label, confidence and no-speech estimate."""
        return self.outcome.callee_turn(
            text,
            start,
            end,
            confidence=u.confidence,
            heard_by=self.recognizer.label,
            no_speech_prob=u.no_speech_prob,
            heard_language=u.language,
        )

    def _keys(self) -> None:
        while self.line.digits:
            at, digit = self.line.digits.popleft()
            verdict = self.detector.keypad()
            if verdict is not None:
                self._verdict(verdict)
            if self.state == "detecting":
                self._open()
            if self.state != "talking" or self.policy is None or self.closing:
                continue
            if self.speaker.busy:
                self._bot_done(self.speaker.stop(self.line.now, None))
            self.outcome.callee_turn("", at, at, keys=digit)
            self._apply(self.policy.handle(KeyPressed(digit)), reply_to=at)

    def _listening(self) -> None:
        if self.state == "talking" and not self.closing and not self.speaker.busy:
            self.listening_since = self.line.t

    # -- timers ---------------------------------------------------------------------------------------
    def _timers(self, frame: AudioFrame) -> None:
        t = self.line.t
        if (
            self.state == "talking"
            and self.policy is not None
            and not self.closing
            and not self.speaker.busy
            and not self.endpointer.in_speech
            and self.listening_since is not None
            and t - self.listening_since >= self.s.no_input_seconds
        ):
            self.listening_since = None
            self._apply(self.policy.handle(NoInput()), reply_to=None)
        elif self.state == "machine_wait" and message_due(self.detector, frame, t, self.machine_at, self.s):
            self._voicemail()
        elif (
            self.state == "announcement"
            and not self.closing
            and announcement_over(self.detector, t, self.endpointer.in_speech, self.s)
        ):
            self.closing = True
        elif self.state == "screener" and not self.closing and t - self.machine_at >= SCREENER_WAIT_SECONDS:
            self.outcome.disposition, self.closing = "screener", True

    # -- speaking -------------------------------------------------------------------------------------
    def _apply(self, actions: list[BotAction], reply_to: float | None, opening: bool = False) -> None:
        texts: list[str] = []
        responses: list[str] = []
        for action in actions:
            if isinstance(action, Say):
                texts.append(action.text)
                responses.append(action.response)
            elif isinstance(action, HangUp):
                self.closing = True
            elif isinstance(action, Transfer):
                self.transfer_target, self.closing = action.target, True
            else:
                self.outcome.apply(action)
        if self.policy is not None and self.policy.ended:
            self.closing = True
        self.collector_notice.before_reply(texts, responses, ends_call=self.closing)
        if texts:
            turn = self._say(texts, reply_to, opening, tuple(responses))
            self.collector_notice.spoken(turn, texts, responses)
        else:
            self._listening()
        if self.policy is not None:
            hints = self.policy.hints()
            self.listener.hints = ListeningHints(prompt=hints.prompt, phrases=tuple(hints.phrases))

    def _say(
        self, texts: list[str], reply_to: float | None, opening: bool, responses: tuple[str, ...] = ()
    ) -> int:
        """Start the reply as soon as its first sentence is rendered (`Speaking`). Returns the
        bot turn."""
        if self.speaker.busy:
            self._bot_done(self.speaker.stop(self.line.now, None))
        stream, self._opening_reply = (self._opening_reply, None) if opening else (None, self._opening_reply)
        if stream is None or stream.cancelled:
            stream = self.speaking.stream(texts)
        turn = self.speaking.start(stream, reply_to, responses, self._heard_times, opening=opening)
        self.listening_since = None
        return turn

    def _bot_done(self, playing: Playing | None) -> None:
        if playing is None:
            return
        self.outcome.end_turn(playing.turn, playing.stopped or self.line.now, playing.barged_in)
        if playing.barged_in:
            self.collector_notice.cut(playing.turn)
        if self._notice_turn is not None and playing.turn == self._notice_turn:
            self._notice_done(playing)
            return
        if self.state == "voicemail" and not playing.barged_in:
            self.outcome.voicemail_left = True
        if self.state == "screener":  # the person's time to pick up runs from the end of the message
            self.machine_at = self.line.t
            if self._picked_up:
                self._open()
                return
        self._listening()

    # -- the end --------------------------------------------------------------------------------------
    def _close(self) -> None:
        close(
            self.call,
            self.line,
            self.outcome,
            transfer_target=self.transfer_target,
            transfer_uri=self.spec.transfer_uri,
        )
