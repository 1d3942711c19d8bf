"""Where the demo debtors live: a jurisdiction whose calling window is open now, chosen by the policy engine.

The demo must run at any hour (CI runs it at night too), so it asks the real engine about a first call to a
consenting debtor in each candidate region, in order, and takes the first it allows. Nothing is bypassed: the
planner and the supervisor apply the same engine to every attempt afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from scheduler.policy import ContactInfo, DebtorInfo, Decision, DecisionCase, ProfileSet, decide


@dataclass(frozen=True, slots=True)
class Region:
    label: str  # e.g. "US-NY"
    country: str  # ISO 3166 alpha-2 of the address
    state: str | None
    postal_code: str | None
    zone: str  # for the printout: the debtors' local time
    prefix: str  # E.164 digits before the last two (the cast's place)
    currency: str

    def number(self, place: int) -> str:
        return f"{self.prefix}{place:02d}"


# Fictional ranges: NANP 555-01XX, Ofcom's drama numbers, a Beijing block nobody dials from here.
CANDIDATES: tuple[Region, ...] = (
    Region("US-NY", "US", "NY", "10001", "America/New_York", "+121255501", "USD"),
    Region("US-HI", "US", "HI", "96813", "Pacific/Honolulu", "+180855501", "USD"),
    Region("UK", "GB", None, "SW1A 1AA", "Europe/London", "+4420794601", "GBP"),
    Region("CN", "CN", "BJ", "100000", "Asia/Shanghai", "+8610555001", "CNY"),
)


@dataclass(frozen=True, slots=True)
class RegionChoice:
    region: Region
    decision: Decision
    considered: tuple[tuple[Region, Decision], ...]  # every candidate asked, in order

    def explain(self, now: dt.datetime) -> str:
        local = now.astimezone(ZoneInfo(self.region.zone))
        lines = [
            f"region {self.region.label}: local time {local:%a %H:%M} ({self.region.zone}); "
            f"the policy engine allows a first call now ({', '.join(self.decision.profiles)})"
        ]
        for region, decision in self.considered:
            if region is self.region:
                break
            why = f"{decision.rule} {decision.reason}" if not decision.allow else "its window closes soon"
            lines.append(f"  not {region.label}: {why}")
        return "\n".join(lines)


class NoOpenRegion(Exception):
    """No candidate region's calling window is open now; the message says when the first one opens."""


def probe_case(region: Region, now: dt.datetime) -> DecisionCase:
    """A first call to a consenting debtor at home in `region`, nothing in their history."""
    number = region.number(1)
    return DecisionCase(
        now=now,
        debtor=DebtorInfo(
            country=region.country, state=region.state, postal_code=region.postal_code, numbers=(number,)
        ),
        contact=ContactInfo(number=number, consent_at=now - dt.timedelta(days=30)),
        debt="demo-probe",
    )


def choose_region(
    profiles: ProfileSet,
    now: dt.datetime,
    candidates: tuple[Region, ...] = CANDIDATES,
    margin: dt.timedelta = dt.timedelta(minutes=20),
) -> RegionChoice:
    """The first candidate the engine allows now and still allows `margin` later (the demo's length), else
    the first it allows now."""
    considered: list[tuple[Region, Decision]] = []
    for region in candidates:
        decision = decide(probe_case(region, now), profiles)
        considered.append((region, decision))
        if decision.allow and decide(probe_case(region, now + margin), profiles).allow:
            return RegionChoice(region, decision, tuple(considered))
    for region, decision in considered:
        if decision.allow:
            return RegionChoice(region, decision, tuple(considered))
    opens = [(d.next_allowed_at, r.label) for r, d in considered if d.next_allowed_at is not None]
    detail = "; ".join(f"{r.label}: {d.rule} {d.reason}" for r, d in considered)
    when = f" The first opens at {min(opens)[0]:%Y-%m-%d %H:%M} UTC ({min(opens)[1]})." if opens else ""
    raise NoOpenRegion(f"no demo region may be called now ({detail}).{when}")
