"""The bot's voice for one worker: prompt text -> PCM through the synthesizer chain and its render cache.

Shared by every call of a worker. Each render says whether the chain's preferred engine made it: a
prompt rendered by a later engine (edge-tts unreachable, say) is a fallback, counted in the report.
Renders take turns (the chain's `last_engine` is one per chain); an urgent one (the first sentence of a
reply, which a callee is waiting for) goes before waiting ones that are not (the rest of another call's
reply, which plays behind a sentence already on the wire). A sentence already in the render cache takes
no turn: it is read at once, even while another call's render is under way.

Every render comes back with its quiet edges trimmed (`EDGE_LEAD_MS`, `EDGE_TAIL_MS`). Piper ends a
sentence with 0.1-0.5 s of near-silence (breath and fade, 25-45 dB under its loudest frame) and may
begin one with 0.25 s; two sentences of one reply, with the gap between prompts, then left the line
quiet for 0.6-0.9 s, and a callee took that for the end of the reply and answered into it: the bot cut
its own reply there and said the debt-collector notice again (`bench/e2e_bench.py`, "replies cut by a
stall": all six calm calls of one run at two concurrent calls). The edges kept are long enough for a
soft first consonant and a word's fading end.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from voice.audio import trim_edges
from voice.interfaces import Synthesizer
from voice.synthesizers.fallback import FallbackSynthesizer
from voice.verbalize import verbalize

if TYPE_CHECKING:
    from dialer.session.carriers import Carriers

EDGE_WITHIN_DB = 25.0  # a 20 ms frame this far under the loudest one is quiet at the edges of a sentence
EDGE_LEAD_MS = 120  # the quiet kept before a sentence's first loud frame (an "s" or "f" onset)
EDGE_TAIL_MS = 200  # ... and after its last: with the gap between prompts, under 0.5 s between sentences


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
                return Rendered(spoken, _trimmed(hit[0], rate), hit[1], hit[1] != self.preferred(lang))
        self._acquire(urgent)
        try:
            pcm = self.synthesizer.synthesize(spoken, lang, rate)
            engine = getattr(self.synthesizer, "last_engine", None) or self.synthesizer.name
        finally:
            self._release()
        return Rendered(spoken, _trimmed(pcm, rate), engine, engine != self.preferred(lang))

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


def _trimmed(pcm: bytes, rate: int) -> bytes:
    return trim_edges(pcm, rate, lead_ms=EDGE_LEAD_MS, tail_ms=EDGE_TAIL_MS, within_db=EDGE_WITHIN_DB)
