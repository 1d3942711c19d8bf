"""Amounts of money in a reply ("fifty dollars", "$75.50", 五百块, 一千二) and payment methods."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal, InvalidOperation

import cn2an

from dialogue.understanding.numbers import replace_number_words

_EN_AMOUNT = re.compile(
    r"(?:\$|usd ?|eur ?|€|£)\s?(\d[\d,]*(?:\.\d{1,2})?)"
    r"|\b(\d[\d,]*(?:\.\d{1,2})?) ?(?:dollars?|bucks|usd|euros?|pounds?)\b"
)
_EN_PAY_NUMBER = re.compile(
    r"\b(?:pay|send|do|give|make|manage|afford|only|about|around)(?: you)? (\d[\d,]*(?:\.\d{1,2})?)\b"
    r"(?! ?(?:am|pm|days?|weeks?|th|st|nd|rd|o'clock))"
)
_ZH_AMOUNT = re.compile(r"(?:¥|￥)\s?(\d+(?:\.\d{1,2})?)|(\d+(?:\.\d{1,2})?)(?:块钱|块|元|圆)")
_ZH_PAY_NUMBER = re.compile(r"(?:还|先还|付|转|交)(\d{2,}(?:\.\d{1,2})?)(?![号日天点月个周分])")

METHODS_EN = {
    "card": r"\b(card|credit|debit|visa|mastercard)\b",
    "bank_transfer": r"\b(bank transfer|transfer|wire|direct debit|ach|bank)\b",
    "online": r"\b(online|website|web site|portal|app)\b",
    "check": r"\b(check|cheque)\b",
    "cash": r"\b(cash|in person|at the office|store)\b",
    "phone": r"\b(over the phone|by phone)\b",
}
METHODS_ZH = {
    "alipay": r"支付宝",
    "wechat": r"微信",
    "bank_transfer": r"银行|转账|网银|汇款",
    "card": r"信用卡|银行卡|刷卡",
    "online": r"app|APP|网上|手机银行|线上",
    "cash": r"现金|柜台",
}


def _decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value > 0 else None


def find_amount(text: str, language: str) -> Decimal | None:
    """The amount of money an utterance names, or None."""
    if language.startswith("zh"):
        norm = re.sub(r"[，。！？、,!?\s]", "", text).replace("两", "二")
        with contextlib.suppress(ValueError, KeyError, IndexError):
            norm = cn2an.transform(norm, "cn2an")
        m = _ZH_AMOUNT.search(norm) or _ZH_PAY_NUMBER.search(norm)
    else:
        norm = replace_number_words(text.lower())
        m = _EN_AMOUNT.search(norm) or _EN_PAY_NUMBER.search(norm)
    if not m:
        return None
    raw = next(g for g in m.groups() if g)
    return _decimal(raw)


def find_method(text: str, language: str) -> str | None:
    table = METHODS_ZH if language.startswith("zh") else METHODS_EN
    lowered = text if language.startswith("zh") else text.lower()
    for method, pattern in table.items():
        if re.search(pattern, lowered):
            return method
    return None
