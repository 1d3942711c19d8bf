"""Pre-dial number checks with phonenumbers: E.164, validity, line type, region, candidate time zones.

Parsing is the most expensive step of an import (tens of microseconds per number), so results are cached
by (text, default region): call lists repeat numbers (household lines, re-imports in one process).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType
from phonenumbers import timezone as pn_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

from scheduler.vocabulary import LineType

_type_helper: Callable[[str, PhoneMetadata], int] | None
try:  # the helper number_type() itself uses; absent in some future version: fall back to number_type()
    from phonenumbers.phonenumberutil import _number_type_helper as _type_helper
except ImportError:  # pragma: no cover
    _type_helper = None

_LINE_TYPES = {
    PhoneNumberType.MOBILE: LineType.mobile,
    PhoneNumberType.FIXED_LINE: LineType.fixed_line,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: LineType.fixed_line_or_mobile,
    PhoneNumberType.VOIP: LineType.voip,
    PhoneNumberType.TOLL_FREE: LineType.toll_free,
    PhoneNumberType.PREMIUM_RATE: LineType.premium,
}
_UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True, slots=True)
class CheckedNumber:
    e164: str
    line_type: str
    region: str | None
    zones: tuple[str, ...]
    extension: bool = False  # written with an extension the bot cannot dial (reported, number kept)


@dataclass(frozen=True, slots=True)
class NumberProblem:
    reason: str


@lru_cache(maxsize=50_000)
def check_number(text: str, default_region: str | None) -> CheckedNumber | NumberProblem:
    """Validate one number as written in a call list (national form needs `default_region`)."""
    cleaned = text.strip()
    if cleaned.endswith(".0") and cleaned[:-2].isdigit():
        cleaned = cleaned[:-2]  # a number typed into a spreadsheet number cell
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    number = _nanp_shortcut(cleaned, default_region)
    if number is None:
        try:
            number = phonenumbers.parse(cleaned, default_region)
        except phonenumbers.NumberParseException as exc:
            return NumberProblem(_parse_reason(exc))
    region, kind = _region_and_type(number)  # UNKNOWN: matches none of the region's patterns, invalid
    if kind == PhoneNumberType.UNKNOWN or region is None:
        return NumberProblem(
            "not a valid number" + (f" for region {default_region}" if default_region else "")
        )
    zones = tuple(z for z in _zones(number, kind) if z != _UNKNOWN_ZONE)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    line_type = _LINE_TYPES.get(kind, LineType.unknown).value
    region = None if region == _NON_GEOGRAPHIC else region
    return CheckedNumber(e164, line_type, region, zones, bool(number.extension))


_NANP = re.compile(r"^(\+?1[\s.-]*)?\(?([2-9]\d\d)\)?[\s.-]*([2-9]\d\d)[\s.-]*(\d{4})$")
_NANP_REGIONS = frozenset(phonenumbers.region_codes_for_country_code(1))
_NON_GEOGRAPHIC = "001"


def _nanp_shortcut(text: str, default_region: str | None) -> phonenumbers.PhoneNumber | None:
    """The common North American forms ("(617) 555-0100", "+1 617-555-0100", "16175550100") without the
    general parser, which costs half of a number's check. Anything unusual goes to phonenumbers.parse."""
    match = _NANP.match(text)
    if match is None:
        return None
    prefix = match.group(1) or ""
    if not (prefix.startswith("+") or default_region in _NANP_REGIONS):
        return None
    return phonenumbers.PhoneNumber(country_code=1, national_number=int("".join(match.group(2, 3, 4))))


def _region_and_type(number: phonenumbers.PhoneNumber) -> tuple[str | None, int]:
    """region_code_for_number() and number_type() in one pass: both match the number against the region's
    patterns, and for +1 numbers the region search itself walks the NANP regions."""
    if _type_helper is None:
        region = phonenumbers.region_code_for_number(number)
        return region, int(phonenumbers.number_type(number))
    country_code = number.country_code or 0
    regions = phonenumbers.region_codes_for_country_code(country_code)
    national = phonenumbers.national_significant_number(number)
    if len(regions) == 1:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0])
        return regions[0], int(_type_helper(national, metadata)) if metadata else int(PhoneNumberType.UNKNOWN)
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re.match(metadata.leading_digits, national):
                return region, int(_type_helper(national, metadata))
            continue
        kind = int(_type_helper(national, metadata))
        if kind != PhoneNumberType.UNKNOWN:
            return region, kind
    return None, int(PhoneNumberType.UNKNOWN)


def _zones(number: phonenumbers.PhoneNumber, kind: int) -> tuple[str, ...]:
    """time_zones_for_number() without computing the number type a second time."""
    if phonenumbers.is_number_type_geographical(kind, number.country_code or 0):
        return tuple(pn_timezone.time_zones_for_geographical_number(number))
    return tuple(TIMEZONE_DATA.get(str(number.country_code), ()))


def _parse_reason(exc: phonenumbers.NumberParseException) -> str:
    if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        return "no country code (write +CC... or pass --region)"
    if exc.error_type == phonenumbers.NumberParseException.NOT_A_NUMBER:
        return "not a phone number"
    return "too short or too long"
