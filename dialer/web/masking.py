"""Phone numbers as a viewer of the console may see them: the one place that decides.

Admins see the full international format; everyone else sees the country code, the first group (area
code or mobile prefix) and the last two digits: ``+1 617 ***-**00``. Every page, JSON response, CSV
export and audit detail goes through `display_number` or `mask_free_text`; tests render each page as each
role and search the output for the full numbers they inserted.
"""

from __future__ import annotations

import re

import phonenumbers

from dialer.logs import mask_text
from dialer.web.roles import Permission, can

_SEPARATOR = re.compile(r"[\s\-]")
# Digits as a caller speaks them and the recognizer writes them: "six one seven, five five five ...",
# "oh", "double five", Chinese 六一七五五五零一二三 (幺 and 两 included), mixed with digit groups.
_EN_DIGITS = {
    "zero": 1, "oh": 1, "o": 1, "one": 1, "two": 1, "three": 1, "four": 1, "five": 1, "six": 1,
    "seven": 1, "eight": 1, "nine": 1, "double": 0, "triple": 0,
}  # fmt: skip
_ZH_DIGITS = "零〇一二三四五六七八九幺两"
_TOKEN = re.compile(
    rf"(?<![\w])(?:{'|'.join(sorted(_EN_DIGITS, key=len, reverse=True))}|\d+)(?![\w])|[{_ZH_DIGITS}]",
    re.IGNORECASE,
)
_GAP = re.compile(r"^[\s,.\-*]*$")  # "*": digits mask_text has already hidden
MIN_SPOKEN_DIGITS = 7


def format_full(e164: str) -> str:
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_display(e164: str) -> str:
    """`+16175550100` -> `+1 617 ***-**00`; anything unparseable keeps only its last two digits."""
    digits = [c for c in e164 if c.isdigit()]
    try:
        parsed = phonenumbers.parse(e164, None)
        formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return "*" * max(len(digits) - 2, 3) + "".join(digits[-2:])
    country, _, national = formatted.partition(" ")
    parts = _SEPARATOR.split(national, maxsplit=1)
    if len(parts) < 2 or sum(c.isdigit() for c in parts[1]) < 3:
        head, rest = "", national  # no group to keep: mask everything but the last two digits
    else:
        head, rest = parts[0] + " ", parts[1]
    total = sum(c.isdigit() for c in rest)
    seen = 0
    out = []
    for c in rest:
        if c.isdigit():
            seen += 1
            out.append(c if seen > total - 2 else "*")
        else:
            out.append(c)
    return f"{country} {head}{''.join(out)}"


def visible_digits(e164: str) -> str:
    """The digits a masked viewer sees, with "*" where a digit is hidden: what a search by such a viewer
    may match against, so that no sequence of searches can reveal a hidden digit."""
    return "".join(c for c in mask_display(e164) if c.isdigit() or c == "*")


def display_number(e164: str | None, role: str) -> str:
    if not e164:
        return ""
    return format_full(e164) if can(role, Permission.see_full_numbers) else mask_display(e164)


def mask_free_text(text: str, role: str) -> str:
    """Raw import lines, transcripts and other free text: digit runs that look like numbers, written or
    spoken ("six one seven five five five ..."), are masked for non-admins."""
    return text if can(role, Permission.see_full_numbers) else mask_spoken_digits(mask_text(text))


def _digit_count(token: str) -> int:
    lowered = token.lower()
    if lowered in _EN_DIGITS:
        return _EN_DIGITS[lowered]
    return sum(1 for c in token if c.isdigit() or c in _ZH_DIGITS)


def mask_spoken_digits(text: str) -> str:
    """Runs of spoken digits worth MIN_SPOKEN_DIGITS or more: every digit token but the last two -> '*'."""
    tokens = list(_TOKEN.finditer(text))
    runs: list[list[re.Match[str]]] = []
    for match in tokens:
        if runs and _GAP.match(text[runs[-1][-1].end() : match.start()]):
            runs[-1].append(match)
        else:
            runs.append([match])
    out: list[tuple[int, int]] = []
    for run in runs:
        total = sum(_digit_count(m.group()) for m in run)
        if total < MIN_SPOKEN_DIGITS or all(m.group().isdigit() for m in run):
            continue  # written numbers are mask_text's; short runs are amounts, dates, times
        kept = 0
        for match in reversed(run):  # keep the last two digits, as mask_display does
            kept += _digit_count(match.group())
            if kept > 2:
                out.append((match.start(), match.end()))
    for start, end in out:
        text = text[:start] + "*" * (end - start) + text[end:]
    return text
