"""The fake synthesizer: silence as long as the prompt would take to say, with no engine at all.

Lets call flows, queues and barge-in run in unit tests at full speed; records what it was asked to say.
"""

from __future__ import annotations

from voice.audio import silence
from voice.errors import SynthesisError
from voice.interfaces import LANGUAGES, Synthesizer

# speaking-rate estimates: ~14 characters a second in English, ~4.5 Hanzi a second in Mandarin
SECONDS_PER_CHAR = {"en": 1 / 14, "zh": 1 / 4.5}


class SilenceSynthesizer(Synthesizer):
    name = "silence"

    def __init__(self, languages: tuple[str, ...] = LANGUAGES, *, lead_seconds: float = 0.2):
        self.languages = languages
        self.lead_seconds = lead_seconds
        self.spoken: list[tuple[str, str]] = []

    def voice_for(self, lang: str) -> str:
        if lang not in self.languages:
            raise SynthesisError(f"silence: language {lang!r} not configured")
        return f"silence-{lang}"

    def duration_for(self, text: str, lang: str) -> float:
        return self.lead_seconds + len(text.strip()) * SECONDS_PER_CHAR.get(lang, 1 / 14)

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        self.voice_for(lang)
        self.spoken.append((text, lang))
        return silence(self.duration_for(text, lang), sample_rate)
