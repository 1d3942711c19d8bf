"""Errors raised by the voice package.

Backend exceptions (aiohttp, subprocess, ctranslate2, vosk, httpx) are translated at the seam with
``raise ... from exc`` so that callers only ever catch these::

    VoiceError
    ├── AudioError                 bad PCM, WAV or sample rate
    ├── EngineUnavailable          engine cannot run now: extra not installed, binary missing,
    │                              service unreachable (carries an install hint / retry-after)
    ├── SynthesisError             the engine ran and failed on this text
    ├── RecognitionError           the recognizer failed on this audio
    └── ModelError                 a model is missing, unreadable or not what was pinned
        ├── ModelNotInstalled
        └── ChecksumMismatch
"""

from __future__ import annotations


class VoiceError(Exception):
    """Base of every error the voice package raises."""


class AudioError(VoiceError):
    """Audio that cannot be used as given (odd byte count, unsupported WAV, unknown rate)."""


class EngineUnavailable(VoiceError):
    """An engine cannot be used right now; a fallback engine may be tried instead."""

    def __init__(self, engine: str, reason: str, *, hint: str = "", retry_after: float | None = None):
        self.engine = engine
        self.reason = reason
        self.hint = hint
        self.retry_after = retry_after
        message = f"{engine}: {reason}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class SynthesisError(VoiceError):
    """The synthesizer failed on this text (the text itself is not part of the message)."""


class RecognitionError(VoiceError):
    """The recognizer failed on this audio."""


class ModelError(VoiceError):
    """A speech model is missing, unreadable or differs from its pinned checksum."""


class ModelNotInstalled(ModelError):
    """The model is not installed; the message says how to install it."""


class ChecksumMismatch(ModelError):
    """A file's SHA-256 or size differs from the pinned value."""

    def __init__(self, path: str, expected: str, actual: str):
        self.path = path
        self.expected = expected
        self.actual = actual
        super().__init__(f"{path}: SHA-256 {actual} does not match the pinned {expected}")
