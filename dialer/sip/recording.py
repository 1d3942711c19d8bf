"""Stereo call recordings: callee on the left, bot on the right, sample-aligned, PCM16 WAV."""

from __future__ import annotations

import wave
from pathlib import Path

# numpy is imported inside the functions: a call worker that never writes a recording stays small


def write_stereo(path: str, left: list[bytes], right: list[bytes], rate: int) -> str:
    import numpy as np

    a = np.frombuffer(b"".join(left), dtype="<i2")
    b = np.frombuffer(b"".join(right), dtype="<i2")
    n = max(len(a), len(b))
    out = np.zeros((n, 2), dtype="<i2")
    out[: len(a), 0] = a
    out[: len(b), 1] = b
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with wave.open(str(target), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(out.tobytes())
    except OSError:  # a full disk: no short file left to pass for the whole call
        target.unlink(missing_ok=True)
        raise
    return str(target)


def read_mono(path: str | Path, rate: int) -> bytes:
    """A WAV file as PCM16 mono at `rate` (downmixed and resampled with soxr if needed)."""
    import numpy as np

    with wave.open(str(path), "rb") as w:
        channels, width, src_rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: only 16-bit PCM WAV is supported (sample width {width})")
    samples = np.frombuffer(raw, dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype("<i2")
    if src_rate != rate:
        import soxr

        samples = soxr.resample(samples.astype(np.float32), src_rate, rate).clip(-32768, 32767).astype("<i2")
    return samples.tobytes()
