"""Wall-clock time in a zone, DST included: when does a local time of day actually happen?

A local time can happen twice (the autumn overlap) or never (the spring gap). Rules speak in local wall
time ("not before 08:00"), so every boundary is turned into the UTC instants where the wall clock reaches
it: both instants in an overlap, and the end of the gap when the time does not exist that day (a window
that opens at 02:30 on a spring-forward night opens when the clock jumps past it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = dt.UTC
MIDNIGHT = dt.time(0, 0)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The naive wall-clock reading of an aware instant in a zone."""
    return instant.astimezone(tz).replace(tzinfo=None)


@lru_cache(maxsize=200_000)
def wall_instants(day: dt.date, at: dt.time, tz: ZoneInfo) -> tuple[dt.datetime, ...]:
    """UTC instants where the wall clock of `tz` reaches `day at`, earliest first."""
    wall = dt.datetime.combine(day, at)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if local(first, tz) == wall:
        return (first,) if first == second or local(second, tz) != wall else tuple(sorted({first, second}))
    # A gap: find the first instant whose wall reading is at or after `wall` (the jump).
    lo, hi = sorted((first, second))
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while lo_s < hi_s:
        mid = (lo_s + hi_s) // 2
        if local(dt.datetime.fromtimestamp(mid, UTC), tz) >= wall:
            hi_s = mid
        else:
            lo_s = mid + 1
    return (dt.datetime.fromtimestamp(lo_s, UTC),)


def day_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first instant of a local date (midnight, or the end of a gap at midnight)."""
    return wall_instants(day, MIDNIGHT, tz)[0]


def parse_days(spec: str | Iterable[str] | None) -> frozenset[int]:
    """'mon-fri', 'sat,sun', ['mon', 'wed'] or None (every day) -> weekday numbers (0 = Monday)."""
    if spec is None or spec == "" or spec == "all":
        return frozenset(range(7))
    parts: list[str] = []
    for item in [spec] if isinstance(spec, str) else spec:
        parts += [p.strip().lower() for p in str(item).split(",") if p.strip()]
    days: set[int] = set()
    for part in parts:
        first, _, last = part.partition("-")
        if first[:3] not in DAY_NAMES or (last and last[:3] not in DAY_NAMES):
            raise ValueError(f"unknown day {part!r} (use mon..sun, ranges like mon-fri)")
        a = DAY_NAMES.index(first[:3])
        b = DAY_NAMES.index(last[:3]) if last else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def in_daily_interval(wall: dt.datetime, start: dt.time, end: dt.time, days: frozenset[int]) -> bool:
    """Is `wall` inside [start, end) on one of `days`? `end` <= `start` wraps into the next day."""
    t = wall.time()
    if start < end:
        return wall.weekday() in days and start <= t < end
    if end == start:  # a whole day
        return wall.weekday() in days
    if t >= start:
        return wall.weekday() in days
    return t < end and (wall.weekday() - 1) % 7 in days


def candidates(
    after: dt.datetime, tz: ZoneInfo, times: Iterable[dt.time], horizon_days: int
) -> Iterator[dt.datetime]:
    """Instants after `after` where the wall clock of `tz` reaches one of `times`, in order."""
    times = sorted(set(times) | {MIDNIGHT})
    start_day = local(after, tz).date() - dt.timedelta(days=1)
    chunk = 7
    for offset in range(0, horizon_days + 2, chunk):
        batch: set[dt.datetime] = set()
        for i in range(offset, offset + chunk):
            day = start_day + dt.timedelta(days=i)
            for at in times:
                batch.update(wall_instants(day, at, tz))
        for instant in sorted(batch):
            if instant > after:
                yield instant


def next_open(
    after: dt.datetime,
    tz: ZoneInfo,
    blocked: Callable[[dt.datetime], bool],
    times: Iterable[dt.time],
    limit: dt.datetime,
) -> dt.datetime | None:
    """The first instant after `after` (and not beyond `limit`) where `blocked(wall)` is false.

    `times` must hold every wall time at which `blocked` can turn false; midnight is always included.
    """
    horizon_days = (limit - after).days + 2
    for instant in candidates(after, tz, times, horizon_days):
        if instant > limit:
            return None
        if not blocked(local(instant, tz)):
            return instant
    return None
