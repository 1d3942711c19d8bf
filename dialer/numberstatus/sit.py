"""Special information tones in early media, and which of the Telcordia SIT codes they spell.

`voice.tones.ToneDetector` finds the three-segment sequence; this module then reads each segment's
frequency (low 913.8 / 1370.6 Hz or high 985.2 / 1428.5 Hz) and length (short 274 ms or long 380 ms),
because the code says why the call failed: a vacant code means no such number, an intercept a number
that was changed or disconnected (a line that once worked: out of service), a reorder or no-circuit code
means the network was full (not the number's fault, not the debtor's).

    code  segment 1     segment 2     meaning                      disposition
    IC    low, short    low, short    intercept (changed or        out_of_service
                                      disconnected number)
    VC    high, long    low, short    vacant code                  vacant
    RO    low, short    high, long    reorder (inter-LATA)         trunk_failure
    RO'   high, short   low, long     reorder (intra-LATA)         trunk_failure
    NC    high, long    high, long    no circuit (inter-LATA)      trunk_failure
    NC'   low, long     low, long     no circuit (intra-LATA)      trunk_failure
    IO    low, long     high, short   ineffective other            unreachable
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice.frames import split_frames
from voice.tones import ToneDetector, goertzel_shares

FREQS = (913.8, 985.2, 1370.6, 1428.5, 1776.7)
_LEVEL = {913.8: ("1", "low"), 985.2: ("1", "high"), 1370.6: ("2", "low"), 1428.5: ("2", "high")}
LONG_S = 0.327  # halfway between 274 and 380 ms
CODES = {
    ("low", "short", "low", "short"): "IC",
    ("high", "long", "low", "short"): "VC",
    ("low", "short", "high", "long"): "RO",
    ("high", "short", "low", "long"): "RO'",
    ("high", "long", "high", "long"): "NC",
    ("low", "long", "low", "long"): "NC'",
    ("low", "long", "high", "short"): "IO",
}
MEANING = {
    "IC": "out_of_service",  # Telcordia: "number changed or disconnected"
    "VC": "vacant",
    "RO": "trunk_failure",
    "RO'": "trunk_failure",
    "NC": "trunk_failure",
    "NC'": "trunk_failure",
    "IO": "unreachable",
}
_HOP_S = 0.010
_WINDOW_S = 0.040
# a lost packet (20 ms of zeros from the jitter buffer) blanks the windows over it: a gap this short
# between hops of the same frequency is that tone going on (consecutive segments never share one)
_LOST_HOPS = 6


@dataclass(frozen=True, slots=True)
class Sit:
    code: str  # a key of CODES' values, or "SIT" when the segments do not spell a known code
    onset: float  # seconds into the early media
    segments: tuple[tuple[float, float], ...] = ()  # (frequency, seconds) of the first two segments

    @property
    def meaning(self) -> str | None:
        """The disposition this code stands for; None for an unreadable sequence."""
        return MEANING.get(self.code)


def detect_sit(pcm: bytes, rate: int) -> Sit | None:
    """The first SIT in `pcm` (PCM16 mono at `rate`), with its code; None when there is none."""
    if len(pcm) < 2:
        return None
    detector = ToneDetector()
    for frame in split_frames(pcm[: len(pcm) - len(pcm) % 2], rate):
        for event in detector.process(frame):
            if event.kind == "sit":
                return _read_code(pcm, rate, event.onset)
    return None


def _labels(samples: np.ndarray, rate: int) -> list[float | None]:
    """The dominant SIT frequency of each 10 ms hop (a 40 ms window centred on it), or None."""
    hop, size = round(_HOP_S * rate), round(_WINDOW_S * rate)
    out: list[float | None] = []
    for start in range(0, max(samples.size - size, 0) + 1, hop):
        shares = goertzel_shares(samples[start : start + size], FREQS, rate)
        best = int(shares.argmax())
        out.append(FREQS[best] if shares[best] > 0.6 else None)
    return out


def _read_code(pcm: bytes, rate: int, onset: float) -> Sit:
    start = max(round((onset - 0.05) * rate), 0)
    samples = np.frombuffer(pcm, dtype="<i2")[start : start + round(1.4 * rate)].astype(np.float64)
    runs: list[tuple[float, float]] = []  # (frequency, seconds)
    for label in _bridged(_labels(samples, rate)):
        if runs and runs[-1][0] == label:
            runs[-1] = (runs[-1][0], runs[-1][1] + _HOP_S)
        elif label is not None:
            runs.append((label, _HOP_S))
        elif runs and runs[-1][0] is not None:
            runs.append((0.0, _HOP_S))  # a gap: keeps two equal tones apart
    # the window overlaps a boundary for its own length minus a hop: add it back to each tone's length
    tones = [(f, s + _WINDOW_S - _HOP_S) for f, s in runs if f and s >= 0.1]
    if len(tones) < 3 or tones[0][0] not in _LEVEL or tones[1][0] not in _LEVEL:
        return Sit("SIT", onset, tuple(tones[:2]))
    (f1, s1), (f2, s2) = tones[0], tones[1]
    if _LEVEL[f1][0] != "1" or _LEVEL[f2][0] != "2" or tones[2][0] != 1776.7:
        return Sit("SIT", onset, ((f1, s1), (f2, s2)))
    key = (_LEVEL[f1][1], _length(s1), _LEVEL[f2][1], _length(s2))
    return Sit(CODES.get(key, "SIT"), onset, ((f1, round(s1, 3)), (f2, round(s2, 3))))


def _bridged(labels: list[float | None]) -> list[float | None]:
    """`labels` with the short gaps of lost packets inside one tone filled with its frequency."""
    out = list(labels)
    last: int | None = None  # the index of the last labelled hop
    for i, label in enumerate(labels):
        if label is None:
            continue
        if last is not None and labels[last] == label and 1 < i - last <= _LOST_HOPS + 1:
            out[last + 1 : i] = [label] * (i - last - 1)
        last = i
    return out


def _length(seconds: float) -> str:
    return "long" if seconds >= LONG_S else "short"
