"""One call-list row -> an `ImportRow`, or a RowError naming the field; plus the data-quality tally."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from scheduler.importing.errors import RowError
from scheduler.importing.headers import HeaderMap
from scheduler.importing.phones import NumberProblem, check_number
from scheduler.importing.values import (
    FORMULA_PREFIXES,
    has_cjk,
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
from scheduler.ledger import ImportNumber, ImportRow

CURRENCY_BY_COUNTRY = {
    "US": "USD",
    "CN": "CNY",
    "CA": "CAD",
    "GB": "GBP",
    "HK": "HKD",
    "TW": "TWD",
    "SG": "SGD",
    "AU": "AUD",
    "DE": "EUR",
    "FR": "EUR",
    "IE": "EUR",
    "IT": "EUR",
    "ES": "EUR",
    "NL": "EUR",
    "AT": "EUR",
    "BE": "EUR",
}
CHINESE_SPEAKING = frozenset({"CN", "TW", "HK", "MO"})
COUNTRY_NAMES = {
    "usa": "US",
    "united states": "US",
    "america": "US",
    "美国": "US",
    "china": "CN",
    "prc": "CN",
    "中国": "CN",
    "canada": "CA",
    "uk": "GB",
    "united kingdom": "GB",
    "英国": "GB",
}
FORMULA_STARTS = frozenset(FORMULA_PREFIXES)
MAX_TEXT = {"account_ref": 64, "debtor_ref": 64, "first_name": 100, "last_name": 100, "state": 64}


def cell_text(value: Any) -> str:
    if type(value) is str:  # every CSV cell: the fast path
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def raw_line(cells: list[Any]) -> str:
    """The row as CSV text with every formula-looking cell neutralized (for rejects and error files)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([neutralize(cell_text(c)) for c in cells])
    return out.getvalue()


# line types the US profile's T1 rule (an artificial voice to a cell phone needs consent) applies to
T1_LINE_TYPES = frozenset({"mobile", "fixed_line_or_mobile", "voip", "unknown"})


@dataclass
class Quality:
    """The data-quality summary of one batch (stored with it, shown by reports)."""

    numbers_valid: int = 0
    numbers_invalid: int = 0
    line_types: Counter[str] = field(default_factory=Counter)
    regions: Counter[str] = field(default_factory=Counter)
    invalid_reasons: Counter[str] = field(default_factory=Counter)
    formula_cells: int = 0
    formula_lines: list[int] = field(default_factory=list)
    reject_reasons: Counter[str] = field(default_factory=Counter)
    # imported, but worth an operator's look: lines of each kind (the first 100 kept)
    extension_lines: list[int] = field(default_factory=list)  # a number with an extension (not dialled)
    shared_lines: list[int] = field(default_factory=list)  # a number another debtor in the file also has
    consent_lines: list[int] = field(default_factory=list)  # US cell numbers without consent (T1 denies)
    _owners: dict[str, str] = field(default_factory=dict)

    def note(self, kind: list[int], line: int) -> None:
        if not kind or kind[-1] != line:
            kind.append(line)

    def notes(self) -> dict[str, dict[str, Any]]:
        """What the summary reports beside the counts: how many rows and on which lines."""
        return {
            name: {"rows": len(lines), "lines": lines[:100]}
            for name, lines in (
                ("extensions", self.extension_lines),
                ("shared_numbers", self.shared_lines),
                ("never_callable_without_consent", self.consent_lines),
            )
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.notes(),
            "numbers_valid": self.numbers_valid,
            "numbers_invalid": self.numbers_invalid,
            "line_types": dict(self.line_types),
            "regions": dict(self.regions),
            "invalid_reasons": dict(self.invalid_reasons),
            "formula_cells": self.formula_cells,
            "formula_lines": self.formula_lines[:100],
            "reject_reasons": dict(self.reject_reasons.most_common(20)),
        }


