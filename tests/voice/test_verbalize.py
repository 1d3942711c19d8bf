"""Amounts and dates in the words a caller should hear."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice.verbalize import VerbalizeError, chinese_number, english_number, say_amount, say_date, verbalize


@pytest.mark.parametrize(
    ("amount", "currency", "spoken"),
    [
        ("1,234.50", "USD", "one thousand two hundred thirty-four dollars and fifty cents"),
        ("1", "USD", "one dollar"),
        ("0.01", "USD", "one cent"),
        ("0", "USD", "zero dollars"),
        ("101.00", "USD", "one hundred one dollars"),
        ("1000000", "USD", "one million dollars"),
        ("19.99", "EUR", "nineteen euros and ninety-nine cents"),
        ("2.01", "GBP", "two pounds and one penny"),
        ("88", "CNY", "eighty-eight yuan"),
    ],
)
def test_english_amounts(amount: str, currency: str, spoken: str) -> None:
    assert say_amount(amount, currency, "en") == spoken


@pytest.mark.parametrize(
    ("amount", "currency", "spoken"),
    [
        ("1234.50", "CNY", "一千二百三十四元五角"),
        ("1234.05", "CNY", "一千二百三十四元零五分"),
        ("1234.56", "CNY", "一千二百三十四元五角六分"),
        ("0.50", "CNY", "五角"),
        ("10", "CNY", "十元"),
        ("2000", "CNY", "两千元"),
        ("20000", "CNY", "两万元"),
        ("100.25", "USD", "一百美元二十五美分"),
    ],
)
def test_chinese_amounts(amount: str, currency: str, spoken: str) -> None:
    assert say_amount(amount, currency, "zh") == spoken


def test_dates() -> None:
    assert say_date("2026-12-05", "en") == "Saturday, December 5th"
    assert say_date(dt.date(2026, 12, 5), "zh") == "12月5日星期六"
    assert say_date("2027-01-01", "en") == "Friday, January 1st"
    assert say_date("2026-03-22", "en", weekday=False) == "March 22nd"
    assert say_date("2026-03-13", "en", weekday=False) == "March 13th"
    assert say_date("2026-03-22", "zh", weekday=False) == "3月22日"


def test_prompts_are_verbalized_in_place() -> None:
    assert verbalize("You owe $1,234.50, due 2026-12-05.", "en") == (
        "You owe one thousand two hundred thirty-four dollars and fifty cents, due Saturday, December 5th."
    )
    assert (
        verbalize("您欠款¥1234.50，还款日2026-12-05。", "zh")
        == "您欠款一千二百三十四元五角，还款日12月5日星期六。"
    )
    assert verbalize("应还 300元", "zh") == "应还 三百元"


@pytest.mark.parametrize("bad", ["abc", "-5", "NaN", "1e999999"])
def test_bad_amounts_are_clear_errors(bad: str) -> None:
    with pytest.raises(VerbalizeError):
        say_amount(bad, "USD", "en")


def test_unknown_currency_language_and_date() -> None:
    with pytest.raises(VerbalizeError, match="JPY"):
        say_amount("5", "JPY", "en")
    with pytest.raises(VerbalizeError):
        say_amount("5", "USD", "fr")
    with pytest.raises(VerbalizeError, match="ISO"):
        say_date("05/12/2026", "en")


@given(st.integers(min_value=0, max_value=10**9))
def test_numbers_never_carry_commas_or_and(n: int) -> None:
    words = english_number(n)
    assert "," not in words and " and " not in words
    assert chinese_number(n)


@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_every_amount_is_speakable(value: Decimal) -> None:
    assert say_amount(value, "USD", "en")
    spoken = say_amount(value, "CNY", "zh")
    assert spoken and not any(ch.isdigit() for ch in spoken)
