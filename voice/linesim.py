"""A simulated phone line for the understanding bench: what a callee's voice goes through before ASR.

Pure numpy, deterministic for a given seed. Order, as on a real call: the callee talks quietly
(level), the room around them is noisy (pink or babble noise at an SNR measured against the active
speech), the phone network keeps 300-3400 Hz, G.711 (mu-law or A-law) codes it at 8 kHz, and RTP
packets of 20 ms are lost and concealed by the receiver (the last packet repeated, fading out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from voice.audio import (
    alaw_decode,
    alaw_encode,
    frame_powers,
    loud_frames,
    resample,
    ulaw_decode,
    ulaw_encode,
)

RATE = 8000
PACKET_MS = 20
BAND_HZ = (300.0, 3400.0)
_EDGE_HZ = 60.0  # raised-cosine skirt of the band filter
_ACTIVE_DB = 35.0  # frames within this much of the loudest count as speech for the SNR
_FADE = 0.5  # each further concealed packet in a row is this much quieter


@dataclass(frozen=True, slots=True)
class LineCondition:
    name: str
    codec: str = "ulaw"  # ulaw | alaw
    noise: str = "none"  # none | pink | babble
    snr_db: float = 0.0
    loss: float = 0.0  # fraction of 20 ms packets lost
    level_db: float = 0.0  # gain applied to the talker (negative: quieter)

    def __post_init__(self) -> None:
        if self.codec not in ("ulaw", "alaw"):
            raise ValueError(f"{self.name}: codec must be ulaw or alaw, not {self.codec!r}")
        if self.noise not in ("none", "pink", "babble"):
            raise ValueError(f"{self.name}: noise must be none, pink or babble, not {self.noise!r}")
        if not 0.0 <= self.loss < 0.5:
            raise ValueError(f"{self.name}: packet loss must be in [0, 0.5)")


CONDITIONS: dict[str, LineCondition] = {
    c.name: c
    for c in (
        LineCondition("ulaw"),
        LineCondition("alaw", codec="alaw"),
        LineCondition("pink20", noise="pink", snr_db=20.0),
        LineCondition("pink10", noise="pink", snr_db=10.0),
        LineCondition("babble20", noise="babble", snr_db=20.0),
        LineCondition("babble10", noise="babble", snr_db=10.0),
        LineCondition("loss1", loss=0.01),
        LineCondition("loss3", loss=0.03),
        LineCondition("low10", level_db=-10.0),
    )
}


@dataclass(slots=True)
class Transmission:
    """The received audio (PCM16 at 8 kHz) and what the line did to it."""

    pcm: bytes
    condition: LineCondition
    lost_packets: list[int] = field(default_factory=list)
    packets: int = 0
    snr_db: float | None = None  # measured, before band limiting and coding


def to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0


def to_pcm(samples: np.ndarray) -> bytes:
    return np.round(np.clip(samples, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()


def band_limit(samples: np.ndarray, rate: int = RATE, band: tuple[float, float] = BAND_HZ) -> np.ndarray:
    """Zero-phase FFT band-pass with raised-cosine skirts (no ringing worth hearing at these edges)."""
    if samples.size == 0:
        return samples
    n = samples.size
    spectrum = np.fft.rfft(samples, n=2 * n)
    freqs = np.fft.rfftfreq(2 * n, 1.0 / rate)
    low, high = band
    gain = np.ones_like(freqs)
    gain[freqs < low - _EDGE_HZ] = 0.0
    gain[freqs > high + _EDGE_HZ] = 0.0
    rising = (freqs >= low - _EDGE_HZ) & (freqs < low)
    gain[rising] = 0.5 - 0.5 * np.cos(np.pi * (freqs[rising] - (low - _EDGE_HZ)) / _EDGE_HZ)
    falling = (freqs > high) & (freqs <= high + _EDGE_HZ)
    gain[falling] = 0.5 + 0.5 * np.cos(np.pi * (freqs[falling] - high) / _EDGE_HZ)
    return np.fft.irfft(spectrum * gain, n=2 * n)[:n]


def pink_noise(length: int, rng: np.random.Generator) -> np.ndarray:
    """1/f power spectrum noise (unit RMS)."""
    if length == 0:
        return np.zeros(0)
    white = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length)
    freqs[0] = freqs[1] if freqs.size > 1 else 1.0
    noise = np.fft.irfft(white / np.sqrt(freqs), n=length)
    return noise / (np.sqrt(np.mean(noise**2)) or 1.0)


def babble_noise(length: int, talkers: Sequence[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Several other utterances at once, each looped from a random offset (unit RMS)."""
    if not talkers:
        raise ValueError("babble needs other utterances to mix")
    mixed = np.zeros(length)
    for talker in talkers:
        if talker.size == 0:
            continue
        start = int(rng.integers(0, talker.size))
        looped = np.resize(np.roll(talker, -start), length)
        rms = np.sqrt(np.mean(looped**2)) or 1.0
        mixed += looped / rms
    return mixed / (np.sqrt(np.mean(mixed**2)) or 1.0)


