"""The bot's voice for one worker: prompt text -> PCM through the synthesizer chain and its render cache.

Shared by every call of a worker. Each render says whether the chain's preferred engine made it: a
prompt rendered by a later engine (edge-tts unreachable, say) is a fallback, counted in the report.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from voice.interfaces import Synthesizer
from voice.synthesizers.fallback import FallbackSynthesizer
from voice.verbalize import verbalize


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str  # as spoken (verbalized)
    pcm: bytes
    engine: str
    fallback: bool


class PromptRenderer:
    def __init__(self, synthesizer: Synthesizer) -> None:
        self.synthesizer = synthesizer
        self._lock = threading.Lock()  # `last_engine` is per chain: one render at a time

    def preferred(self, lang: str) -> str:
        synth = self.synthesizer
        if isinstance(synth, FallbackSynthesizer):
            return next(e.name for e in synth.engines if e.supports(lang))
        return synth.name

    def render(self, text: str, lang: str, rate: int, *, verbalized: bool = False) -> Rendered:
        spoken = text if verbalized else verbalize(text, lang)
        with self._lock:
            pcm = self.synthesizer.synthesize(spoken, lang, rate)
            engine = getattr(self.synthesizer, "last_engine", None) or self.synthesizer.name
        return Rendered(spoken, pcm, engine, engine != self.preferred(lang))
