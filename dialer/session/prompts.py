"""The bot's voice for one worker: prompt text -> PCM through the synthesizer chain and its render cache.

Shared by every call of a worker. Each render says whether the chain's preferred engine made it: a
prompt rendered by a later engine (edge-tts unreachable, say) is a fallback, counted in the report.
Renders take turns (the chain's `last_engine` is one per chain); an urgent one (the first sentence of a
reply, which a callee is waiting for) goes before waiting ones that are not (the rest of another call's
reply, which plays behind a sentence already on the wire). A sentence already in the render cache takes
no turn: it is read at once, even while another call's render is under way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from voice.interfaces import Synthesizer
from voice.synthesizers.fallback import FallbackSynthesizer
from voice.verbalize import verbalize

if TYPE_CHECKING:
    from dialer.session.carriers import Carriers


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str  # as spoken (verbalized)
    pcm: bytes
    engine: str
    fallback: bool


class PromptRenderer:
    def __init__(self, synthesizer: Synthesizer, carriers: Carriers | None = None) -> None:
        self.synthesizer = synthesizer
        self.carriers = carriers  # the scripts' pre-rendered sentence heads (`carriers.py`), if any
        self._turn = threading.Condition()
        self._busy = False
        self._urgent_waiting = 0

    def preferred(self, lang: str) -> str:
        synth = self.synthesizer
        if isinstance(synth, FallbackSynthesizer):
            return next(e.name for e in synth.engines if e.supports(lang))
        return synth.name

    def render(
        self, text: str, lang: str, rate: int, *, verbalized: bool = False, urgent: bool = True
    ) -> Rendered:
        spoken = text if verbalized else verbalize(text, lang)
        if isinstance(self.synthesizer, FallbackSynthesizer):
            # a cached sentence never waits behind another call's render in progress
            hit = self.synthesizer.cached(spoken, lang, rate)
            if hit is not None:
                return Rendered(spoken, hit[0], hit[1], hit[1] != self.preferred(lang))
        self._acquire(urgent)
        try:
            pcm = self.synthesizer.synthesize(spoken, lang, rate)
            engine = getattr(self.synthesizer, "last_engine", None) or self.synthesizer.name
        finally:
            self._release()
        return Rendered(spoken, pcm, engine, engine != self.preferred(lang))

    def _acquire(self, urgent: bool) -> None:
        with self._turn:
            if urgent:
                self._urgent_waiting += 1
                try:
                    self._turn.wait_for(lambda: not self._busy)
                finally:
                    self._urgent_waiting -= 1
            else:
                self._turn.wait_for(lambda: not self._busy and not self._urgent_waiting)
            self._busy = True

    def _release(self) -> None:
        with self._turn:
            self._busy = False
            self._turn.notify_all()
