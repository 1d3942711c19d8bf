"""What a recognizer writes for numbers, names and languages, made usable before the NLU.

ASR spells phone numbers digit by digit ("five five five oh one two three"), writes ordinals as words
("the fifteenth") and Chinese numbers as characters (一三八...); the attorney's name and number and the
language the callee speaks are slots the scheduler keeps, so they are extracted here for both engines.
"""

from __future__ import annotations

import re

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_ZH_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")
_DIGIT_RUN = re.compile(
    r"\b(?:(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine|\d)(?:[\s,.-]+|$)){4,}", re.IGNORECASE
)
_PHONE = re.compile(r"(?<!\d)(\+?\d[\d\s().-]{5,}\d)(?!\d)")

# The languages a callee may name or speak, by the word people use for them.
_LANGUAGE_NAMES_EN = {
    "es": r"spanish|espa[nñ]ol|hablo|habla|entiendo|ingl[eé]s",
    "zh": r"chinese|mandarin|cantonese|[\u4e00-\u9fff]",
    "vi": r"vietnamese",
    "ko": r"korean",
    "fr": r"french|fran[cç]ais|parlez",
    "ar": r"arabic",
    "ru": r"russian",
    "tl": r"tagalog",
    "pt": r"portuguese|portugu[eê]s",
}
_LANGUAGE_NAMES_ZH = {
    "yue": r"粤语|广东话|白话",
    "nan": r"闽南话|台语",
    "wuu": r"上海话|吴语",
    "en": r"英语|英文|english|^[^\u4e00-\u9fff]*[a-zA-Z]{3,}[^\u4e00-\u9fff]*$",
}
_NAME_EN = re.compile(
    r"\b(?:name is|named|called|attorney is|lawyer is|attorney|lawyer|solicitor|counsel)\s+"
    r"(?!is\b|at\b|and\b|the\b|my\b|his\b|her\b|will\b|handling\b|told\b|has\b|for\b|instead\b)"
    r"([a-z][a-z'-]+(?:\s+(?!(?:at|and|on|number|phone|her|his|is|call|you|he|she|please|can|from|of|"
    r"with|who|the|reach|ring|contact)\b)[a-z][a-z'-]+){0,2})",
    re.IGNORECASE,
)
_NAME_ZH = re.compile(
    r"(?:律师(?:叫|是|姓)?|[他她](?:叫|姓))([\u4e00-\u9fff]{2,3}?)(?:律师|，|,|电话|手机|号码|$)"
)


def spell_digits(text: str) -> str:
    """'five five five oh one two three' -> '5550123' (runs of four or more digits said one by one)."""

    def sub(match: re.Match[str]) -> str:
        tokens = re.split(r"[\s,.-]+", match.group(0).strip())
        digits = "".join(_DIGIT_WORDS.get(t.lower(), t) for t in tokens if t)
        return digits + (" " if match.group(0)[-1:].isspace() else "")

    return _DIGIT_RUN.sub(sub, text)


def find_phone(text: str, language: str) -> str | None:
    """A phone number (7+ digits) said in the reply, digits only."""
    norm = text.translate(_ZH_DIGITS) if language.startswith("zh") else spell_digits(text)
    for match in _PHONE.finditer(norm):
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) >= 7:
            return ("+" if match.group(1).startswith("+") else "") + digits
    return None


def find_attorney_name(text: str, language: str) -> str | None:
    if language.startswith("zh"):
        m = _NAME_ZH.search(re.sub(r"\s", "", text))
        return m.group(1) if m else None
    m = _NAME_EN.search(text)
    if not m:
        return None
    words = [w for w in m.group(1).split() if not w.isdigit()]
    return " ".join(w.capitalize() for w in words) or None


def find_language(text: str, script_language: str) -> str | None:
    """The language the callee names or speaks, when it is not the script's; None when none is heard."""
    table = _LANGUAGE_NAMES_ZH if script_language.startswith("zh") else _LANGUAGE_NAMES_EN
    lowered = text if script_language.startswith("zh") else text.lower()
    for code, pattern in table.items():
        if re.search(pattern, lowered):
            return code
    return None
