"""Amounts and dates as a voice would say them, in English and Mandarin.

A TTS engine reading "$1,234.50" or "2026-12-05" guesses (espeak says "dollar one comma two three four");
prompts are therefore verbalized before synthesis:

* en: "$1,234.50" -> "one thousand two hundred thirty-four dollars and fifty cents" (American style:
  no "and" inside the number); 2026-12-05 -> "Saturday, December 5th".
* zh: "¥1234.50" -> "一千二百三十四元五角"; 2026-12-05 -> "12月5日星期六". Month and day stay Arabic
  digits in Chinese dates, always: every engine reads 12月5日 correctly, and digits keep the cache key of
  a prompt independent of the number style.

Amounts are Decimal (never float): 1234.50 must not become 1234.4999.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from num2words import num2words

from voice.errors import VoiceError

# (major singular, major plural, minor singular, minor plural)
EN_CURRENCIES = {
    "USD": ("dollar", "dollars", "cent", "cents"),
    "CNY": ("yuan", "yuan", "fen", "fen"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "GBP": ("pound", "pounds", "penny", "pence"),
}
ZH_CURRENCIES = {"CNY": ("元", "角", "分"), "USD": ("美元", None, "美分")}
SYMBOLS = {"$": "USD", "¥": "CNY", "￥": "CNY", "€": "EUR", "£": "GBP"}
MAX_AMOUNT = Decimal(10) ** 12
WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class VerbalizeError(VoiceError, ValueError):
    """An amount, currency or date that cannot be spoken as given."""


def _decimal(amount: Decimal | int | str) -> Decimal:
    try:
        value = Decimal(str(amount).replace(",", "").strip())
    except InvalidOperation as exc:
        raise VerbalizeError(f"not an amount: {amount!r}") from exc
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
        raise VerbalizeError(f"amount must be a number from 0 to {MAX_AMOUNT - 1}, got {amount!r}")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def english_number(n: int) -> str:
    """1234 -> "one thousand two hundred thirty-four" (no commas, no "and")."""
    words = num2words(n, lang="en").replace(",", "")
    return re.sub(r"\s+and\s+", " ", words)


def chinese_number(n: int) -> str:
    """1234 -> "一千二百三十四"; 2 before 千/万/亿 is said 两."""
    import cn2an

    words = str(cn2an.an2cn(str(n), "low"))
    return re.sub(r"(^|零)二(?=[千万亿])", r"\1两", words)


def say_amount(amount: Decimal | int | str, currency: str = "USD", lang: str = "en") -> str:
    value = _decimal(amount)
    major = int(value)
    minor = int((value - major) * 100)
    currency = currency.upper()
    if lang == "en":
        try:
            one, many, cent, cents = EN_CURRENCIES[currency]
        except KeyError:
            raise VerbalizeError(f"no English words for currency {currency!r}") from None
        parts = []
        if major or not minor:
            parts.append(f"{english_number(major)} {one if major == 1 else many}")
        if minor:
            parts.append(f"{english_number(minor)} {cent if minor == 1 else cents}")
        return " and ".join(parts)
    if lang == "zh":
        try:
            unit, tenth, hundredth = ZH_CURRENCIES[currency]
        except KeyError:
            raise VerbalizeError(f"no Chinese words for currency {currency!r}") from None
        jiao, fen = divmod(minor, 10)
        text = f"{chinese_number(major)}{unit}" if major or not minor else ""
        if tenth is None:  # dollars and cents: 五十美分
            return text + (f"{chinese_number(minor)}{hundredth}" if minor else "")
        if jiao:
            text += f"{chinese_number(jiao)}{tenth}"
        if fen:
            text += ("零" if major and not jiao else "") + f"{chinese_number(fen)}{hundredth}"
        return text
    raise VerbalizeError(f"unsupported language {lang!r}")


def _ordinal(day: int) -> str:
    return str(num2words(day, lang="en", to="ordinal_num"))


def say_date(date: dt.date | str, lang: str = "en", *, weekday: bool = True) -> str:
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise VerbalizeError(f"not an ISO date (YYYY-MM-DD): {date!r}") from exc
    if lang == "en":
        text = f"{date.strftime('%B')} {_ordinal(date.day)}"
        return f"{date.strftime('%A')}, {text}" if weekday else text
    if lang == "zh":
        text = f"{date.month}月{date.day}日"
        return text + WEEKDAYS_ZH[date.weekday()] if weekday else text
    raise VerbalizeError(f"unsupported language {lang!r}")


_AMOUNT = re.compile(r"(?P<symbol>[$¥￥€£])\s?(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)")
_YUAN = re.compile(r"(?P<number>\d+(?:\.\d{1,2})?)\s?元")
_DATE = re.compile(r"(?<!\d)(?P<date>\d{4}-\d{2}-\d{2})(?!\d)")


def verbalize(text: str, lang: str = "en") -> str:
    """Replace every currency amount and ISO date in a prompt by its spoken form."""

    def amount(match: re.Match[str]) -> str:
        return say_amount(match["number"], SYMBOLS[match["symbol"]], lang)

    def date(match: re.Match[str]) -> str:
        return say_date(match["date"], lang)

    text = _AMOUNT.sub(amount, text)
    if lang == "zh":
        text = _YUAN.sub(lambda m: say_amount(m["number"], "CNY", "zh"), text)
    return _DATE.sub(date, text)
