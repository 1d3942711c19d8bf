"""Call-progress and answering-machine tones, found with Goertzel single-frequency filters.

One processor, driven frame by frame in audio time, reports:

* ``sit``: the special information tones before a carrier announcement (913.8 or 985.2 Hz, then 1370.6
  or 1428.5 Hz, then 1776.7 Hz; 274 or 380 ms each): vacant number, out of service, no circuit;
* ``beep``: an answering machine's record tone (one steady frequency in 400-2100 Hz, >= 200 ms);
* ``fax``: a fax machine's calling tone (CNG: 1100 Hz, 0.5 s on, 3 s off, twice) or answer tone (CED:
  2100 Hz for more than 2.2 s; a shorter 2100 Hz tone is a beep, reported when it ends);
* ``busy`` and ``ringback`` by frequencies and cadence, US (480+620 Hz 0.5/0.5 s; 440+480 Hz 2 s on)
  and CN (450 Hz 0.35/0.35 s; 450 Hz 1 s on, 4 s off).

A tone must carry most of a window's energy at its frequencies (speech spreads its energy over many
harmonics and moving formants), so speech does not trigger it. A clear voice's vowel can put 70-90 % of
a 20 ms frame's energy in one harmonic, though, for 100-200 ms: a beep counts (and `in_tone` masks voice)
only once it has held `beep_min_ms` AND its whole stretch, measured at once with a fine frequency bank,
is still one frequency (a vowel's pitch glides, so its energy smears over many fine bins). Until then
`tone_starting` says "maybe a tone": a caller holds its voice decision instead of dropping it.
Call-progress tones use 100 ms windows (10 Hz resolution: 440 and 480 Hz separate cleanly); the beep
uses a 20 ms window and a 25 Hz bank.
Every event carries `onset` (estimated tone start) and `detected_at`, both in audio seconds.
"""

from __future__ import annotations

import collections
import functools
from dataclasses import dataclass

import numpy as np

from voice.audio import level_dbfs
from voice.frames import AudioFrame

SIT_FREQS = ((913.8, 985.2), (1370.6, 1428.5), (1776.7,))
PROGRESS_FREQS = (440.0, 450.0, 480.0, 620.0, 913.8, 985.2, 1370.6, 1428.5, 1776.7)
BEEP_BANK = tuple(float(f) for f in range(400, 2101, 25))
CNG_HZ, CED_HZ = 1100.0, 2100.0
CED_MIN_S = 2.2
_FINE_SPAN, _FINE_STEP = 40.0, 2.5  # the fine bank around a beep candidate: +-40 Hz in 2.5 Hz steps
_STEADY_SHARE = 0.6  # share of the candidate's whole stretch at its best fine frequency: a steady tone
_RECENT_S = 0.5  # audio kept for the steadiness check
_FLICKER_S = 0.045  # a call-progress label missing this long (two 20 ms frames) is the same tone going on
_SIT_GAP_S = 0.2  # SIT segments follow each other at once; a noisy window drops a label up to this early


@dataclass(frozen=True, slots=True)
class ToneDetected:
    kind: str  # sit | beep | fax | busy | ringback
    onset: float
    detected_at: float
    region: str = ""  # us | cn for busy and ringback
    frequency: float = 0.0  # the beep's (or the fax tone's) frequency


@functools.cache
def _basis(freqs: tuple[float, ...], size: int, rate: int) -> np.ndarray:
    n = np.arange(size)
    return np.exp(-2j * np.pi * np.outer(np.asarray(freqs) / rate, n))


def goertzel_shares(samples: np.ndarray, freqs: tuple[float, ...], rate: int) -> np.ndarray:
    """Share of the window's energy at each frequency (a pure tone at f gives ~1.0).

    The power at f is the Goertzel bin |sum x[n] e^(-j2pi f n / rate)|^2, evaluated for all
    frequencies at once as a matrix product (the recurrence gives the same numbers, one at a time).
    """
    energy = float(np.dot(samples, samples))
    if energy <= 0:
        return np.zeros(len(freqs))
    power = np.abs(_basis(freqs, samples.size, rate) @ samples) ** 2
    return np.asarray(power / (samples.size * energy / 2))


@dataclass
class _Run:
    label: str
    start: float  # audio time of the first frame with this label (end of its window)
    end: float


