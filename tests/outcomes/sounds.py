"""Test audio for number status: special information tones synthesized with numpy, over a G.711 line."""

from __future__ import annotations

import numpy as np

from voice import audio

RATE = 8000
SHORT, LONG = 0.274, 0.380
LOW1, HIGH1, LOW2, HIGH2, THIRD = 913.8, 985.2, 1370.6, 1428.5, 1776.7
# Telcordia GR-1162 / ANSI T1.401: segment 1 and 2 (frequency, length); segment 3 is always 1776.7 Hz long
SIT_CODES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "IC": ((LOW1, SHORT), (LOW2, SHORT)),
    "VC": ((HIGH1, LONG), (LOW2, SHORT)),
    "RO": ((LOW1, SHORT), (HIGH2, LONG)),
    "RO'": ((HIGH1, SHORT), (LOW2, LONG)),
    "NC": ((HIGH1, LONG), (HIGH2, LONG)),
    "NC'": ((LOW1, LONG), (LOW2, LONG)),
    "IO": ((LOW1, LONG), (HIGH2, SHORT)),
}


def tone(freq: float, seconds: float, rate: int = RATE, amplitude: float = 0.25) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    return audio.from_float(amplitude * np.sin(2 * np.pi * freq * t))


def sit(code: str, rate: int = RATE) -> bytes:
    (f1, s1), (f2, s2) = SIT_CODES[code]
    return tone(f1, s1, rate) + tone(f2, s2, rate) + tone(THIRD, LONG, rate)


def line(pcm: bytes, rate: int = RATE, seed: int = 1) -> bytes:
    """Early media as it arrives: mu-law coded with a faint noise floor."""
    rng = np.random.default_rng(seed)
    floor = rng.normal(0, 20, len(pcm) // 2).astype("<i2").tobytes()
    return audio.ulaw_decode(audio.ulaw_encode(audio.mix(pcm, floor)))
