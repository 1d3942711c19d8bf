"""Sample-level audio: G.711 mu-law/A-law, resampling (soxr), WAV files and level measures.

G.711 is done with lookup tables built once from the ITU reference algorithm (no audioop: it is gone in
Python 3.13). Encoding is a table lookup over all 65536 PCM16 values.
"""

from __future__ import annotations

import functools
import io
import math
import wave
from pathlib import Path

import numpy as np

from voice.errors import AudioError

_MU_BIAS = 0x84
_MU_CLIP14 = 8159
_MU_BIAS14 = 0x21
_MU_SEG_END = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)


def _pcm_array(pcm: bytes) -> np.ndarray:
    if len(pcm) % 2:
        raise AudioError(f"PCM16 needs an even byte count, got {len(pcm)}")
    return np.frombuffer(pcm, dtype="<i2")


def _mulaw_encode_one(sample: int) -> int:
    value = sample >> 2  # 14-bit, as in the ITU/Sun reference coder
    mask = 0xFF
    if value < 0:
        value, mask = -value, 0x7F
    value = min(value, _MU_CLIP14) + _MU_BIAS14
    segment = next((i for i, end in enumerate(_MU_SEG_END) if value <= end), 8)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def _mulaw_decode_one(code: int) -> int:
    code = ~code & 0xFF
    exponent = (code >> 4) & 0x07
    magnitude = (((code & 0x0F) << 3) + _MU_BIAS) << exponent
    magnitude -= _MU_BIAS
    return -magnitude if code & 0x80 else magnitude


_ALAW_SEG_END = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def _alaw_encode_one(sample: int) -> int:
    value = sample >> 3
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    segment = next((i for i, end in enumerate(_ALAW_SEG_END) if value <= end), 8)
    if segment >= 8:
        return 0x7F ^ mask
    code = segment << 4
    code |= (value >> 1) & 0x0F if segment < 2 else (value >> segment) & 0x0F
    return code ^ mask


def _alaw_decode_one(code: int) -> int:
    code ^= 0x55
    value = (code & 0x0F) << 4
    segment = (code & 0x70) >> 4
    if segment == 0:
        value += 8
    elif segment == 1:
        value += 0x108
    else:
        value = (value + 0x108) << (segment - 1)
    return value if code & 0x80 else -value


@functools.cache
def _tables(law: str) -> tuple[np.ndarray, np.ndarray]:
    encode_one, decode_one = (
        (_mulaw_encode_one, _mulaw_decode_one) if law == "ulaw" else (_alaw_encode_one, _alaw_decode_one)
    )
    # index = the PCM16 value viewed as uint16, so negative samples sit in the upper half
    values = np.arange(65536, dtype=np.uint16).view(np.int16)
    encode = np.fromiter((encode_one(int(v)) for v in values), dtype=np.uint8, count=65536)
    decode = np.fromiter((decode_one(c) for c in range(256)), dtype="<i2", count=256)
    return encode, decode


def ulaw_encode(pcm: bytes) -> bytes:
    """PCM16 little-endian -> G.711 mu-law (PCMU), one byte per sample."""
    return _tables("ulaw")[0][_pcm_array(pcm).view(np.uint16)].tobytes()


def ulaw_decode(data: bytes) -> bytes:
    return _tables("ulaw")[1][np.frombuffer(data, dtype=np.uint8)].tobytes()


def alaw_encode(pcm: bytes) -> bytes:
    """PCM16 little-endian -> G.711 A-law (PCMA)."""
    return _tables("alaw")[0][_pcm_array(pcm).view(np.uint16)].tobytes()


def alaw_decode(data: bytes) -> bytes:
    return _tables("alaw")[1][np.frombuffer(data, dtype=np.uint8)].tobytes()


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Whole-buffer resampling with soxr (HQ); returns PCM16."""
    if from_rate == to_rate:
        return pcm
    import soxr

    samples = _pcm_array(pcm)
    if samples.size == 0:
        return b""
    out = soxr.resample(samples, from_rate, to_rate, quality="HQ")
    return np.asarray(out, dtype="<i2").tobytes()


class StreamResampler:
    """Frame-by-frame resampling for live calls; keeps filter state between frames."""

    def __init__(self, from_rate: int, to_rate: int):
        import soxr

        self.from_rate = from_rate
        self.to_rate = to_rate
        self._stream = (
            None if from_rate == to_rate else soxr.ResampleStream(from_rate, to_rate, 1, dtype="int16")
        )

    def process(self, pcm: bytes, *, last: bool = False) -> bytes:
        if self._stream is None:
            return pcm
        out = self._stream.resample_chunk(_pcm_array(pcm), last=last)
        return np.asarray(out, dtype="<i2").tobytes()


def to_float(pcm: bytes) -> np.ndarray:
    """PCM16 -> float32 in [-1, 1), the form whisper and DSP code want."""
    return _pcm_array(pcm).astype(np.float32) / 32768.0


def from_float(samples: np.ndarray) -> bytes:
    clipped = np.clip(np.asarray(samples, dtype=np.float64) * 32768.0, -32768, 32767)
    return np.round(clipped).astype("<i2").tobytes()


def level_dbfs(pcm: bytes) -> float:
    """RMS level relative to full scale; -inf for digital silence."""
    samples = _pcm_array(pcm).astype(np.float64)
    if samples.size == 0:
        return -math.inf
    rms = math.sqrt(float(np.mean(samples * samples)))
    return 20 * math.log10(rms / 32768.0) if rms > 0 else -math.inf


def frame_powers(samples: np.ndarray, frame: int) -> np.ndarray:
    """Mean power of each whole frame of `frame` samples (a tail shorter than a frame is left out)."""
    count = samples.size // frame
    return np.mean(samples[: count * frame].reshape(count, frame).astype(np.float64) ** 2, axis=1)


def loud_frames(samples: np.ndarray, frame: int, within_db: float, *, floor: float = 0.0) -> np.ndarray:
    """Per whole frame of `frame` samples: its power within `within_db` of the loudest frame's (a voice,
    not the pauses or the line's noise under it) and above `floor` (so that near-silence has no voice)."""
    power = frame_powers(samples, frame)
    if power.size == 0:
        return np.zeros(0, dtype=bool)
    return power >= max(float(power.max()) * 10 ** (-within_db / 10), floor)


