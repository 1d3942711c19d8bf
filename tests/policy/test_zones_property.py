"""Across every IANA zone (odd offsets, 30-minute DST, midnight transitions): a calling window's check and
its next opening agree with the wall clock, and nothing between a blocked instant and its end is open."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.policy.checks import WallCheck
from scheduler.policy.wallclock import in_daily_interval, local, zone

ZONES = sorted(zoneinfo.available_timezones())
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
TIMES = st.sampled_from([dt.time(h, m) for h in range(24) for m in (0, 15, 30, 45)])


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.integers(0, 3 * 365 * 86400),
    TIMES,
    TIMES,
    st.lists(st.floats(0, 1), min_size=4, max_size=4),
)
def test_window_opens_exactly_in_every_zone(
    name: str, offset: int, start: dt.time, end: dt.time, points: list[float]
) -> None:
    tz = zone(name)
    days = frozenset(range(7))
    t = START + dt.timedelta(seconds=offset)

    def blocked(wall: dt.datetime) -> bool:
        return not in_daily_interval(wall, start, end, days)

    check = WallCheck("W", (tz,), blocked, (start,), "outside", t + dt.timedelta(days=60))
    block = check.check(t)
    assert (block is None) == in_daily_interval(local(t, tz), start, end, days)
    if block is None:
        return
    assert block.until is not None and block.until > t
    assert in_daily_interval(local(block.until, tz), start, end, days)
    assert check.check(block.until) is None
    span = (block.until - t).total_seconds()
    for p in points:
        probe = t + dt.timedelta(seconds=int(span * p))
        if probe < block.until:
            assert check.check(probe) is not None, (name, probe)
    assert check.check(block.until - dt.timedelta(seconds=1)) is not None
