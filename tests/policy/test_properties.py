"""Property-based tests: over random histories and random instants in every zone the profiles cover,
around DST changes included, an allowed decision never breaks a window or a cap (checked by a naive,
independent oracle), the next allowed time is itself allowed, and nothing between now and it is."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.policy import (
    CallbackRequest,
    CampaignLimits,
    ComplianceProfile,
    ContactInfo,
    DebtorInfo,
    DecisionCase,
    HistoryEntry,
    StatedTime,
    decide,
    load_profiles,
)
from scheduler.policy.case import CALL_RESULTS
from scheduler.policy.checks import parse_span
from scheduler.policy.rules import COUNTS

PROFILES = load_profiles()
UTC = dt.UTC

# (debtor address, numbers) across zones: split area codes, Hawaii, Alaska, Arizona (no DST), China, UK, EU
PEOPLE = [
    (DebtorInfo("US", "HI"), ("+18085550100", "+18085550111")),
    (DebtorInfo("US", "AK", "99501"), ("+19075550100",)),
    (DebtorInfo("US", None, "98101"), ("+12125550100", "+12065550100")),
    (DebtorInfo("US"), ("+18505550100",)),
    (DebtorInfo("US", "MA", "02139"), ("+16175550100", "+15085550100")),
    (DebtorInfo("US", "AZ", "85001"), ("+16025550100", "+13035550100")),
    (DebtorInfo("US", "WA", "98101"), ("+15095550100",)),
    (DebtorInfo("US", "TX", "79901"), ("+19155550100", "+12145550100")),
    (DebtorInfo("CN", "XJ"), ("+8613800138000", "+8613900139000")),
    (DebtorInfo("GB", None, "SW1A 1AA"), ("+447911123456", "+442071234567")),
    (DebtorInfo("DE", None, "10115"), ("+4930123456", "+491701234567")),
]
# DST transitions of the covered zones (2026-2027): instants near them are drawn often
TRANSITIONS = [
    dt.datetime(2026, 3, 8, 7, tzinfo=UTC),
    dt.datetime(2026, 3, 29, 1, tzinfo=UTC),
    dt.datetime(2026, 10, 25, 1, tzinfo=UTC),
    dt.datetime(2026, 11, 1, 6, tzinfo=UTC),
    dt.datetime(2027, 3, 14, 10, tzinfo=UTC),
    dt.datetime(2027, 11, 7, 9, tzinfo=UTC),
]
START = dt.datetime(2026, 1, 1, tzinfo=UTC)
# mostly unanswered calls (the caps bite), sometimes anything (wrong_party blocks the number for good)
COMMON_RESULTS = [
    "no_answer",
    "no_answer",
    "voicemail",
    "busy",
    "failed",
    "conversation",
    "abandoned",
    "refused",
]
RESULTS = st.one_of(
    st.sampled_from(COMMON_RESULTS), st.sampled_from(COMMON_RESULTS), st.sampled_from(sorted(CALL_RESULTS))
)

instants = st.one_of(
    st.integers(0, 2 * 365 * 86400).map(lambda s: START + dt.timedelta(seconds=s)),
    st.tuples(st.sampled_from(TRANSITIONS), st.integers(-2 * 86400, 2 * 86400)).map(
        lambda p: p[0] + dt.timedelta(seconds=p[1])
    ),
)


@st.composite
def cases(draw: st.DrawFn) -> DecisionCase:
    debtor, numbers = draw(st.sampled_from(PEOPLE))
    now = draw(instants)
    if draw(st.booleans()):
        start = dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
        end = dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
        debtor = DebtorInfo(
            debtor.country,
            debtor.state,
            debtor.postal_code,
            (StatedTime(frozenset(draw(st.sets(st.integers(0, 6), min_size=1))), start, end),),
        )
    number = draw(st.sampled_from(numbers))
    contact = ContactInfo(number, draw(st.sampled_from(["mobile", "fixed_line"])), draw(st.booleans()))
    if draw(st.integers(0, 19)) > 0:
        contact = ContactInfo(contact.number, contact.line_type, contact.personal, consent_at=START)
    spread = draw(st.sampled_from([900, 86400, 3 * 86400, 8 * 86400, 12 * 86400]))
    history = tuple(
        HistoryEntry(
            now - dt.timedelta(seconds=draw(st.integers(1, spread))),
            draw(st.sampled_from(numbers)),
            draw(st.sampled_from(["A", "B"])),
            draw(RESULTS),
            draw(st.sampled_from(["outbound", "outbound", "inbound"])),
        )
        for _ in range(draw(st.integers(0, 16)))
    )
    campaign = CampaignLimits()
    if draw(st.booleans()):
        campaign = CampaignLimits(
            window_from=dt.time(draw(st.integers(6, 12)), 0),
            window_to=dt.time(draw(st.integers(13, 23)), draw(st.sampled_from([0, 30]))),
            max_attempts_per_day=draw(st.integers(1, 4)),
            live_agent=draw(st.booleans()),
        )
    callbacks: tuple[CallbackRequest, ...] = ()
    if draw(st.integers(0, 2)) == 0:  # the consumer asked for calls near now (consent exception windows)
        asked = now - dt.timedelta(seconds=draw(st.integers(0, 9 * 86400)))
        callbacks = tuple(
            CallbackRequest(
                asked_at=asked,
                at=now + dt.timedelta(seconds=draw(st.integers(-3600, 3600))),
                debt=draw(st.sampled_from(["A", "A", "A", "B"])),
                number=draw(st.sampled_from([None, number, number, *numbers])),
            )
            for _ in range(draw(st.integers(1, 2)))
        )
        if draw(st.booleans()):  # the conversation the request was made in (it locks the debt: U4)
            history += (HistoryEntry(asked, number, "A", "conversation"),)
    return DecisionCase(now, debtor, contact, "A", history, campaign, None, callbacks)


@st.composite
def callback_cases(draw: st.DrawFn) -> DecisionCase:
    """A conversation, a request in it for a call hours or days later, and an instant near that call."""
    case = draw(cases())
    asked = case.now
    zones = decide(case, PROFILES).zones
    tz = ZoneInfo(zones[0]) if zones else UTC
    day = asked.astimezone(tz).date() + dt.timedelta(days=draw(st.integers(0, 9)))
    wall = dt.datetime.combine(day, dt.time(draw(st.integers(7, 21)), draw(st.sampled_from([0, 15, 30, 45]))))
    at = max(wall.replace(tzinfo=tz).astimezone(UTC), asked + dt.timedelta(minutes=10))  # mostly daytime
    offset = draw(
        st.one_of(st.sampled_from([-3600, -1801, -1800, -60, 0, 1799, 1800]), st.integers(-3600, 3600))
    )
    now = max(at + dt.timedelta(seconds=offset), asked)  # the engine knows no future history
    number = case.contact.number
    request = CallbackRequest(asked, at, "A", draw(st.sampled_from([None, number])))
    history = (*(h for h in case.history if h.at <= asked), HistoryEntry(asked, number, "A", "conversation"))
    contact = replace(case.contact, consent_at=START)  # T1 would hide everything else
    return replace(case, now=now, contact=contact, history=history, callbacks=(request,))


def _in(wall: dt.datetime, start: dt.time, end: dt.time, days: frozenset[int]) -> bool:
    t = wall.time()
    if start < end:
        return wall.weekday() in days and start <= t < end
    if start == end:
        return wall.weekday() in days
    return (t >= start and wall.weekday() in days) or (t < end and (wall.weekday() - 1) % 7 in days)


def waived(case: DecisionCase, profile: ComplianceProfile, tzs: list[ZoneInfo]) -> set[str]:
    """The ids of the profile's rules its consent exception lifts at case.now (naively, one by one)."""
    out: set[str] = set()
    now = case.now
    for rule in profile.rules:
        if rule.kind != "callback_consent":
            continue
        tolerance = parse_span(rule.get("tolerance"))
        for cb in case.callbacks:
            fresh = all(
                (now.astimezone(tz).date() - cb.asked_at.astimezone(tz).date()).days
                < rule.get("consent_days")
                for tz in tzs
            )
            if (
                cb.debt == case.debt
                and cb.number in (None, case.contact.number)
                and cb.asked_at <= now
                and cb.at - tolerance <= now < cb.at + tolerance
                and fresh
            ):
                out.update(rule.get("waives"))
    return out


