"""A promise in several parts: "50 dollars on Friday and the rest on the 20th", 我现在先还五十剩下的下个月还.

The reply is cut at the joints people use between parts ("and", "then", commas; 然后, 剩下的, 再); each
piece that names an amount (after the first, a bare number counts) or "the rest" must also name a date
("now" counts as today), else the reply is not a plan and the script asks again. Amounts are decimals;
"the rest" is left to the caller, who knows the balance.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from dialogue.understanding.amounts import find_amount
from dialogue.understanding.dates import find_when
from dialogue.understanding.numbers import replace_number_words

REST = "rest"
_JOINTS_EN = re.compile(r",|;|\band then\b|\bthen\b|\band\b|\bplus\b|\bafter that\b")
_JOINTS_ZH = re.compile(r"[，,；;。]|然后|之后再|再(?=还|付|交|转)|(?=剩下|剩余|其余|余下|尾款)")
_REST_EN = re.compile(
    r"\b(the rest|rest of it|remaining|remainder|the balance|everything else|what's left)\b"
)
_REST_ZH = re.compile(r"剩下|剩余|其余|余下|尾款|其他的")
_NOW_EN = re.compile(r"\b(right now|now|today|tonight|right away|immediately)\b")
_NOW_ZH = re.compile(r"现在|马上|立刻|今天")
_BARE = re.compile(
    r"\b(\d+(?:\.\d{1,2})?)\b(?!(?:st|nd|rd|th)\b| ?(?:am|pm|a m|p m|days?|weeks?|months?|o'clock))"
)
_SETTLE_EN = re.compile(r"\b(settle|settlement|in full|call it even|close (?:it|the account) out|pay off)\b")
_SETTLE_ZH = re.compile(r"结清|一次性|减免|了结|两清")


@dataclass(frozen=True)
class Part:
    date: dt.date
    amount: Decimal | str  # a decimal, or REST


def find_parts(text: str, language: str, now: dt.datetime) -> tuple[Part, ...]:
    """The parts of a multi-part promise in the order said; empty unless there are two or more."""
    zh = language.startswith("zh")
    lowered = text if zh else text.lower()
    pieces = [p.strip() for p in (_JOINTS_ZH if zh else _JOINTS_EN).split(lowered) if p and p.strip()]
    parts: list[Part] = []
    for piece in pieces:
        rest = (_REST_ZH if zh else _REST_EN).search(piece) is not None
        amount = None if rest else find_amount(piece, language)
        when = find_when(piece, language, now)
        day = when.date if when is not None else None
        if day is None and (_NOW_ZH if zh else _NOW_EN).search(piece):
            day = now.date()
        if amount is None and not rest and not zh:
            amount = _bare_number(piece)
        if amount is None and not rest:
            continue
        if day is None:
            return ()
        parts.append(Part(day, REST if rest or amount is None else amount))
    return tuple(parts) if len(parts) >= 2 else ()


def _bare_number(piece: str) -> Decimal | None:
    """'fifty now', 'twenty on the 10th': a number that is not a day, a time or a count of days."""
    norm = replace_number_words(piece)
    for m in _BARE.finditer(norm):
        if not re.search(r"\b(the|on|by|at|in)\s*$", norm[: m.start()]):
            value = Decimal(m.group(1))
            return value if value > 0 else None
    return None


def says_settlement(text: str, language: str) -> bool:
    """The callee offers to settle the account (pay less than the balance in full satisfaction)."""
    if language.startswith("zh"):
        return _SETTLE_ZH.search(text) is not None
    return _SETTLE_EN.search(text.lower()) is not None
