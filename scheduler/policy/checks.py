"""The engine's constraints. Each answers one question about an instant: blocked, and until when?

`check(t)` returns None when the constraint allows a call at `t`, else a Block whose `until` is the end of
the blocked stretch that starts at `t` (None: no end the engine can foresee). Because every constraint is
blocked on the whole of [t, until), the engine may jump to the latest `until` without skipping an allowed
instant: that is what makes the next allowed time exact.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

from scheduler.policy.wallclock import day_start, local, next_open


@dataclass(frozen=True, slots=True)
class Block:
    rule: str
    reason: str
    until: dt.datetime | None  # None: blocked with no foreseeable end


class Check(Protocol):
    @property
    def rule(self) -> str: ...

    def check(self, t: dt.datetime) -> Block | None: ...


@dataclass(frozen=True, slots=True)
class Permanent:
    """Blocked whatever the time (an opt-out, a cease request, missing consent)."""

    rule: str
    reason: str

    def check(self, t: dt.datetime) -> Block | None:
        return Block(self.rule, self.reason, None)


@dataclass(frozen=True, slots=True)
class WallCheck:
    """A rule about local wall time (a calling window, stated inconvenient times, holidays), in every
    candidate zone: blocked when blocked in any of them.

    `conflict_rule` names the rule to report when the zones disagree (U2: location uncertain).
    """

    rule: str
    zones: tuple[ZoneInfo, ...]
    blocked: Callable[[dt.datetime], bool]
    times: tuple[dt.time, ...]
    describe: str
    horizon: dt.datetime
    conflict_rule: str | None = None

    def check(self, t: dt.datetime) -> Block | None:
        blocked_in: list[tuple[ZoneInfo, dt.datetime]] = []
        for tz in self.zones:
            wall = local(t, tz)
            if self.blocked(wall):
                blocked_in.append((tz, wall))
        if not blocked_in:
            return None
        until: dt.datetime | None = t
        for tz, _ in blocked_in:
            opens = next_open(t, tz, self.blocked, self.times, self.horizon)
            if opens is None:
                until = None
                break
            until = max(until, opens) if until else opens
        tz, wall = blocked_in[0]
        rule = self.rule
        reason = f"{wall:%a %H:%M} in {tz} {self.describe}"
        if self.conflict_rule and len(blocked_in) < len(self.zones):
            rule = self.conflict_rule
            others = ", ".join(str(z) for z in self.zones if z not in {b[0] for b in blocked_in})
            reason += f", although allowed in {others}: candidate zones conflict"
        return Block(rule, reason, until)


@dataclass(frozen=True, slots=True)
class RollingCap:
    """At most `limit` counted calls in any rolling `span` (e.g. 3 per 30 days, 1 per 72 h)."""

    rule: str
    instants: Sequence[dt.datetime]  # sorted
    limit: int
    span: dt.timedelta
    describe: str

    def check(self, t: dt.datetime) -> Block | None:
        lo = bisect.bisect_right(self.instants, t - self.span)
        hi = bisect.bisect_right(self.instants, t)
        count = hi - lo
        if count < self.limit:
            return None
        until = self.instants[lo + count - self.limit] + self.span
        return Block(
            self.rule, f"{count} {self.describe} in the last {_span(self.span)} (limit {self.limit})", until
        )


@dataclass(frozen=True, slots=True)
class CalendarCap:
    """At most `limit` counted calls in any `days` consecutive local calendar days, in every zone."""

    rule: str
    instants: Sequence[dt.datetime]
    zones: tuple[ZoneInfo, ...]
    days: int
    limit: int
    describe: str

    def _count(self, dates: Sequence[dt.date], day: dt.date) -> int:
        first = day - dt.timedelta(days=self.days - 1)
        return bisect.bisect_right(dates, day) - bisect.bisect_left(dates, first)

    def check(self, t: dt.datetime) -> Block | None:
        worst: Block | None = None
        for tz in self.zones:
            dates = sorted(local(i, tz).date() for i in self.instants if i <= t)
            today = local(t, tz).date()
            count = self._count(dates, today)
            if count < self.limit:
                continue
            day = today + dt.timedelta(days=1)
            while self._count(dates, day) >= self.limit:
                day += dt.timedelta(days=1)
            until = day_start(day, tz)
            period = "today" if self.days == 1 else f"in {self.days} consecutive days"
            block = Block(self.rule, f"{count} {self.describe} {period} ({tz}; limit {self.limit})", until)
            if worst is None or (worst.until is not None and until > worst.until):
                worst = block
        return worst


@dataclass(frozen=True, slots=True)
class LockAfter:
    """No call for `days` local days after a qualifying event (the event's day is day 1)."""

    rule: str
    instants: Sequence[dt.datetime]
    zones: tuple[ZoneInfo, ...]
    days: int
    describe: str

    def check(self, t: dt.datetime) -> Block | None:
        worst: Block | None = None
        for tz in self.zones:
            today = local(t, tz).date()
            for instant in self.instants:
                if instant > t:
                    continue
                day1 = local(instant, tz).date()
                if day1 <= today < day1 + dt.timedelta(days=self.days):
                    until = day_start(day1 + dt.timedelta(days=self.days), tz)
                    if worst is None or (worst.until is not None and until > worst.until):
                        reason = f"{self.describe} on {day1:%a %Y-%m-%d} ({tz}): locked for {self.days} days"
                        worst = Block(self.rule, reason, until)
        return worst


@dataclass(frozen=True, slots=True)
class Until:
    """Blocked before a known instant."""

    rule: str
    until: dt.datetime
    reason: str

    def check(self, t: dt.datetime) -> Block | None:
        return Block(self.rule, self.reason, self.until) if t < self.until else None


@dataclass(frozen=True, slots=True)
class ConsentWindow:
    """[start, end): when a call the consumer asked for may be placed under a consent exception."""

    start: dt.datetime
    end: dt.datetime
    rule: str  # the exception's rule id (what an allow decision names)
    reason: str


@dataclass(frozen=True, slots=True)
class Waivable:
    """A counting rule the consumer's consent waives inside its windows, and only there.

    Outside a window the inner check decides; a block that would reach into a window ends where the window
    starts, so the engine's jump from block to block still lands on the first allowed instant."""

    inner: Check
    windows: tuple[ConsentWindow, ...]  # sorted by start

    @property
    def rule(self) -> str:
        return self.inner.rule

    def window(self, t: dt.datetime) -> ConsentWindow | None:
        return next((w for w in self.windows if w.start <= t < w.end), None)

    def waived(self, t: dt.datetime) -> tuple[ConsentWindow, Block] | None:
        """The window and the block it lifts at `t` (None: nothing waived here)."""
        window = self.window(t)
        if window is None:
            return None
        block = self.inner.check(t)
        return (window, block) if block is not None else None

    def check(self, t: dt.datetime) -> Block | None:
        if self.window(t) is not None:
            return None
        block = self.inner.check(t)
        if block is None:
            return None
        opens = next((w.start for w in self.windows if w.start > t), None)
        if opens is not None and (block.until is None or opens < block.until):
            return Block(block.rule, block.reason, opens)
        return block


@lru_cache(maxsize=64)
def holiday_calendar(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


def _span(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 86400 == 0 and seconds >= 5 * 86400:
        return f"{seconds // 86400} days"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"


def parse_span(value: str) -> dt.timedelta:
    """'5m', '72h', '30d' -> a timedelta."""
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"{value!r} is not a span like 5m, 72h or 30d")
    return dt.timedelta(seconds=int(text[:-1]) * units[text[-1]])
