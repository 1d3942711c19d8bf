"""English number words ("twenty fifth", "a hundred and fifty") to integers."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "couple": 2, "few": 3,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000}

NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, *_ORDINALS, *_SCALES, "and"], key=len, reverse=True))
_RUN = re.compile(rf"\b(?:(?:{NUMBER_WORD})[\s-]+)*(?:{NUMBER_WORD})\b")


def words_to_int(phrase: str) -> int | None:
    """Value of a run of number words, or None if it holds none ("a" alone is not a number)."""
    tokens = [t for t in re.split(r"[\s-]+", phrase.lower().strip()) if t and t != "and"]
    if tokens[:1] in (["a"], ["an"]):
        if len(tokens) < 2 or tokens[1] in _ORDINALS or tokens[1] in _UNITS:
            return None
        if tokens[1] in ("couple", "few"):
            tokens = tokens[1:]
    if not tokens:
        return None
    total, current, seen, previous = 0, 0, False, ""
    for token in tokens:
        if token in _UNITS:
            if previous in _UNITS:
                return None
            current += _UNITS[token]
        elif token in _TENS:
            current += _TENS[token]
        elif token in _ORDINALS:
            if previous and previous not in _TENS:
                return None
            current += _ORDINALS[token]
        elif token in _SCALES:
            current = max(current, 1) * _SCALES[token]
            if _SCALES[token] >= 1000:
                total, current = total + current, 0
        else:
            return None
        seen, previous = True, token
    return total + current if seen else None


def replace_number_words(text: str) -> str:
    """'pay fifty dollars on the twenty fifth' -> 'pay 50 dollars on the 25th'."""

    def sub(match: re.Match[str]) -> str:
        phrase = match.group(0)
        value = words_to_int(phrase)
        if value is None:
            return phrase
        last = re.split(r"[\s-]+", phrase.strip())[-1].lower()
        return f"{value}th" if last in _ORDINALS else str(value)

    return _RUN.sub(sub, text)
