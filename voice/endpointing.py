"""Voice activity and endpointing for the callee's side of a call, driven frame by frame.

The endpointer is one processor with one job: turn 20 ms frames into start-of-speech, end-of-speech and
barge-in events. Time is audio time (frames seen x frame length), never the wall clock, so tests and
replays give the same events as a live call. Start needs `start_ms` of consecutive voiced frames (a click
does not open an utterance); end needs `end_ms` of trailing silence, or, with a `turn_end` policy
(voice/turn_end.py) and the bot quiet, whatever silence that policy asks for given what was heard so far
(the max utterance length still forces an end); barge-in needs `barge_in_ms` of callee
speech while the bot is talking (a cough or a burst of line noise does not interrupt the prompt), and
with `barge_in_voicing_ms`, that much of it voiced (a pitch: a vowel, an "mm"): webrtcvad takes a loud
cough for speech, but a cough has no pitch.
With `onset_ms` (shorter than `start_ms`), a voiced run over the bot's prompt is reported as soon as it
is that long (`VoiceOnset`: the session can go quiet at once, before the utterance is confirmed) and,
if it stops short of an utterance (a click, the peak of a cough), as `OnsetLost` (the prompt goes on).
When the session reports what it plays (`note_outbound`), the bot's own echo on the inbound leg is
not taken for the callee (double talk still counts: the callee is louder than the echo); the echo
return loss is learnt from the line (voice/echo_gate.py), so a clean line hears the callee's first
syllables over the prompt.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

from voice.audio import level_dbfs
from voice.echo_gate import EchoGate
from voice.errors import AudioError
from voice.frames import AudioFrame
from voice.turn_end import TurnEndPolicy, TurnSoFar

VAD_RATES = (8000, 16000, 32000, 48000)
PITCH_STRENGTH = 0.5  # vowels score 0.6-1, coughs, clicks and noise 0.1-0.4 (tests/voice/test_voice_onset.py)


def pitch_strength(pcm: bytes, rate: int) -> float:
    """The normalized autocorrelation peak over pitch periods of 70-400 Hz (two frames give the lags room)."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    x -= x.mean()
    n = len(x)
    lo, hi = rate // 400, min(rate // 70, n // 2)
    if hi <= lo:
        return 0.0
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    lags = np.arange(lo, hi + 1)
    r = np.correlate(x, x, mode="full")[n - 1 + lo : n + hi]
    d = np.sqrt(energy[n - lags] * (energy[n] - energy[lags]))
    ok = d > 0
    return float((r[ok] / d[ok]).max()) if ok.any() else 0.0


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Speech began at `start` (onset of the first voiced frame); detected at `detected_at`."""

    start: float
    detected_at: float


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    """An utterance from `start` to `end` (end of the last voiced frame), with its audio (incl. pre-roll)."""

    start: float
    end: float
    detected_at: float
    audio: bytes
    sample_rate: int
    forced: bool = False

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class BargeIn:
    """The callee spoke over the bot long enough to interrupt it; clear the outbound queue."""

    speech_start: float
    detected_at: float


@dataclass(frozen=True, slots=True)
class VoiceOnset:
    """A voiced run began over the bot at `start`: maybe the callee, maybe a click. Not an utterance yet:
    `SpeechStarted` or `OnsetLost` follows."""

    start: float
    detected_at: float


@dataclass(frozen=True, slots=True)
class OnsetLost:
    """The voiced run of the last `VoiceOnset` ended before it was long enough to be speech."""

    start: float
    detected_at: float


EndpointEvent = SpeechStarted | SpeechEnded | BargeIn | VoiceOnset | OnsetLost


class VoiceActivity:
    """webrtcvad on 10/20/30 ms frames at 8/16/32/48 kHz, gated by level.

    webrtcvad keeps saying "speech" for 100-160 ms after a voice stops (its hangover), which would add
    that much to every turn. A frame therefore also has to stand `gate_db` above the tracked noise floor
    (and above `min_dbfs`) to count as speech.
    """

    def __init__(self, aggressiveness: int = 2, *, gate_db: float = 12.0, min_dbfs: float = -50.0):
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)
        self.gate_db = gate_db
        self.min_dbfs = min_dbfs
        self.noise_floor: float | None = None

    def is_speech(self, frame: AudioFrame, echo_floor_dbfs: float = -200.0) -> bool:
        """`echo_floor_dbfs`: frames quieter than this are taken for the bot's own echo (and do not move
        the noise floor either)."""
        ms = round(frame.duration * 1000)
        if frame.sample_rate not in VAD_RATES or ms not in (10, 20, 30):
            raise AudioError(
                f"VAD needs 10/20/30 ms frames at {VAD_RATES} Hz, got {ms} ms at {frame.sample_rate}"
            )
        level = max(level_dbfs(frame.pcm), -100.0)
        if level < echo_floor_dbfs:
            return False
        if self.noise_floor is None:  # the line's first frame: pickup noise, rarely speech already
            self.noise_floor = min(level, -45.0)
        voiced = bool(self._vad.is_speech(frame.pcm, frame.sample_rate))
        loud = level >= max(self.noise_floor + self.gate_db, self.min_dbfs)
        if not (voiced and loud):
            # the floor follows falling noise quickly and rising noise more slowly
            weight = 0.3 if level < self.noise_floor else 0.1
            self.noise_floor += weight * (level - self.noise_floor)
        return voiced and loud


class Endpointer:
    def __init__(
        self,
        *,
        aggressiveness: int = 2,
        start_ms: int = 60,
        end_ms: int = 300,
        barge_in_ms: int = 300,
        onset_ms: int | None = None,
        barge_in_voicing_ms: int = 0,
        pre_roll_ms: int = 200,
        max_utterance_seconds: float = 30.0,
        echo_return_loss_db: float = 15.0,
        echo_tail_ms: int = 300,
        adaptive_echo: bool = True,
        vad: VoiceActivity | None = None,
        turn_end: TurnEndPolicy | None = None,
    ):
        self.vad = vad or VoiceActivity(aggressiveness)
        self._turn_end = turn_end  # None: a fixed `end_ms` of trailing silence
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.barge_in_ms = barge_in_ms
        self.onset_ms = onset_ms  # None: no VoiceOnset / OnsetLost events
        self._onset = False  # a VoiceOnset was reported for the current voiced run
        self.barge_in_voicing_ms = barge_in_voicing_ms  # 0: any voiced frame counts toward a barge-in
        self._previous = b""  # the last inbound frame: a pitch needs two frames of lags
        self._run_pitched_ms = 0.0
        self._pitched_ms = 0.0
        self.pre_roll_ms = pre_roll_ms
        self.max_utterance_seconds = max_utterance_seconds
        self.bot_speaking = False
        self.echo = EchoGate(min_loss_db=echo_return_loss_db, tail_ms=echo_tail_ms, adaptive=adaptive_echo)
        self.now = 0.0  # audio time at the end of the last frame
        self._pre_roll: collections.deque[AudioFrame] = collections.deque()
        self._voiced_run: list[AudioFrame] = []
        self._run_start = 0.0
        self._in_speech = False
        self._speech_start = 0.0
        self._last_voiced_end = 0.0
        self._silence_ms = 0.0
        self._voiced_ms = 0.0
        self._barged = False
        self._audio: list[bytes] = []

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def turn_end(self) -> TurnEndPolicy | None:
        return self._turn_end

    @turn_end.setter
    def turn_end(self, policy: TurnEndPolicy | None) -> None:
        """A policy switched on starts afresh: nothing it heard in an earlier turn decides this one."""
        if policy is not None and policy is not self._turn_end:
            policy.begin(self.now)
        self._turn_end = policy

    @property
    def silence_ms(self) -> float:
        """Trailing silence of the open utterance so far (0 while the callee speaks)."""
        return self._silence_ms if self._in_speech else 0.0

    def set_bot_speaking(self, speaking: bool) -> None:
        """The session says when its outbound prompt starts and stops playing."""
        self.bot_speaking = speaking
        if speaking:
            self.echo.start()
        else:
            self._barged = False
            self.echo.stop()

    def note_outbound(self, frame: AudioFrame) -> None:
        """The frame the bot is playing now. Its echo can come back on the inbound leg: inbound frames
        less than the echo return loss below the loudest recent outbound frame are not callee speech."""
        self.echo.outbound(frame)

    def process(self, frame: AudioFrame) -> list[EndpointEvent]:
        start = self.now
        self.now = start + frame.duration
        ms = frame.duration * 1000
        floor = self.echo.floor(level_dbfs(frame.pcm)) if self.bot_speaking else -200.0
        voiced = self.vad.is_speech(frame, floor)
        pitched = voiced and self._pitched(frame)
        self._previous = frame.pcm
        events: list[EndpointEvent] = []
        if not self._in_speech:
            if voiced and pitched:
                self._run_pitched_ms += ms
            self._idle(frame, voiced, start, events)
        else:
            if pitched:
                self._pitched_ms += ms
            self._speaking(frame, voiced, ms, events)
        return events

    def _pitched(self, frame: AudioFrame) -> bool:
        """Only while a barge-in could still come (the pitch costs ~50 us a frame)."""
        if not (self.barge_in_voicing_ms and self.bot_speaking and not self._barged):
            return False
        return pitch_strength(self._previous + frame.pcm, frame.sample_rate) >= PITCH_STRENGTH

    def _idle(self, frame: AudioFrame, voiced: bool, start: float, events: list[EndpointEvent]) -> None:
        if voiced:
            if not self._voiced_run:
                self._run_start = start
            self._voiced_run.append(frame)
            run_ms = sum(f.duration for f in self._voiced_run) * 1000
            if run_ms >= self.start_ms - 1e-6:
                self._onset = False
                self._open(events)
            elif (
                self.onset_ms is not None
                and self.bot_speaking
                and not self._onset
                and run_ms >= self.onset_ms - 1e-6
            ):
                self._onset = True
                events.append(VoiceOnset(start=self._run_start, detected_at=self.now))
            return
        self._run_pitched_ms = 0.0
        if self._onset:
            self._onset = False
            events.append(OnsetLost(start=self._run_start, detected_at=self.now))
        for early in self._voiced_run:
            self._push_pre_roll(early)
        self._voiced_run = []
        self._push_pre_roll(frame)

    def _open(self, events: list[EndpointEvent]) -> None:
        self._in_speech = True
        self._speech_start = self._run_start
        self._last_voiced_end = self.now
        self._silence_ms = 0.0
        self._voiced_ms = sum(f.duration for f in self._voiced_run) * 1000
        self._pitched_ms, self._run_pitched_ms = self._run_pitched_ms, 0.0
        self._audio = [f.pcm for f in self._pre_roll] + [f.pcm for f in self._voiced_run]
        self._pre_roll.clear()
        self._voiced_run = []
        events.append(SpeechStarted(start=self._speech_start, detected_at=self.now))
        if self.turn_end is not None:
            self.turn_end.begin(self.now)
        self._check_barge_in(events)

    def _speaking(self, frame: AudioFrame, voiced: bool, ms: float, events: list[EndpointEvent]) -> None:
        self._audio.append(frame.pcm)
        if voiced:
            self._silence_ms = 0.0
            self._voiced_ms += ms
            self._last_voiced_end = self.now
            if self.turn_end is not None:
                self.turn_end.speaking(self.now)
            self._check_barge_in(events)
        else:
            self._silence_ms += ms
        too_long = self.now - self._speech_start >= self.max_utterance_seconds
        over = self._turn_over(frame.sample_rate)
        if over or too_long:
            events.append(
                SpeechEnded(
                    start=self._speech_start,
                    end=self._last_voiced_end,
                    detected_at=self.now,
                    audio=b"".join(self._audio),
                    sample_rate=frame.sample_rate,
                    forced=too_long and not over,
                )
            )
            self._in_speech = False
            self._audio = []
            self._barged = False

    def _turn_over(self, sample_rate: int) -> bool:
        # over the bot's prompt (a cough, an "mm-hm" that paused it) the fixed silence decides, so the
        # prompt resumes as soon as before; once the bot is quiet (after a barge-in) the policy does
        if self.turn_end is None or self.bot_speaking:
            return self._silence_ms >= self.end_ms - 1e-6
        if self._silence_ms <= 0.0:
            return False
        turn = TurnSoFar(
            self._silence_ms, self._voiced_ms, self.now, lambda: b"".join(self._audio), sample_rate
        )
        return self.turn_end.ended(turn)

    def _check_barge_in(self, events: list[EndpointEvent]) -> None:
        if (
            self.bot_speaking
            and not self._barged
            and self._voiced_ms >= self.barge_in_ms - 1e-6
            and self._pitched_ms >= self.barge_in_voicing_ms - 1e-6
        ):
            self._barged = True
            events.append(BargeIn(speech_start=self._speech_start, detected_at=self.now))

    def _push_pre_roll(self, frame: AudioFrame) -> None:
        self._pre_roll.append(frame)
        while sum(f.duration for f in self._pre_roll) * 1000 > self.pre_roll_ms + 1e-6:
            self._pre_roll.popleft()
