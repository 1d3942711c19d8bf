"""How Chinese text sounds: toneless pinyin, to find a phrase a recognizer wrote in homophones.

Whisper base on 8 kHz line audio often writes a Mandarin phrase in characters that sound the same and
mean something else: 欢迎来电 as 欢迎来点, 请按 as 请案, 查证后再拨 as 察正后再播. Keyword tables
(who answered, carrier announcements) compare by sound as well as by characters. Only phrases of at
least `MIN_SYLLABLES` syllables are compared by sound: shorter ones sound like everyday words (机主
"the phone's owner" is 记住 "remember", 客服 "customer service" is 克服 "overcome").

pypinyin (MIT, pure Python, dictionaries bundled, no download) is imported on first use (~0.3 s).
"""

from __future__ import annotations

import functools
import re

from voice.errors import EngineUnavailable

INSTALL_HINT = "pip install pypinyin==0.55.0"
MIN_SYLLABLES = 3
_HAN = re.compile(r"[\u3400-\u9fff]")
_BREAK = "|"  # anything that is not a Chinese character: a phrase never matches across it


@functools.lru_cache(maxsize=4096)
def syllables(text: str) -> str:
    """The toneless syllables of `text`'s Chinese characters, space separated; every other run of
    characters (Latin, digits, punctuation, spaces) becomes one "|"."""
    if not _HAN.search(text):
        return _BREAK
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError as exc:
        raise EngineUnavailable(
            "pinyin", "Chinese pronunciation table not installed", hint=INSTALL_HINT
        ) from exc
    parts: list[str] = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: _BREAK)
    return " ".join(parts)


def sounds_in(phrase: str, text: str, *, min_syllables: int = MIN_SYLLABLES) -> bool:
    """`phrase` (Chinese characters, at least `min_syllables`) is heard in `text`, in any characters
    that sound like it (tones aside)."""
    if len(_HAN.findall(phrase)) < min_syllables or not _HAN.search(text):
        return False
    return f" {syllables(phrase)} " in f" {syllables(text)} "


def sounds_near(phrase: str, text: str, *, min_syllables: int = 4, slack: int = 1) -> bool:
    """`phrase` (at least `min_syllables` Chinese characters) is heard in `text` with at most `slack` of
    its syllables misheard, each in its place: whisper base on a noisy line writes 机主暂时 as 依主暂时
    and 智能助理 as 却能助理, one syllable off. The last syllable must be right: a person's 不方便接电话
    is no voicemail's 不方便接听."""
    if not _HAN.search(text):
        return False  # before any pinyin: an English call never loads the table
    wanted = syllables(phrase).split()
    if len(wanted) < min_syllables or _BREAK in wanted:
        return False
    heard = syllables(text).split()
    n = len(wanted)
    for start in range(len(heard) - n + 1):
        window = heard[start : start + n]
        if _BREAK in window:
            continue
        misses = sum(a != b for a, b in zip(window, wanted, strict=True))
        if misses <= slack and window[-1] == wanted[-1]:
            return True
    return False
