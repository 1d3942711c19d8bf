"""Real test speech from espeak-ng, trimmed to its true extent, and telephone-line helpers."""

from __future__ import annotations

import functools

import numpy as np

from voice import audio
from voice.synthesizers.espeak import EspeakSynthesizer

REPLY_PHRASES = (
    "I will pay on Friday",
    "I already paid",
    "wrong number",
    "stop calling me",
    "can you call me back tomorrow",
    "I cannot pay right now",
    "who is calling",
    "how much do I owe",
    "yes this is John",
    "I do not owe this money",
)


@functools.cache
def speech(text: str, sample_rate: int = 8000, lang: str = "en") -> bytes:
    """espeak-ng speech with leading and trailing silence cut off (so its true start and end are known)."""
    pcm = EspeakSynthesizer({"en": "en-us", "zh": "cmn-latn-pinyin", "ko": "ko"}).synthesize(
        text, lang, sample_rate
    )
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.nonzero(np.abs(samples) > 200)[0]
    return samples[loud[0] : loud[-1] + 1].tobytes()


def noise(seconds: float, sample_rate: int, amplitude: float = 30.0, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    return rng.normal(0, amplitude, round(seconds * sample_rate)).clip(-32768, 32767).astype("<i2").tobytes()


def telephone(pcm: bytes) -> bytes:
    """What the far end hears: G.711 mu-law coded."""
    return audio.ulaw_decode(audio.ulaw_encode(pcm))