class ToneDetector:
    def __init__(
        self,
        *,
        min_level_dbfs: float = -45.0,
        beep_min_ms: int = 200,
        progress_window_ms: int = 100,
        share: float = 0.7,
    ):
        self.min_level_dbfs = min_level_dbfs
        self.beep_min = beep_min_ms / 1000
        self.window = progress_window_ms / 1000
        self.share = share
        self.now = 0.0
        self._history: collections.deque[np.ndarray] = collections.deque()
        self._held = 0
        self._run: _Run | None = None
        self._runs: collections.deque[_Run] = collections.deque(maxlen=6)
        self._beep_start: float | None = None
        self._beep_freq = 0.0
        self._at_sit = False  # the 10 Hz window called the current steady tone a SIT segment at least once
        self._steady = False  # the current beep candidate held long enough at one frequency: a tone
        self._recent: collections.deque[np.ndarray] = collections.deque()  # the last `_RECENT_S` of audio
        self._recent_held = 0
        self._cng_ends: list[float] = []  # ends of the 1100 Hz bursts heard so far
        self._misses = 0  # frames a tone dipped below the share (a lost packet, a modem's AM): held as one
        self.in_tone = False  # the last frame was part of a steady tone (not speech, whatever a VAD says)
        self._reported: set[tuple[str, str]] = set()

    def process(self, frame: AudioFrame) -> list[ToneDetected]:
        samples = np.frombuffer(frame.pcm, dtype="<i2").astype(np.float64)
        self.now += frame.duration
        self._recent.append(samples)
        self._recent_held += samples.size
        while self._recent_held - self._recent[0].size >= _RECENT_S * frame.sample_rate:
            self._recent_held -= self._recent.popleft().size
        self._history.append(samples)
        self._held += samples.size
        window_size = round(self.window * frame.sample_rate)
        while self._held - self._history[0].size >= window_size:
            self._held -= self._history.popleft().size
        events: list[ToneDetected] = []
        loud = level_dbfs(frame.pcm) >= self.min_level_dbfs
        label = None
        if loud and self._held >= window_size:
            window = np.concatenate(self._history)[-window_size:]
            label = self._classify(goertzel_shares(window, PROGRESS_FREQS, frame.sample_rate))
        self._beep(samples, frame.sample_rate, loud, label, events)
        self._track(label, events)
        self.in_tone = label is not None or self._steady
        return events

    @property
    def tone_starting(self) -> bool:
        """One frequency carries the last frames, not yet long or steady enough to be a tone: a beep's
        start, or a vowel (a caller holds its voice decision until this is settled)."""
        return self._beep_start is not None and not self._steady

    @property
    def tone_start(self) -> float | None:
        """Audio time at which the current tone (or tone candidate) began."""
        return self._beep_start

    def _holds_one_frequency(self, start: float, freq: float, rate: int) -> bool:
        """The audio since `start` (up to `_RECENT_S`), taken as one window, has most of its energy at
        one frequency near `freq`: a beep. A vowel's harmonic glides and spreads over the fine bins."""
        size = min(round((self.now - start) * rate), self._recent_held)
        window = np.concatenate(self._recent)[-size:]
        skip = min(round(0.01 * rate), size // 4)  # the tone's (or the window's) ragged first samples
        window = window[skip:]
        energy = float(np.dot(window, window))
        if energy <= 0:
            return False
        fine = np.arange(freq - _FINE_SPAN, freq + _FINE_SPAN + 1e-6, _FINE_STEP)
        # not `_basis`: its cache would keep a matrix for every candidate frequency and length
        basis = np.exp(-2j * np.pi * np.outer(fine / rate, np.arange(window.size)))
        power = np.abs(basis @ window) ** 2
        return float(power.max() / (window.size * energy / 2)) >= _STEADY_SHARE

    def _classify(self, shares: np.ndarray) -> str | None:
        s = dict(zip(PROGRESS_FREQS, shares, strict=True))
        pair = self.share * 0.35
        if s[480.0] > pair and s[620.0] > pair and s[480.0] + s[620.0] > self.share:
            return "us_busy"
        if s[440.0] > pair and s[480.0] > pair and s[440.0] + s[480.0] > self.share:
            return "us_ring"
        if s[450.0] > self.share:
            return "cn"
        for index, group in enumerate(SIT_FREQS, start=1):
            if max(s[f] for f in group) > self.share:
                return f"sit{index}"
        return None

    def _emit(self, events: list[ToneDetected], kind: str, onset: float, **extra: object) -> None:
        """Each kind (per region) is reported once per call: the first detection is what counts."""
        key = (kind, str(extra.get("region", "")))
        if key not in self._reported:
            self._reported.add(key)
            events.append(ToneDetected(kind, onset, self.now, **extra))  # type: ignore[arg-type]

    def _onset(self, run: _Run) -> float:
        # a label appears once the tone fills most of the window: the tone began about a window earlier
        return max(run.start - self.window, 0.0)

    def _track(self, label: str | None, events: list[ToneDetected]) -> None:
        run = self._run
        if run is None and label is not None and self._runs:
            last = self._runs[-1]
            if last.label == label and self.now - last.end <= _FLICKER_S:
                # the label dropped out for a frame or two (noise, a lost packet): the same tone goes on
                run = self._run = self._runs.pop()
        if run is not None and run.label == label:
            run.end = self.now
        else:
            if run is not None:
                self._runs.append(run)
                self._finished(run, events)
            self._run = _Run(label, self.now, self.now) if label else None
        if self._run is not None:
            self._ongoing(self._run, events)

    def _duration(self, run: _Run) -> float:
        return run.end - run.start + self.window  # the label lags the tone by about a window at both ends

    def _previous(self, label: str, before: _Run) -> _Run | None:
        for run in reversed(self._runs):
            if run is before:
                continue
            return run if run.label == label else None
        return None

    def _ongoing(self, run: _Run, events: list[ToneDetected]) -> None:
        lasted = run.end - run.start
        if run.label == "sit3" and lasted >= 0.08:
            second = self._previous("sit2", run)
            first = self._runs[-2] if len(self._runs) >= 2 else None
            in_sequence = (
                second is not None
                and first is not None
                and first.label == "sit1"
                and run.start - second.end <= _SIT_GAP_S
                and second.start - first.end <= _SIT_GAP_S
            )
            if in_sequence and first is not None:
                self._emit(events, "sit", self._onset(first))
        if run.label in ("us_busy", "cn") and lasted >= 0.06:
            previous = self._previous(run.label, run)
            if previous is None:
                return
            on, gap = self._duration(previous), run.start - previous.end
            if run.label == "us_busy" and 0.35 <= on <= 0.7 and 0.3 <= gap <= 0.7:
                self._emit(events, "busy", self._onset(previous), region="us")
            if run.label == "cn" and 0.25 <= on <= 0.5 and 0.2 <= gap <= 0.5:
                self._emit(events, "busy", self._onset(previous), region="cn")

    def _finished(self, run: _Run, events: list[ToneDetected]) -> None:
        on = self._duration(run)
        if run.label == "us_ring" and 1.6 <= on <= 2.5:
            self._emit(events, "ringback", self._onset(run), region="us")
        if run.label == "cn" and 0.8 <= on <= 1.3:
            self._emit(events, "ringback", self._onset(run), region="cn")

    def _beep(
        self, samples: np.ndarray, rate: int, loud: bool, label: str | None, events: list[ToneDetected]
    ) -> None:
        shares = goertzel_shares(samples, BEEP_BANK, rate) if loud else None
        if shares is None or float(shares.max()) < self.share:
            # a modem's amplitude-modulated tone dips under noise; any tone loses a packet now and then
            fax_like = abs(self._beep_freq - CED_HZ) <= 30
            if self._beep_start is not None and self._misses < (3 if fax_like else 2):
                self._misses += 1
                return
            self._steady_ended(events)
            return
        self._misses = 0
        freq = BEEP_BANK[int(shares.argmax())]
        if self._beep_start is None or abs(freq - self._beep_freq) > 30:
            self._steady_ended(events)
            self._beep_start, self._beep_freq = self.now - len(samples) / rate, freq
            self._at_sit = False
            return
        lasted = self.now - self._beep_start
        if not self._steady and lasted >= self.beep_min:
            self._steady = self._holds_one_frequency(self._beep_start, self._beep_freq, rate)
            if not self._steady:  # a glide (a vowel): start over from this frame
                self._beep_start, self._beep_freq = self.now - len(samples) / rate, freq
                return
        if not self._steady:
            return
        if abs(freq - CED_HZ) <= 30:  # a fax's answer tone or a high beep: told apart by length
            if lasted >= CED_MIN_S:
                self._emit(events, "fax", self._beep_start, frequency=freq)
            return
        # a SIT segment (up to 380 ms) sits in the same band: when the 10 Hz-resolution window says
        # "SIT frequency", only a tone longer than any SIT segment is a beep
        # (once: the window's label may drop out before the segment ends, on a noisy line)
        self._at_sit = self._at_sit or (label is not None and label.startswith("sit"))
        at_sit = self._at_sit
        if label == "cn":  # China's 450 Hz busy and ring-back tones: judged by their cadence
            return
        if lasted >= (0.42 if at_sit else self.beep_min):
            self._emit(events, "beep", self._beep_start, frequency=freq)

    def _steady_ended(self, events: list[ToneDetected]) -> None:
        """A steady tone just ended: a 2100 Hz beep is reported now; two 1100 Hz bursts about 3.5 s
        apart are a fax machine calling."""
        start, freq, steady = self._beep_start, self._beep_freq, self._steady
        self._beep_start, self._steady, self._at_sit = None, False, False
        if start is None or not steady:
            return
        lasted = self.now - start
        if abs(freq - CED_HZ) <= 30 and self.beep_min <= lasted < CED_MIN_S:
            self._emit(events, "beep", start, frequency=freq)
        if abs(freq - CNG_HZ) <= 30 and 0.35 <= lasted <= 0.8:
            if any(2.8 <= start - end <= 3.8 for end in self._cng_ends):
                self._emit(events, "fax", start, frequency=freq)
            self._cng_ends.append(self.now)
