"""Where a debtor might be: candidate IANA zones and jurisdictions from the address and every number.

The tables are data (`data/geo.toml`); phonenumbers supplies each number's region and zones, widened by the
area codes known to span two zones. Uncertainty only ever adds candidates, never removes them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import phonenumbers
from phonenumbers import geocoder, timezone

_LINE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium",
}


class BadNumber(ValueError):
    """Not a valid E.164 telephone number."""


@dataclass(frozen=True, slots=True)
class NumberFacts:
    e164: str
    region: str | None  # ISO country of the number
    zones: tuple[str, ...]  # empty: non-geographic (toll free, unknown)
    subdivision: str | None  # US state of the area code
    line_type: str


@dataclass(frozen=True, slots=True)
class AddressFacts:
    zones: tuple[str, ...]
    subdivisions: tuple[str, ...]  # states / provinces the address points at (ZIP and stated state)


@lru_cache(maxsize=1)
def tables() -> dict[str, Any]:
    text = resources.files("scheduler.policy").joinpath("data/geo.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    zip3: dict[str, str] = {}
    for key, state in raw["us_zip3_states"].items():
        first, _, last = key.partition("-")
        for prefix in range(int(first), int(last or first) + 1):
            zip3[f"{prefix:03d}"] = state
    raw["zip3"] = zip3
    return raw


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


_KNOWN: dict[str, NumberFacts] = {}
_KNOWN_LIMIT = 500_000


def remember(e164: str, region: str | None, zones: tuple[str, ...], line_type: str) -> NumberFacts:
    """Facts the ledger already holds for a number validated at import (region, zones, line type), so a
    decision need not parse it again. The US state of the area code is looked up once per area code."""
    subdivision = None
    if e164.startswith("+1") and len(e164) == 12 and line_type not in ("toll_free", "premium"):
        subdivision = _area_code_state(e164[2:5])
        if zones:
            zones = _unique(list(zones) + tables()["nanp_split_area_codes"].get(e164[2:5], []))
    facts = NumberFacts(e164, region, tuple(zones), subdivision, line_type)
    if len(_KNOWN) >= _KNOWN_LIMIT:
        _KNOWN.clear()
    _KNOWN[e164] = facts
    return facts


@lru_cache(maxsize=2048)
def _area_code_state(npa: str) -> str | None:
    sample = phonenumbers.PhoneNumber(country_code=1, national_number=int(npa + "5550100"))
    return _nanp_state(geocoder.description_for_valid_number(sample, "en"))


def number_facts(e164: str) -> NumberFacts:
    """Facts about one number; raises BadNumber for anything that is not a valid E.164 number."""
    known = _KNOWN.get(e164)
    return known if known is not None else _parsed_facts(e164)


@lru_cache(maxsize=65536)
def _parsed_facts(e164: str) -> NumberFacts:
    if not e164.startswith("+"):
        raise BadNumber(f"{e164!r} is not in E.164 form (+<country><number>)")
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException as exc:
        raise BadNumber(f"{e164!r}: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise BadNumber(f"{e164!r} is not a valid number")
    region = phonenumbers.region_code_for_number(parsed)
    line_type = _LINE_TYPES.get(phonenumbers.number_type(parsed), "unknown")
    zones = [z for z in timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    subdivision = None
    if parsed.country_code == 1 and line_type not in ("toll_free", "premium"):
        national = str(parsed.national_number)
        zones += tables()["nanp_split_area_codes"].get(national[:3], [])
        subdivision = _nanp_state(geocoder.description_for_number(parsed, "en"))
    if line_type in ("toll_free", "premium") or len(zones) > 6:
        zones = []  # non-geographic: the number says nothing about where the callee is
    return NumberFacts(e164, region, _unique(zones), subdivision, line_type)


def _nanp_state(description: str) -> str | None:
    if not description:
        return None
    head, _, tail = description.rpartition(", ")
    if head and len(tail) == 2 and tail.isalpha():
        return tail.upper()
    return tables()["us_state_names"].get(description.upper())


def normalize_subdivision(country: str | None, state: str | None) -> str | None:
    if not state:
        return None
    value = state.strip()
    upper = value.upper().removeprefix(f"{country}-" if country else "")
    if country == "US":
        return upper if upper in tables()["us_states"] else tables()["us_state_names"].get(upper)
    if country == "CN":
        return (
            upper if upper in tables()["cn_provinces"] else tables()["cn_province_names"].get(value.upper())
        )
    return upper or None


def address_facts(country: str | None, state: str | None, postal_code: str | None) -> AddressFacts:
    """Zones of an address; a state that disagrees with the ZIP code adds the state's zones too."""
    geo = tables()
    zones: list[str] = []
    subdivisions: list[str] = []
    sub = normalize_subdivision(country, state)
    if country == "US":
        digits = "".join(ch for ch in (postal_code or "") if ch.isdigit())
        if len(digits) >= 5:
            zip3 = digits[:3]
            zip_state = geo["zip3"].get(zip3)
            if zip_state:
                subdivisions.append(zip_state)
                zones += geo["us_zip3_zones"].get(zip3, geo["us_states"][zip_state][:1])
        if sub:
            subdivisions.append(sub)
            if sub not in subdivisions[:-1]:
                zones += geo["us_states"][sub]
    elif country == "CN":
        if sub and sub in geo["cn_provinces"]:
            subdivisions.append(sub)
            zones += geo["cn_provinces"][sub]
        else:
            zones += geo["countries"]["CN"]
    elif country:
        zones += geo["countries"].get(country, [])
        if sub:
            subdivisions.append(sub)
    return AddressFacts(_unique(zones), _unique(subdivisions))


def national_profile(country: str) -> str:
    return str(tables()["country_profiles"].get(country, country))