def violations(case: DecisionCase, zones: tuple[str, ...], profile_labels: tuple[str, ...]) -> list[str]:
    """A naive oracle: which window or cap would a call at case.now break?"""
    out: list[str] = []
    now = case.now
    applied = [PROFILES.get(label.split("@")[0]) for label in profile_labels]
    tzs = [ZoneInfo(z) for z in zones]
    line_type = case.contact.line_type
    past = [h for h in case.history if h.at <= now]
    for profile in applied:
        lifted = waived(case, profile, tzs)
        for rule in profile.rules:
            if rule.id in lifted:
                continue
            if rule.get("line_types") is not None and line_type not in rule.get("line_types"):
                continue
            if rule.get("personal") is not None and rule.get("personal") != case.contact.personal:
                continue
            rule_zones = [ZoneInfo(rule.get("zone"))] if rule.get("zone") else tzs
            if rule.kind == "window":
                start, end = dt.time.fromisoformat(rule.get("from")), dt.time.fromisoformat(rule.get("to"))
                for tz in rule_zones:
                    if not _in(now.astimezone(tz).replace(tzinfo=None), start, end, frozenset(range(7))):
                        out.append(f"{rule.id} window in {tz}")
            elif rule.kind == "stated_times":
                for s in case.debtor.inconvenient_times:
                    for tz in rule_zones:
                        if _in(now.astimezone(tz).replace(tzinfo=None), s.start, s.end, s.days):
                            out.append(f"{rule.id} stated time in {tz}")
            elif rule.kind == "cap":
                if rule.get("unless_consent") and case.contact.consent_at is not None:
                    continue
                if rule.get("unless_live_agent") and case.campaign.live_agent:
                    continue
                counted = COUNTS[rule.get("counts")]
                scope = rule.get("scope")
                mine = [
                    h
                    for h in past
                    if h.result in counted
                    and (rule.get("inbound") or h.direction == "outbound")
                    and (
                        (scope == "debt" and h.debt == case.debt)
                        or (scope == "number" and h.number == case.contact.number)
                        or scope == "debtor"
                    )
                ]
                if "rolling" in rule.params:
                    span = parse_span(rule.get("rolling"))
                    count = sum(1 for h in mine if now - span < h.at)
                    if count >= rule.get("limit"):
                        out.append(f"{rule.id} rolling cap")
                else:
                    for tz in rule_zones:
                        today = now.astimezone(tz).date()
                        count = sum(
                            1
                            for h in mine
                            if 0 <= (today - h.at.astimezone(tz).date()).days < rule.get("days")
                        )
                        if count >= rule.get("limit"):
                            out.append(f"{rule.id} calendar cap in {tz}")
            elif rule.kind == "lock_after":
                for h in past:
                    if h.result in rule.get("results") and h.debt == case.debt:
                        for tz in rule_zones:
                            days = (now.astimezone(tz).date() - h.at.astimezone(tz).date()).days
                            if 0 <= days < rule.get("days"):
                                out.append(f"{rule.id} lock in {tz}")
    c = case.campaign
    if c.window_from and c.window_to:
        for tz in tzs:
            if not _in(
                now.astimezone(tz).replace(tzinfo=None), c.window_from, c.window_to, frozenset(range(7))
            ):
                out.append("CAMPAIGN window")
    if c.max_attempts_per_day is not None:
        for tz in tzs:
            today = now.astimezone(tz).date()
            n = sum(
                1
                for h in past
                if h.debt == case.debt
                and h.result != "failed"
                and h.direction == "outbound"
                and h.at.astimezone(tz).date() == today
            )
            if n >= c.max_attempts_per_day:
                out.append("CAMPAIGN daily cap")
    return out


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cases())
def test_allowed_decisions_break_no_window_or_cap(case: DecisionCase) -> None:
    allowed_decisions_break_no_window_or_cap(case)