def active_power(samples: np.ndarray, rate: int = RATE) -> float:
    """Mean power over the 20 ms frames within 35 dB of the loudest (speech, not the pauses)."""
    frame = rate * PACKET_MS // 1000
    powers = frame_powers(samples, frame)
    if powers.size == 0:
        return float(np.mean(samples**2)) if samples.size else 0.0
    return float(powers[loud_frames(samples, frame, _ACTIVE_DB)].mean())


def add_noise(speech: np.ndarray, noise: np.ndarray, snr_db: float, rate: int = RATE) -> np.ndarray:
    """speech + noise scaled so that active speech power / noise power = snr_db."""
    power = active_power(speech, rate)
    noise_power = float(np.mean(noise**2)) or 1.0
    return speech + noise * np.sqrt(power / noise_power / 10 ** (snr_db / 10))


def conceal_losses(samples: np.ndarray, lost: Sequence[int], rate: int = RATE) -> np.ndarray:
    """Lost 20 ms packets replaced by the previous packet, quieter with each loss in a row."""
    frame = rate * PACKET_MS // 1000
    out = samples.copy()
    lost_set = set(lost)
    run = 0
    for index in range(out.size // frame):
        if index not in lost_set:
            run = 0
            continue
        run += 1
        span = slice(index * frame, (index + 1) * frame)
        previous = out[(index - 1) * frame : index * frame] if index > 0 else np.zeros(frame)
        out[span] = previous * _FADE ** (run - 1) if run > 1 else previous
    return out


def transmit(
    pcm: bytes,
    sample_rate: int,
    condition: LineCondition,
    *,
    seed: int = 0,
    babble: Sequence[bytes] = (),
) -> Transmission:
    """Send one utterance (PCM16 mono at `sample_rate`) down the line; `babble`: other utterances at 8 kHz."""
    rng = np.random.default_rng(seed)
    speech = to_float(resample(pcm, sample_rate, RATE)) * 10 ** (condition.level_db / 20)
    measured: float | None = None
    if condition.noise != "none":
        if condition.noise == "pink":
            noise = pink_noise(speech.size, rng)
        else:
            noise = babble_noise(speech.size, [to_float(b) for b in babble], rng)
        noisy = add_noise(speech, noise, condition.snr_db)
        residual = noisy - speech
        measured = 10 * np.log10(active_power(speech) / (float(np.mean(residual**2)) or 1e-12))
        speech = noisy
    line = band_limit(speech)
    coded = to_pcm(line)
    coded = ulaw_decode(ulaw_encode(coded)) if condition.codec == "ulaw" else alaw_decode(alaw_encode(coded))
    received = to_float(coded)
    frame = RATE * PACKET_MS // 1000
    packets = received.size // frame
    lost: list[int] = []
    if condition.loss > 0 and packets:
        expected = condition.loss * packets  # rounded at random, so short utterances keep the rate
        count = int(expected) + int(rng.random() < expected - int(expected))
        lost = sorted(int(i) for i in rng.choice(packets, size=count, replace=False))
        received = conceal_losses(received, lost)
    return Transmission(to_pcm(received), condition, lost, packets, measured)


def parse_conditions(spec: str) -> list[LineCondition]:
    """ "pink20,loss3" -> conditions; "all" -> every one; unknown names are an error listing the known."""
    if spec.strip() == "all":
        return list(CONDITIONS.values())
    names = [part.strip() for part in spec.split(",") if part.strip()]
    unknown = [name for name in names if name not in CONDITIONS]
    if unknown:
        raise ValueError(f"unknown line condition(s) {', '.join(unknown)}; known: {', '.join(CONDITIONS)}")
    return [CONDITIONS[name] for name in names]
