"""A per-language chain of engines: the first that works renders the prompt.

When an engine is unreachable (edge-tts offline) it is skipped for `retry_after` seconds and the outage is
logged once, not once per prompt. With a cache, a render any engine in the chain already made is served
before anything is synthesized, preferring the earlier (better) engine's render.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from voice.cache import RenderCache
from voice.errors import EngineUnavailable, SynthesisError, VoiceError
from voice.interfaces import Synthesizer

log = logging.getLogger(__name__)


class FallbackSynthesizer(Synthesizer):
    def __init__(
        self,
        engines: Sequence[Synthesizer],
        *,
        cache: RenderCache | None = None,
        retry_after: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not engines:
            raise ValueError("a fallback chain needs at least one engine")
        self.engines = tuple(engines)
        self.cache = cache
        self.retry_after = retry_after
        self.clock = clock
        self.name = "fallback"
        self.languages = tuple(dict.fromkeys(lang for e in self.engines for lang in e.languages))
        self.last_engine: str | None = None
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def _candidates(self, lang: str) -> list[Synthesizer]:
        found = [engine for engine in self.engines if engine.supports(lang)]
        if not found:
            raise SynthesisError(f"no TTS engine in the chain speaks {lang!r}")
        return found

    def voice_for(self, lang: str) -> str:
        engine = self._candidates(lang)[0]
        return f"{engine.name}:{engine.voice_for(lang)}"

    def is_down(self, engine_name: str) -> bool:
        with self._lock:
            return self._down_until.get(engine_name, -1.0) > self.clock()

    def cached(self, text: str, lang: str, sample_rate: int) -> tuple[bytes, str] | None:
        """A render already in the cache and the engine that made it, or None. Touches no state of the
        chain's, so a caller may ask it while another render is under way."""
        if self.cache is None:
            return None
        for engine in self._candidates(lang):
            if self.cache.contains(engine, text, lang, sample_rate):
                pcm = self.cache.lookup(engine, text, lang, sample_rate)
                if pcm is not None:
                    return pcm, engine.name
        return None

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        candidates = self._candidates(lang)
        if self.cache is not None:
            for engine in candidates:
                cached = self.cache.lookup(engine, text, lang, sample_rate)
                if cached is not None:
                    self.last_engine = engine.name
                    return cached
        failures: list[str] = []
        for engine in candidates:
            if self.is_down(engine.name):
                failures.append(f"{engine.name}: skipped until retry")
                continue
            try:
                if self.cache is not None:
                    pcm = self.cache.render(engine, text, lang, sample_rate)
                else:
                    pcm = engine.synthesize(text, lang, sample_rate)
            except EngineUnavailable as exc:
                self._mark_down(engine.name, exc)
                failures.append(str(exc))
                continue
            except VoiceError as exc:
                log.warning(
                    "tts: %s failed on a %s prompt, trying the next engine: %s", engine.name, lang, exc
                )
                failures.append(f"{engine.name}: {exc}")
                continue
            self._mark_up(engine.name)
            self.last_engine = engine.name
            return pcm
        raise EngineUnavailable("tts", "no engine could render the prompt: " + "; ".join(failures))

    def _mark_down(self, name: str, exc: EngineUnavailable) -> None:
        wait = exc.retry_after if exc.retry_after is not None else self.retry_after
        with self._lock:
            first = name not in self._down_until
            self._down_until[name] = self.clock() + wait
        if first:
            log.warning(
                "tts: %s unavailable (%s); using the next engine, retrying in %.0f s", name, exc, wait
            )
        else:
            log.debug("tts: %s still unavailable (%s)", name, exc)

    def _mark_up(self, name: str) -> None:
        with self._lock:
            was_down = self._down_until.pop(name, None) is not None
        if was_down:
            log.warning("tts: %s is back", name)
