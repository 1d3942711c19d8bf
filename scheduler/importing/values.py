"""Parsing one cell: amounts, dates, booleans, names, and formula-injection neutralization.

Each parser returns the value or raises RowError with a reason an operator can act on ("amount
'1,234.5O' is not a number"). Cell text quoted in a reason is neutralized first, so an errors file
opened in a spreadsheet never evaluates it.

Date rule: ISO `2026-12-05`, `2026/12/05`, `2026.12.05`, `20261205` and `2026年12月5日` are year-month-day.
`12/05/2026` (year last) is month/day/year, the US order; when the first number is above 12 it can only be
a day (`25/12/2026` is 25 December). Two-digit years are rejected (ambiguous). A number between 20000 and
80000, or a date cell from a spreadsheet, is an Excel date.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from scheduler.importing.errors import RowError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMERIC_LIKE = re.compile(r"^[+-]?[\d\s().,-]+$")


def is_formula(text: str) -> bool:
    """A cell a spreadsheet would evaluate: starts with = + - @ (or tab/CR) and is not a plain number
    or phone number such as "-12.50" or "+1 415 555 0100"."""
    return text.startswith(FORMULA_PREFIXES) and not _NUMERIC_LIKE.match(text)


def neutralize(text: str) -> str:
    """Prefix a formula-looking cell with a quote: stored and exported as text, never evaluated."""
    return "'" + text if text[:1] in _STARTS and is_formula(text) else text


_STARTS = frozenset(FORMULA_PREFIXES)


# ---- amounts ----------------------------------------------------------------------------------------
CURRENCY_SYMBOLS = {
    "¥": "CNY",
    "￥": "CNY",
    "元": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "c$": "CAD",
    "cad": "CAD",
}
_SYMBOL = re.compile(
    r"^(us\$|c\$|rmb|cny|usd|eur|gbp|cad|[¥￥$€£])|(元|rmb|cny|usd|eur|gbp|cad)$", re.IGNORECASE
)
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")


def parse_amount(value: object) -> tuple[Decimal, str | None]:
    """Amount and the currency its symbol implies (None without a symbol). Commas group thousands only
    (`1,234.50`); a decimal comma (`12,5`) is rejected rather than guessed."""
    if isinstance(value, bool):
        raise RowError(f"amount {value!r} is not a number")
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
        currency = None
    else:
        text = str(value).strip()
        if not text:
            raise RowError("amount is empty")
        shown = neutralize(text)
        currency = None
        compact = text.replace(" ", "").replace("\u00a0", "")
        while (m := _SYMBOL.search(compact)) is not None and m.group(0):
            currency = CURRENCY_SYMBOLS[m.group(0).lower()]
            compact = compact[: m.start()] + compact[m.end() :]
        if compact.startswith("-"):
            raise RowError(f"amount '{shown}' is negative")
        if not (_PLAIN.match(compact) or _GROUPED.match(compact)):
            raise RowError(f"amount '{shown}' is not a number")
        amount = Decimal(compact.replace(",", ""))
    if not amount.is_finite():
        raise RowError(f"amount {value!r} is not a number")
    if amount != amount.quantize(CENT):
        raise RowError(f"amount '{neutralize(str(value))}' has more than 2 decimal places")
    if amount <= 0:
        raise RowError(f"amount '{neutralize(str(value))}' is not positive")
    if amount > MAX_AMOUNT:
        raise RowError(f"amount '{neutralize(str(value))}' is too large")
    try:
        return amount.quantize(CENT), currency
    except InvalidOperation as exc:  # pragma: no cover - guarded above
        raise RowError(f"amount {value!r} is not a number") from exc


# ---- dates ------------------------------------------------------------------------------------------
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_YMD_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YMD_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$")
_XY_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: object, what: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(float(value), what)
    text = str(value).strip()
    if not text:
        raise RowError(f"{what} is empty")
    text = text.split("T")[0].split(" ")[0] if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text) else text
    shown = neutralize(text)
    m = _YMD.match(text) or _YMD_COMPACT.match(text) or _YMD_ZH.match(text)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), shown, what)
    m = _XY_YEAR.match(text)
    if m:
        first, second, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if len(year) != 4:
            raise RowError(f"{what} '{shown}' has a two-digit year (write 2026, not 26)")
        if first > 12:
            return _make(int(year), second, first, shown, what)
        return _make(int(year), first, second, shown, what)
    if re.match(r"^\d+(\.\d+)?$", text):
        return _excel_serial(float(text), what)
    raise RowError(f"{what} '{shown}' is not a date (use YYYY-MM-DD)")


def _make(year: int, month: int, day: int, shown: str, what: str) -> dt.date:
    try:
        date = dt.date(year, month, day)
    except ValueError as exc:
        raise RowError(f"{what} '{shown}' does not exist ({exc})") from exc
    if not 1900 <= year <= 2200:
        raise RowError(f"{what} '{shown}' is out of range")
    return date


def _excel_serial(serial: float, what: str) -> dt.date:
    if not 20000 <= serial <= 80000:
        raise RowError(f"{what} '{serial:g}' is not a date (use YYYY-MM-DD)")
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


# ---- small fields -----------------------------------------------------------------------------------
_TRUE = {"1", "y", "yes", "true", "t", "x", "是", "有", "√"}
_FALSE = {"", "0", "n", "no", "false", "f", "否", "无", "没有"}


def parse_bool(value: object, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(f"{what} '{neutralize(str(value))}' is not yes/no")


LANGUAGES = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "英语": "en",
    "英文": "en",
    "zh": "zh",
    "zho": "zh",
    "chi": "zh",
    "chinese": "zh",
    "mandarin": "zh",
    "中文": "zh",
    "汉语": "zh",
    "普通话": "zh",
    "es": "es",
    "spanish": "es",
    "español": "es",
}


def parse_language(value: str) -> str:
    text = value.strip().lower().replace("_", "-")
    code = LANGUAGES.get(text) or LANGUAGES.get(text.split("-")[0])
    if code is None:
        raise RowError(f"language '{neutralize(value)}' is not known (use en, zh, es)")
    return code


_CJK = re.compile(r"[\u3400-\u9fff]")
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 "  # noqa: SIM905 - one word list, kept readable
    "宇文 司徒 夏侯 轩辕 令狐 钟离 端木 独孤 南宫 西门".split()
)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def split_name(full: str) -> tuple[str, str]:
    """(first, last). Chinese names are surname first ("王小明" -> 小明, 王); "Smith, John" and
    "John Smith" are both John, Smith."""
    text = " ".join(full.split())
    if not text:
        return "", ""
    if has_cjk(text) and " " not in text:
        surname_len = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
        return text[surname_len:], text[:surname_len]
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    first, _, last = text.rpartition(" ")
    return (first, last) if first else (last, "")


US_STATES = {
    "alabama": "AL",
    "alaska": "AK",
    "arizona": "AZ",
    "arkansas": "AR",
    "california": "CA",
    "colorado": "CO",
    "connecticut": "CT",
    "delaware": "DE",
    "district of columbia": "DC",
    "florida": "FL",
    "georgia": "GA",
    "hawaii": "HI",
    "idaho": "ID",
    "illinois": "IL",
    "indiana": "IN",
    "iowa": "IA",
    "kansas": "KS",
    "kentucky": "KY",
    "louisiana": "LA",
    "maine": "ME",
    "maryland": "MD",
    "massachusetts": "MA",
    "michigan": "MI",
    "minnesota": "MN",
    "mississippi": "MS",
    "missouri": "MO",
    "montana": "MT",
    "nebraska": "NE",
    "nevada": "NV",
    "new hampshire": "NH",
    "new jersey": "NJ",
    "new mexico": "NM",
    "new york": "NY",
    "north carolina": "NC",
    "north dakota": "ND",
    "ohio": "OH",
    "oklahoma": "OK",
    "oregon": "OR",
    "pennsylvania": "PA",
    "rhode island": "RI",
    "south carolina": "SC",
    "south dakota": "SD",
    "tennessee": "TN",
    "texas": "TX",
    "utah": "UT",
    "vermont": "VT",
    "virginia": "VA",
    "washington": "WA",
    "west virginia": "WV",
    "wisconsin": "WI",
    "wyoming": "WY",
    "puerto rico": "PR",
}
_US_CODES = frozenset(US_STATES.values())


def normalize_state(value: str, country: str | None) -> str | None:
    """US states become their two-letter code (the policy profiles are "US-MA"); others stay as written."""
    text = " ".join(value.split())
    if not text:
        return None
    if country == "US":
        code = text.upper() if text.upper() in _US_CODES else US_STATES.get(text.lower())
        if code is None:
            raise RowError(f"state '{neutralize(text)}' is not a US state")
        return code
    return text


def normalize_postal(value: object, country: str | None) -> str | None:
    text = str(value).strip() if value is not None else ""
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]  # a ZIP typed into a spreadsheet number cell
    if not text:
        return None
    if country == "US" and text.isdigit() and len(text) < 5:
        text = text.zfill(5)  # Excel drops the leading zero of 02134
    return text
