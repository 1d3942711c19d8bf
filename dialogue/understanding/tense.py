"""Whether a reply speaks of a payment still to come: "I'll have paid it by Friday", 我下周五会还.

A paid reading with a date after today is never a payment. When the words also say the payment is still
to be made (and nothing says "already"), the reply is a promise for that date; otherwise the bot asks
which one was meant (dialogue/turns.py ``paid_check``).
"""

from __future__ import annotations

import re

_FUTURE_EN = re.compile(
    r"\b(will|won't|shall|going to|gonna|plan(?:ning)? to|intend to|about to|i'll|we'll|i'd)\b|'ll\b",
    re.IGNORECASE,
)
_DONE_EN = re.compile(r"\b(already|did pay|have paid|i've paid|has been paid|was paid)\b", re.IGNORECASE)
_FUTURE_ZH = re.compile(r"会|要|打算|准备|计划|将|到时候|再还")
_DONE_ZH = re.compile(r"已经|早就|已|过了")


def says_future(text: str, language: str) -> bool:
    """True when the words put the payment in the future and none say it was made already."""
    if language.startswith("zh"):
        return bool(_FUTURE_ZH.search(text)) and not _DONE_ZH.search(text)
    return bool(_FUTURE_EN.search(text)) and not _DONE_EN.search(text)
