"""Speech engines that break in the middle of a call, for the fault suite.

The product's own `SessionHandler` conducts the call; only its engines differ, handed in through the
constructor it takes them by (the seam `from_settings` also uses): the configured engines wrapped so that
they fail once the call is under way. Loaded by the call workers as `DIALER_RUN__HANDLER`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from dialer.session.handler import ScriptEngines, SessionHandler
from voice.engines import Recognizers, build_recognizer, make_synthesizer
from voice.frames import AudioFrame, Utterance
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream, Synthesizer
from voice.synthesizers.fallback import FallbackSynthesizer


class EngineCrashed(RuntimeError):
    """What a broken engine raises: not a VoiceError, so nothing in the chain expects it."""


class TtsDiesAfter(Synthesizer):
    """Renders the first `renders` prompts (the opening), then raises on every one after."""

    def __init__(self, inner: Synthesizer, renders: int) -> None:
        self.inner, self.renders = inner, renders
        self.name, self.languages = inner.name, inner.languages
        self._done = 0
        self._lock = threading.Lock()

    def voice_for(self, lang: str) -> str:
        return self.inner.voice_for(lang)

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        with self._lock:
            self._done += 1
            broken = self._done > self.renders
        if broken:
            raise EngineCrashed("tts engine crashed (segfaulting voice)")
        return self.inner.synthesize(text, lang, sample_rate)


class _DyingStream(RecognizerStream):
    def __init__(self, inner: RecognizerStream, broken: bool) -> None:
        self.inner, self.broken = inner, broken

    def accept(self, frame: AudioFrame) -> None:
        if self.broken:
            raise EngineCrashed("asr engine crashed (model runtime aborted)")
        self.inner.accept(frame)

    def partial(self) -> Utterance | None:
        return self.inner.partial()

    def finish(self) -> Utterance:
        return self.inner.finish()


class AsrDiesAfter(Recognizer):
    """Hears the first `streams` utterances (the callee's greeting), then raises on every frame after."""

    def __init__(self, inner: Recognizer, streams: int) -> None:
        self.inner, self.streams = inner, streams
        self.name, self.language = inner.name, inner.language
        self._opened = 0
        self._lock = threading.Lock()

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        with self._lock:
            self._opened += 1
            broken = self._opened > self.streams
        return _DyingStream(self.inner.open_stream(sample_rate, hints), broken)


def _session(settings: Any, *, tts_renders: int | None, asr_streams: int | None) -> SessionHandler:
    voice = settings.voice
    models_dir = settings.path(voice.models_dir, "models")
    work_dir = settings.data_dir / "work"

    def load(language: str) -> Recognizer:
        real = build_recognizer(voice, models_dir, work_dir, language=language)
        return real if asr_streams is None else AsrDiesAfter(real, asr_streams)

    engines = [make_synthesizer(name, voice) for name in voice.tts_engines]
    if tts_renders is not None:
        engines = [TtsDiesAfter(e, tts_renders) for e in engines]
    base = settings.config_path.resolve().parent if settings.config_path else None
    # the campaign's script loads before its first INVITE (`prepare`), not every script at worker start
    policies = ScriptEngines(settings.dialogue, Path(base) if base else None)
    return SessionHandler(
        recognizers=Recognizers(load),
        synthesizer=FallbackSynthesizer(engines),
        policies=policies,
        settings=settings.session,
        voice=voice,
    )


class TtsBreaksMidCall(SessionHandler):
    """The opening is spoken; every prompt after it fails to render."""

    @classmethod
    def from_settings(cls, settings: Any, worker: int = 0) -> SessionHandler:
        return _session(settings, tts_renders=OPENING_RENDERS, asr_streams=None)


class AsrBreaksMidCall(SessionHandler):
    """The recognizer hears the callee's greeting, then fails on the next thing the callee says."""

    @classmethod
    def from_settings(cls, settings: Any, worker: int = 0) -> SessionHandler:
        return _session(settings, tts_renders=None, asr_streams=1)


OPENING_RENDERS = 1
