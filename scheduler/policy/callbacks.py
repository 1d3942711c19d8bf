"""Calls the consumer asked for: the consent exception to call-frequency rules.

Reg F 12 CFR 1006.14(b)(3)(i) excludes from the 7-in-7 count and the 7-day lock after a conversation the
calls placed with the consumer's prior consent given directly to the collector within the past seven
days. A callback request ("call me back at 4:30 tomorrow") is such consent, for a call at that time.

A profile grants the exception as data, for its own counting rules only (no file can waive another
jurisdiction's cap, a calling window or an opt-out):

    [[rules]]
    id = "U3-U4-CONSENT"
    kind = "callback_consent"
    waives = ["U3", "U4"]      # ids of this profile's cap / lock_after rules
    tolerance = "30m"          # the call may be placed this long either side of the requested time
    consent_days = 7           # the consent lapses after this many local days (the day it was given = day 1)

A profile without such a rule grants nothing, so a missing setting never loosens a rule. The consented
call itself is an ordinary history entry: it counts for every later call.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from scheduler.policy.case import DecisionCase
from scheduler.policy.checks import ConsentWindow, parse_span
from scheduler.policy.profiles import Rule
from scheduler.policy.wallclock import day_start, local


def consent_windows(case: DecisionCase, zones: tuple[ZoneInfo, ...], rule: Rule) -> tuple[ConsentWindow, ...]:
    """When each of the case's callback requests (about this debt, on this number) may be honoured."""
    tolerance = parse_span(str(rule.get("tolerance")))
    days = dt.timedelta(days=int(rule.get("consent_days")))
    waived = "/".join(rule.get("waives"))
    out = []
    for request in case.callbacks:
        if request.debt != case.debt or request.asked_at > case.now:
            continue
        if request.number is not None and request.number != case.contact.number:
            continue
        lapses = min(day_start(local(request.asked_at, tz).date() + days, tz) for tz in zones)
        start = max(request.at - tolerance, request.asked_at)
        end = min(request.at + tolerance, lapses)
        if start >= end:
            continue
        wall = local(request.at, zones[0])
        reason = (
            f"{waived} waived for a call the consumer asked for: asked {_utc(request.asked_at)} for "
            f"{wall:%a %Y-%m-%d %H:%M} {zones[0]} (+/- {_minutes(tolerance)}, consent given within "
            f"{days.days} days) [{rule.source}]"
        )
        out.append(ConsentWindow(start, end, rule.id, reason))
    return tuple(sorted(out, key=lambda w: (w.start, w.end)))


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%MZ")


def _minutes(span: dt.timedelta) -> str:
    return f"{int(span.total_seconds()) // 60} min"
