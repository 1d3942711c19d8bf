"""From a case to what the engine needs: the applicable profiles, the candidate zones, the line type.

Missing location, consent or identity data is not guessed around: it raises MissingData, which the
engine turns into a deny with the rule id DATA.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from scheduler.policy.case import RELATIONS, ContactInfo, DebtorInfo, DecisionCase
from scheduler.policy.geo import BadNumber, NumberFacts, address_facts, national_profile, number_facts
from scheduler.policy.profiles import ComplianceProfile, ProfileSet
from scheduler.policy.wallclock import zone


class MissingData(Exception):
    """The case lacks data a lawful decision needs (location, consent, identity)."""


@dataclass(frozen=True, slots=True)
class Resolved:
    profiles: tuple[ComplianceProfile, ...]
    zones: tuple[ZoneInfo, ...]
    line_type: str
    has_consent: bool


def _facts(number: str, field: str) -> NumberFacts:
    try:
        return number_facts(number)
    except BadNumber as exc:
        raise MissingData(f"{field}: {exc}") from exc


def applicable_profiles(
    case: DecisionCase, profiles: ProfileSet, facts: list[NumberFacts]
) -> list[ComplianceProfile]:
    """Every profile that could apply: national ones for the address and each number's country, the
    state/province ones for the address, the ZIP and each area code, then the site's own."""
    if case.profiles is not None:  # the campaign's choice, plus the profiles that apply always
        chosen_ids = dict.fromkeys(case.profiles)
        chosen_ids.update(dict.fromkeys(p.id for p in profiles.profiles.values() if "*" in p.applies_to))
        return [profiles.get(p) for p in chosen_ids]
    debtor = case.debtor
    chosen: dict[str, ComplianceProfile] = {}

    def add(profile: ComplianceProfile | None) -> None:
        if profile is not None:
            chosen.setdefault(profile.id, profile)

    countries = [debtor.country] + [f.region for f in facts]
    for country in countries:
        if country:
            pid = national_profile(country)
            add(profiles.profiles.get(pid))
    subdivisions: list[str] = []
    if debtor.country:
        address = address_facts(debtor.country, debtor.state, debtor.postal_code)
        subdivisions += [f"{debtor.country}-{s}" for s in address.subdivisions]
    subdivisions += [f"US-{f.subdivision}" for f in facts if f.subdivision]
    for code in subdivisions:
        add(profiles.subdivision(code))
    for site in profiles.site_profiles(chosen):
        add(site)
    return list(chosen.values())


def located_profiles(
    profiles: ProfileSet, debtor: DebtorInfo, number: str, explicit: tuple[str, ...] | None = None
) -> list[ComplianceProfile] | None:
    """The profiles that could apply to a debtor reached on `number` (`applicable_profiles` outside a
    dial decision: REC, the calling hours a callback is named in); None when the debtor cannot be
    located (a number that does not parse, or neither an address country nor a number's region)."""
    try:
        facts = [number_facts(n) for n in (number, *debtor.numbers)]
    except BadNumber:
        return None
    if not debtor.country and not any(f.region for f in facts):
        return None
    case = DecisionCase(dt.datetime.now(dt.UTC), debtor, ContactInfo(number), "-", profiles=explicit)
    return applicable_profiles(case, profiles, facts)


def resolve(case: DecisionCase, profiles: ProfileSet) -> Resolved:
    debtor, contact = case.debtor, case.contact
    if not case.debt:
        raise MissingData("debt: no debt reference (identity)")
    if contact.relation not in RELATIONS:
        raise MissingData(f"contact.relation: unknown relation {contact.relation!r}")
    if not debtor.country:
        raise MissingData("debtor.country: the debtor's country is unknown (location)")
    contact_facts = _facts(contact.number, "contact.number")
    facts = [contact_facts] + [_facts(n, "debtor.numbers") for n in debtor.numbers]
    applied = applicable_profiles(case, profiles, facts)
    if not applied:
        raise MissingData(f"no jurisdiction profile covers country {debtor.country!r} (location)")
    names: list[str] = list(address_facts(debtor.country, debtor.state, debtor.postal_code).zones)
    names += list(contact.zones) if contact.zones else list(contact_facts.zones)
    for f in facts[1:]:
        names += f.zones
    if not names:
        raise MissingData("no candidate time zone: neither the address nor the number locates the debtor")
    zones = tuple(zone(n) for n in dict.fromkeys(names))
    line_type = contact.line_type or contact_facts.line_type
    has_consent = contact.consent_at is not None and contact.consent_at <= case.now
    return Resolved(tuple(applied), zones, line_type, has_consent)
