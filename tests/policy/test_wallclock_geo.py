"""Wall-clock boundaries across DST, and where a debtor might be."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.policy.geo import BadNumber, address_facts, number_facts
from scheduler.policy.wallclock import (
    day_start,
    in_daily_interval,
    next_open,
    parse_days,
    wall_instants,
    zone,
)

UTC = dt.UTC
NY = zone("America/New_York")


def test_nonexistent_local_time_happens_at_the_jump() -> None:
    assert wall_instants(dt.date(2026, 3, 8), dt.time(2, 30), NY) == (dt.datetime(2026, 3, 8, 7, tzinfo=UTC),)
    berlin = zone("Europe/Berlin")
    assert wall_instants(dt.date(2026, 3, 29), dt.time(2, 0), berlin) == (
        dt.datetime(2026, 3, 29, 1, tzinfo=UTC),
    )


def test_repeated_local_time_happens_twice() -> None:
    assert wall_instants(dt.date(2026, 11, 1), dt.time(1, 30), NY) == (
        dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    )


def test_midnight_gap_day_start() -> None:
    # Chile springs forward at 24:00 -> 01:00 (first Sunday of September 2026: 2026-09-06)
    santiago = zone("America/Santiago")
    start = day_start(dt.date(2026, 9, 6), santiago)
    assert start.astimezone(santiago).replace(tzinfo=None) == dt.datetime(2026, 9, 6, 1, 0)


def test_wrapping_intervals_and_days() -> None:
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    night = (dt.time(22, 0), dt.time(7, 0), parse_days("fri"))
    assert in_daily_interval(dt.datetime(2026, 1, 9, 23, 0), *night)  # Friday 23:00
    assert in_daily_interval(dt.datetime(2026, 1, 10, 6, 59), *night)  # Saturday 06:59 (Friday's night)
    assert not in_daily_interval(dt.datetime(2026, 1, 10, 7, 0), *night)
    assert not in_daily_interval(dt.datetime(2026, 1, 10, 23, 0), *night)  # Saturday night not listed
    with pytest.raises(ValueError, match="unknown day"):
        parse_days("weekdays")


def test_next_open_crosses_the_gap() -> None:
    after = dt.datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST

    def blocked(wall: dt.datetime) -> bool:
        return wall.time() < dt.time(2, 30)

    limit = after + dt.timedelta(days=3)
    assert next_open(after, NY, blocked, [dt.time(2, 30)], limit) == dt.datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert next_open(after, NY, lambda w: True, [], limit) is None


def test_split_area_code_has_both_zones() -> None:
    facts = number_facts("+18505550100")
    assert set(facts.zones) == {"America/Chicago", "America/New_York"}
    assert facts.subdivision == "FL"
    assert number_facts("+16175550100").subdivision == "MA"
    assert number_facts("+18005550100").zones == ()  # toll free: no location
    with pytest.raises(BadNumber):
        number_facts("+1617")


def test_address_zones() -> None:
    assert address_facts("US", "MA", "02139").zones == ("America/New_York",)
    assert address_facts("US", None, "79901").zones == ("America/Denver",)  # El Paso
    conflicting = address_facts("US", "WA", "02139")
    assert set(conflicting.zones) == {"America/New_York", "America/Los_Angeles"}
    assert conflicting.subdivisions == ("MA", "WA")
    assert address_facts("CN", "新疆", None).zones == ("Asia/Shanghai", "Asia/Urumqi")
    assert address_facts("US", None, None).zones == ()