def allowed_decisions_break_no_window_or_cap(case: DecisionCase) -> None:
    decision = decide(case, PROFILES)
    oracle = violations(case, decision.zones, decision.profiles)
    if decision.allow:
        assert oracle == [], (decision, oracle)
    elif decision.rule not in ("T1", "U6", "U8", "C4", "K1", "E1", "DATA", "T2"):
        # a time-bound deny must be explained by something the oracle sees too
        assert oracle or decision.rule in ("U2", "C4"), decision


@FAST
@given(cases(), st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_next_allowed_time_is_allowed_and_nothing_before_it(case: DecisionCase, points: list[float]) -> None:
    next_allowed_time_is_allowed_and_nothing_before_it(case, points)


def next_allowed_time_is_allowed_and_nothing_before_it(
    case: DecisionCase, points: list[float], extra: tuple[dt.datetime, ...] = ()
) -> None:
    decision = decide(case, PROFILES)
    if decision.next_allowed_at is None:
        assert not decision.allow
        return
    nxt = decision.next_allowed_at
    assert nxt >= case.now
    later = decide(case.at(nxt), PROFILES)
    assert later.allow, (decision, later)
    assert violations(case.at(nxt), later.zones, later.profiles) == []
    if decision.allow:
        assert nxt == case.now
        return
    span = (nxt - case.now).total_seconds()
    probes = [case.now + dt.timedelta(seconds=int(span * p)) for p in points]
    probes += [nxt - dt.timedelta(seconds=1), *extra]
    for probe in probes:
        if case.now <= probe < nxt:
            assert not decide(case.at(probe), PROFILES).allow, (decision, probe)


@FAST
@given(callback_cases())
def test_allowed_callbacks_break_no_other_rule(case: DecisionCase) -> None:
    allowed_decisions_break_no_window_or_cap(case)


@FAST
@given(callback_cases(), st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_next_allowed_time_with_callbacks(case: DecisionCase, points: list[float]) -> None:
    # also where a consent window would open: a block that skips over it is caught there
    edges = tuple(cb.at + dt.timedelta(minutes=m) for cb in case.callbacks for m in (-30, 0, 29))
    next_allowed_time_is_allowed_and_nothing_before_it(case, points, edges)


@FAST
@given(st.one_of(cases(), callback_cases()))
def test_callback_requests_only_ever_lift_the_rules_they_name(case: DecisionCase) -> None:
    """The consent exception never turns an allow into a deny, and where it turns a deny into an allow the
    deny was a waived rule's (U3 or U4) and the allow names the exception."""
    with_requests = decide(case, PROFILES)
    without = decide(replace(case, callbacks=()), PROFILES)
    if without.allow:
        assert with_requests.allow and with_requests.rule == "ALLOW", (without, with_requests)
    elif with_requests.allow:
        assert (without.rule, with_requests.rule) in {("U3", "U3-U4-CONSENT"), ("U4", "U3-U4-CONSENT")}
        assert case.callbacks
    if without.next_allowed_at is not None:  # a request can only bring the next allowed time forward
        assert with_requests.next_allowed_at is not None
        assert with_requests.next_allowed_at <= without.next_allowed_at
