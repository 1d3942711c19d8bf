"""Payment plans within the campaign's limits (dialer.yml ``payment_plan``), checked before any read-back.

A plan is two or more parts (amount + date) or a settlement below the balance. The limits say what the
bot may agree to on its own; an offer outside them gets a counter-offer (then a person), never a record::

    payment_plan:
      min_first_part: 20        # an amount in the account's currency, or "25%" of the balance
      max_parts: 3
      latest_days: 60           # every part on or before today + latest_days
      min_total: "100%"         # what the parts must add up to (unless a settlement is agreed)
      settlement_allowed: false # may a total below the balance settle the account?
      settlement_floor_pct: 80  # the lowest settlement, in % of the balance
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from dialogue.understanding.parts import Part

LIMIT_KEYS = (
    "min_first_part",
    "max_parts",
    "latest_days",
    "min_total",
    "settlement_allowed",
    "settlement_floor_pct",
)


@dataclass(frozen=True)
class Share:
    """An amount, or a percentage of the balance ("25%")."""

    value: Decimal
    percent: bool = False

    def of(self, balance: Decimal | None) -> Decimal | None:
        if not self.percent:
            return self.value
        return None if balance is None else (balance * self.value / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class PlanLimits:
    min_first_part: Share = Share(Decimal(0))
    max_parts: int = 3
    latest_days: int = 60
    min_total: Share = Share(Decimal(100), percent=True)
    settlement_allowed: bool = False
    settlement_floor_pct: Decimal = Decimal(100)


def parse_share(raw: Any) -> Share:
    """``20`` or ``"25%"``; ValueError with the reason otherwise."""
    text = str(raw).strip()
    percent = text.endswith("%")
    try:
        value = Decimal(text.rstrip("%").strip())
    except InvalidOperation as exc:
        raise ValueError(f"{raw!r}: expected an amount or a percentage like '25%'") from exc
    if value < 0 or (percent and value > 100):
        raise ValueError(f"{raw!r}: out of range")
    return Share(value, percent)


def load_limits(raw: Any) -> tuple[PlanLimits, list[tuple[str, str]]]:
    """The limits from dialer.yml, and (key, problem) pairs for what is wrong (validate reports them)."""
    problems: list[tuple[str, str]] = []
    if raw is None:
        return PlanLimits(), problems
    if not isinstance(raw, dict):
        return PlanLimits(), [("payment_plan", "expected a mapping of limits")]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            if key not in LIMIT_KEYS:
                raise ValueError(f"unknown key (known: {', '.join(LIMIT_KEYS)})")
            if key in ("min_first_part", "min_total"):
                values[key] = parse_share(value)
            elif key in ("max_parts", "latest_days"):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"{value!r}: expected a whole number >= 1")
                values[key] = value
            elif key == "settlement_allowed":
                if not isinstance(value, bool):
                    raise ValueError(f"{value!r}: expected true or false")
                values[key] = value
            else:
                share = parse_share(value)
                if share.value > 100:
                    raise ValueError(f"{value!r}: expected a percentage 0..100")
                values[key] = share.value
        except ValueError as exc:
            problems.append((str(key), str(exc)))
    return PlanLimits(**values), problems


@dataclass(frozen=True)
class PlanCheck:
    """A plan resolved against the balance: its parts in date order, and the first limit it breaks."""

    parts: tuple[tuple[dt.date, Decimal], ...]
    settlement: bool
    problem: str | None = None  # first_part | parts | late | past | total | settlement | rest
    limit: str = ""  # the figure the problem names (an amount, a count, an ISO date)

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.parts), Decimal(0))


def check_plan(
    parts: tuple[Part, ...], balance: Decimal | None, settle: bool, limits: PlanLimits, today: dt.date
) -> PlanCheck:
    """Resolve "the rest" and hold the plan against the limits (the first problem found is kept)."""
    named = sum((p.amount for p in parts if isinstance(p.amount, Decimal)), Decimal(0))
    resolved: list[tuple[dt.date, Decimal]] = []
    for part in parts:
        if not isinstance(part.amount, Decimal):
            if balance is None or balance - named <= 0:
                return PlanCheck((), settle, "rest", "")
            resolved.append((part.date, balance - named))
        else:
            resolved.append((part.date, part.amount))
    ordered = tuple(sorted(resolved, key=lambda p: p[0]))
    total = sum((amount for _, amount in ordered), Decimal(0))
    settlement = settle and balance is not None and total < balance
    latest = today + dt.timedelta(days=limits.latest_days)

    def fail(problem: str, limit: str) -> PlanCheck:
        return PlanCheck(ordered, settlement, problem, limit)

    if len(ordered) > limits.max_parts:
        return fail("parts", str(limits.max_parts))
    if any(day < today for day, _ in ordered):
        return fail("past", today.isoformat())
    if any(day > latest for day, _ in ordered):
        return fail("late", latest.isoformat())
    first = limits.min_first_part.of(balance) or Decimal(0)
    if ordered and ordered[0][1] < first:
        return fail("first_part", str(first))
    if settlement:
        assert balance is not None
        floor = (balance * limits.settlement_floor_pct / 100).quantize(Decimal("0.01"))
        if not limits.settlement_allowed:
            return fail("settlement", str(balance))
        if total < floor:
            return fail("settlement", str(floor))
        return PlanCheck(ordered, True)
    minimum = limits.min_total.of(balance)
    if minimum is None:
        return fail("total", "")
    if total < minimum:
        return fail("total", str(minimum))
    return PlanCheck(ordered, False)
