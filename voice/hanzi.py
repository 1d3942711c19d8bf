"""Chinese transcripts in simplified characters, whatever script the recognizer wrote.

Whisper base often writes Mandarin in traditional characters ("我已經還了"), while the Chinese NLU, its
training examples, the amount and date readers and the dialogue scripts are all in simplified
characters: a traditional transcript is then misread although it was heard right. The recognizer
converts its Chinese text here, once, before anything else sees it.

The conversion is OpenCC's phrase-level traditional-to-simplified table (`t2s`), through the pure-Python
`opencc-purepy` (MIT; dictionaries bundled, no native code, no download). Text already simplified,
Latin letters, digits and punctuation pass unchanged.
"""

from __future__ import annotations

from typing import Any

from voice.errors import EngineUnavailable

INSTALL_HINT = "pip install opencc-purepy==1.5.0"
CONFIG = "t2s"


class Simplifier:
    """Traditional -> simplified Chinese; loads OpenCC's dictionaries once (~0.1 s) when built."""

    def __init__(self) -> None:
        try:
            from opencc_purepy import OpenCC
        except ImportError as exc:
            raise EngineUnavailable(
                "hanzi", "traditional-to-simplified converter not installed", hint=INSTALL_HINT
            ) from exc
        self._converter: Any = OpenCC(CONFIG)

    def __call__(self, text: str) -> str:
        if not has_han(text):
            return text
        return str(self._converter.convert(text))


def has_han(text: str) -> bool:
    """Any CJK ideograph (the basic block and extension A) in the text."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)