class RowNormalizer:
    """Validates rows against a header map; `region` is the default for national-format numbers."""

    def __init__(self, header: HeaderMap, region: str | None, currency: str | None = None) -> None:
        self.header = header
        self.region = region.upper() if region else None
        self.currency = currency
        self.quality = Quality()
        self._f = header.fields

    def cell(self, cells: list[Any], name: str) -> Any:
        index = self._f.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def account_ref(self, cells: list[Any]) -> str:
        return neutralize(cell_text(self.cell(cells, "account_ref")))

    def text(self, cells: list[Any], name: str, line: int) -> str:
        value = cell_text(self.cell(cells, name))
        if value[:1] in FORMULA_STARTS and is_formula(value):
            self.quality.formula_cells += 1
            if not self.quality.formula_lines or self.quality.formula_lines[-1] != line:
                self.quality.formula_lines.append(line)
            value = neutralize(value)
        limit = MAX_TEXT.get(name)
        if limit and len(value) > limit:
            raise RowError(f"{name} is longer than {limit} characters")
        return value

    def __call__(self, line: int, cells: list[Any]) -> ImportRow:
        for index, value in enumerate(cells):  # the reader decodes with errors="replace"
            if type(value) is str and "\ufffd" in value:
                raise RowError(f"column {index + 1} holds bytes that are not valid in the file's encoding")
        account_ref = self.text(cells, "account_ref", line)
        if not account_ref:
            raise RowError("account_ref is empty")
        first, last = self._name(cells, line)
        if not first and not last:
            raise RowError("name is empty")
        numbers = self._numbers(cells, line)
        country = self._country(cells, numbers)
        amount_cell = self.cell(cells, "amount")
        amount, symbol_currency = parse_amount(amount_cell if amount_cell is not None else "")
        currency = self._currency(cells, symbol_currency, country)
        due_value = self.cell(cells, "due_date")
        due_date = parse_date(due_value if due_value is not None else "", "due_date")
        state = normalize_state(self.text(cells, "state", line), country) if "state" in self._f else None
        postal = normalize_postal(self.cell(cells, "postal_code"), country)
        language = self._language(cells, country, first + last)
        consent_at = None
        consent = self.cell(cells, "consent_date")
        if consent is not None and cell_text(consent):
            date = parse_date(consent, "consent_date")
            consent_at = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
        attorney = parse_bool(self.cell(cells, "attorney") or "", "attorney")
        cease = parse_bool(self.cell(cells, "cease") or "", "cease")
        debtor_ref = self.text(cells, "debtor_ref", line) or account_ref
        for number in numbers:
            self.quality.line_types[number.line_type] += 1
            self.quality.regions[number.region or "??"] += 1
            owner = self.quality._owners.setdefault(number.e164, debtor_ref)
            if owner != debtor_ref:
                self.quality.note(self.quality.shared_lines, line)
            if consent_at is None and number.region == "US" and number.line_type in T1_LINE_TYPES:
                self.quality.note(self.quality.consent_lines, line)
        return ImportRow(
            line=line,
            account_ref=account_ref,
            debtor_ref=debtor_ref,
            first_name=first,
            last_name=last,
            language=language,
            country=country,
            state=state,
            postal_code=postal,
            amount_due=amount,
            currency=currency,
            due_date=due_date,
            numbers=numbers,
            attorney=attorney,
            cease_requested=cease,
            consent_at=consent_at,
        )

    def _name(self, cells: list[Any], line: int) -> tuple[str, str]:
        first = self.text(cells, "first_name", line)
        last = self.text(cells, "last_name", line)
        if first or last:
            return first, last
        full = self.text(cells, "name", line)
        if full.startswith("'") and is_formula(full[1:]):
            return full[:100], ""  # a neutralized formula stays one piece of text
        first, last = split_name(full)
        if len(first) > MAX_TEXT["first_name"] or len(last) > MAX_TEXT["last_name"]:
            raise RowError("name is longer than 100 characters")
        return first, last

    def _numbers(self, cells: list[Any], line: int) -> tuple[ImportNumber, ...]:
        found: dict[str, ImportNumber] = {}
        problems: list[str] = []
        for index, personal in self.header.phones:
            text = cell_text(cells[index]) if index < len(cells) else ""
            if not text:
                continue
            checked = check_number(text, self.region)
            if isinstance(checked, NumberProblem):
                self.quality.numbers_invalid += 1
                self.quality.invalid_reasons[checked.reason] += 1
                problems.append(f"phone '{neutralize(text)}': {checked.reason}")
                continue
            self.quality.numbers_valid += 1
            if checked.extension:
                self.quality.note(self.quality.extension_lines, line)
            if checked.e164 not in found:
                found[checked.e164] = ImportNumber(
                    checked.e164, checked.line_type, checked.region, checked.zones, personal
                )
        if not found:
            raise RowError("; ".join(problems) if problems else "phone is empty")
        return tuple(found.values())

    def _country(self, cells: list[Any], numbers: tuple[ImportNumber, ...]) -> str | None:
        text = cell_text(self.cell(cells, "country"))
        if text:
            code = COUNTRY_NAMES.get(text.lower(), text.upper())
            if code not in phonenumbers.SUPPORTED_REGIONS:
                raise RowError(f"country '{neutralize(text)}' is not an ISO 3166 alpha-2 code")
            return code
        return numbers[0].region or self.region

    def _currency(self, cells: list[Any], implied: str | None, country: str | None) -> str:
        text = cell_text(self.cell(cells, "currency")).upper()
        if text in ("元", "人民币", "RMB"):
            text = "CNY"
        elif text in ("美元",):
            text = "USD"
        if text:
            if len(text) != 3 or not text.isalpha():
                raise RowError(f"currency '{neutralize(text)}' is not an ISO 4217 code")
            if implied and implied != text:
                raise RowError(f"amount is in {implied} but currency says {text}")
            return text
        currency = implied or self.currency or CURRENCY_BY_COUNTRY.get(country or "")
        if currency is None:
            raise RowError("currency is missing (add a currency column)")
        return currency

    def _language(self, cells: list[Any], country: str | None, name: str) -> str:
        text = cell_text(self.cell(cells, "language"))
        if text:
            return parse_language(text)
        return "zh" if country in CHINESE_SPEAKING or has_cjk(name) else "en"