def trim_edges(pcm: bytes, rate: int, *, lead_ms: float, tail_ms: float, within_db: float) -> bytes:
    """`pcm` with its leading and trailing quiet cut to at most `lead_ms` / `tail_ms`; quiet is a 20 ms
    frame more than `within_db` below the loudest. Pauses inside are kept, and audio at one level
    throughout (silence, a steady hum) comes back whole."""
    samples = _pcm_array(pcm)
    frame = max(1, rate // 50)
    loud = np.flatnonzero(loud_frames(samples, frame, within_db))
    if loud.size == 0 or loud.size == samples.size // frame:
        return pcm
    start = max(0, int(loud[0]) * frame - round(lead_ms * rate / 1000))
    end = min(samples.size, (int(loud[-1]) + 1) * frame + round(tail_ms * rate / 1000))
    return pcm[2 * start : 2 * end]


def peak_dbfs(pcm: bytes) -> float:
    samples = _pcm_array(pcm)
    if samples.size == 0:
        return -math.inf
    peak = int(np.max(np.abs(samples.astype(np.int32))))
    return 20 * math.log10(peak / 32768.0) if peak else -math.inf


def clipping_ratio(pcm: bytes, threshold: int = 32767) -> float:
    """Share of samples at or beyond `threshold` in magnitude (a clipped recording shows flat tops)."""
    samples = _pcm_array(pcm).astype(np.int32)
    if samples.size == 0:
        return 0.0
    return float(np.count_nonzero(np.abs(samples) >= threshold)) / samples.size


def scale(pcm: bytes, gain_db: float) -> bytes:
    return from_float(to_float(pcm) * (10 ** (gain_db / 20)))


def mix(a: bytes, b: bytes) -> bytes:
    """Sum two PCM16 buffers (the shorter one is padded with silence), saturating at full scale."""
    x, y = _pcm_array(a).astype(np.int32), _pcm_array(b).astype(np.int32)
    n = max(x.size, y.size)
    total = np.zeros(n, dtype=np.int32)
    total[: x.size] += x
    total[: y.size] += y
    return np.clip(total, -32768, 32767).astype("<i2").tobytes()


def silence(seconds: float, sample_rate: int) -> bytes:
    return bytes(2 * round(seconds * sample_rate))


def _to_mono16(raw: bytes, width: int, channels: int, where: str) -> bytes:
    if width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    elif width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.int32) - 128) << 8
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.int64) >> 16
    else:
        raise AudioError(f"{where}: unsupported sample width {width * 8} bits (use 8, 16 or 32)")
    if channels > 1:
        samples = samples[: samples.size - samples.size % channels].reshape(-1, channels).mean(axis=1)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def read_wav(path: str | Path) -> tuple[bytes, int]:
    """Read a PCM WAV file as mono PCM16; returns (pcm, sample_rate)."""
    try:
        with wave.open(str(path), "rb") as wav:
            raw = wav.readframes(wav.getnframes())
            return _to_mono16(raw, wav.getsampwidth(), wav.getnchannels(), str(path)), wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"{path}: not a PCM WAV file: {exc}") from exc


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def parse_wav_bytes(data: bytes, where: str = "WAV data") -> tuple[bytes, int]:
    """Parse WAV bytes, tolerating streamed headers whose sizes are placeholders (espeak-ng --stdout)."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError(f"{where}: not a RIFF/WAVE stream")
    offset = 12
    channels = width = rate = 0
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        body = offset + 8
        if chunk_id == b"fmt ":
            fmt = data[body : body + 16]
            if int.from_bytes(fmt[0:2], "little") != 1:
                raise AudioError(f"{where}: only PCM WAV is supported")
            channels = int.from_bytes(fmt[2:4], "little")
            rate = int.from_bytes(fmt[4:8], "little")
            width = int.from_bytes(fmt[14:16], "little") // 8
        elif chunk_id == b"data":
            if not rate:
                raise AudioError(f"{where}: data chunk before fmt chunk")
            raw = data[body : body + size] if body + size <= len(data) else data[body:]
            frame = width * channels
            raw = raw[: len(raw) - len(raw) % frame]
            return _to_mono16(raw, width, channels, where), rate
        offset = body + size + (size & 1)
    raise AudioError(f"{where}: no data chunk")


def write_wav(path: str | Path, pcm: bytes, sample_rate: int) -> None:
    """Write mono PCM16; the file appears atomically (temporary name, then rename)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(wav_bytes(pcm, sample_rate))
    tmp.replace(target)
