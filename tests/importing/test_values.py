"""Cell parsers: amounts, dates, formula neutralization, names, states."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from scheduler.importing.errors import RowError
from scheduler.importing.values import (
    is_formula,
    neutralize,
    normalize_postal,
    normalize_state,
    parse_amount,
    parse_bool,
    parse_date,
    parse_language,
    split_name,
)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1,234.50", "1234.50", None),
        ("¥1,234.5", "1234.50", "CNY"),
        ("1234", "1234.00", None),
        ("$ 99.9", "99.90", "USD"),
        ("1 234.00 元", "1234.00", "CNY"),
        ("USD 12", "12.00", "USD"),
        (1234.5, "1234.50", None),
        (Decimal("7.25"), "7.25", None),
    ],
)
def test_amounts(text: object, amount: str, currency: str | None) -> None:
    assert parse_amount(text) == (Decimal(amount), currency)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,234.5O", "is not a number"),
        ("12,5", "is not a number"),
        ("1,23,4", "is not a number"),
        ("-5", "negative"),
        ("0", "not positive"),
        ("1.234", "more than 2 decimal places"),
        ("", "empty"),
        ("=1+1", "'=1+1"),
        ("abc", "is not a number"),
    ],
)
def test_bad_amounts_name_the_reason(text: str, reason: str) -> None:
    with pytest.raises(RowError, match=reason.replace("+", r"\+")):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05", dt.date(2026, 12, 5)),
        ("2026/12/05", dt.date(2026, 12, 5)),
        ("2026.12.5", dt.date(2026, 12, 5)),
        ("20261205", dt.date(2026, 12, 5)),
        ("2026年12月5日", dt.date(2026, 12, 5)),
        ("12/05/2026", dt.date(2026, 12, 5)),  # US order
        ("25/12/2026", dt.date(2026, 12, 25)),  # first > 12: only a day
        ("2026-12-05T10:00:00", dt.date(2026, 12, 5)),
        (46361, dt.date(2026, 12, 5)),  # Excel serial
        ("46361", dt.date(2026, 12, 5)),
        (dt.datetime(2026, 12, 5, 0, 0), dt.date(2026, 12, 5)),
    ],
)
def test_dates(text: object, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-13-45", "does not exist"),
        ("2026-02-30", "does not exist"),
        ("12/05/26", "two-digit year"),
        ("tomorrow", "is not a date"),
        ("31/31/2026", "does not exist"),
        ("12", "is not a date"),
        ("", "empty"),
    ],
)
def test_bad_dates(text: str, reason: str) -> None:
    with pytest.raises(RowError, match=reason):
        parse_date(text, "due_date")


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("=cmd|' /C calc'!A0", True),
        ("+SUM(A1:A2)", True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("@SUM(1)", True),
        ("\tfoo", True),
        ("+1 415 555 0100", False),
        ("-12.50", False),
        ("John", False),
        ("(617) 555-0101", False),
    ],
)
def test_formula_cells_are_detected_and_neutralized(text: str, formula: bool) -> None:
    assert is_formula(text) is formula
    assert neutralize(text) == ("'" + text if formula else text)


def test_names_and_small_fields() -> None:
    assert split_name("John Smith") == ("John", "Smith")
    assert split_name("Smith, John") == ("John", "Smith")
    assert split_name("Mary Ann  Lee") == ("Mary Ann", "Lee")
    assert split_name("王小明") == ("小明", "王")
    assert split_name("欧阳娜娜") == ("娜娜", "欧阳")
    assert split_name("Cher") == ("Cher", "")
    assert normalize_state("massachusetts", "US") == "MA"
    assert normalize_state("ma", "US") == "MA"
    assert normalize_state("广东", "CN") == "广东"
    with pytest.raises(RowError, match="not a US state"):
        normalize_state("Atlantis", "US")
    assert normalize_postal(2134, "US") == "02134"
    assert normalize_postal("510000", "CN") == "510000"
    assert parse_language("中文") == "zh"
    assert parse_language("en-US") == "en"
    assert parse_bool("是", "attorney") is True
    with pytest.raises(RowError, match="yes/no"):
        parse_bool("maybe", "attorney")
