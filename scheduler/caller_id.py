"""Caller ID from the campaign's pool, preferring local presence: the callee's area code, then their
state or region, then their country. Only pool numbers are ever used (never a spoofed number, C9); the
choice is stable per callee so a person sees the same number again and can call it back."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from scheduler.policy.geo import BadNumber, NumberFacts, national_profile, number_facts


def _facts(number: str) -> NumberFacts | None:
    try:
        return number_facts(number)
    except BadNumber:
        return None


def _country(facts: NumberFacts) -> str:
    """The jurisdiction of a number (a Guernsey mobile and a London landline are both UK)."""
    return national_profile(facts.region) if facts.region else ""


def _area(number: str) -> str:
    return number[:5] if number.startswith("+1") else number[:6]


def choose_caller_id(pool: Sequence[str], callee: str) -> str | None:
    """The best pool number for `callee`; None when the pool is empty or holds no valid number."""
    usable = [(n, f) for n in pool if (f := _facts(n)) is not None]
    if not usable:
        return None
    target = _facts(callee)
    tiers: list[list[str]] = [[], [], [], []]
    for number, facts in usable:
        if target is None:
            tiers[3].append(number)
        elif _area(number) == _area(target.e164):
            tiers[0].append(number)
        elif facts.subdivision and facts.subdivision == target.subdivision:
            tiers[1].append(number)
        elif _country(facts) == _country(target):
            tiers[2].append(number)
        else:
            tiers[3].append(number)
    best = next(t for t in tiers if t)
    return sorted(best)[zlib.crc32(callee.encode()) % len(best)]
