"""The compliance policy engine: one pure function from a case to a decision.

    decide(case, profiles) -> Decision(allow, rule, reason, next_allowed_at, profiles)

An allow is ALLOW, or the id of the consent exception (callbacks.py) when it lifted a cap or a lock.

No database, no clock, no environment: the same case gives the same decision on any host, which is what
an audit needs. The next allowed time is found by jumping from block to block (see checks.py): exact to
the second, DST included, and null when nothing opens within the horizon (60 days by default).
"""

from __future__ import annotations

import datetime as dt

from scheduler.policy.case import Decision, DecisionCase
from scheduler.policy.checks import Block, Check, Waivable
from scheduler.policy.profiles import ProfileSet
from scheduler.policy.resolve import MissingData, applicable_profiles, resolve
from scheduler.policy.rules import Builder

DEFAULT_HORIZON = dt.timedelta(days=60)
ALLOW_RULE = "ALLOW"
DATA_RULE = "DATA"
MAX_STEPS = 10_000


def _dominant(blocks: list[Block]) -> Block:
    """The block that matters most: one with no end first, else the one that lasts longest."""
    forever = [b for b in blocks if b.until is None]
    if forever:
        return forever[0]
    return max(blocks, key=lambda b: b.until or dt.datetime.max.replace(tzinfo=dt.UTC))


def _allow(
    checks: list[Check], now: dt.datetime, labels: tuple[str, ...], zones: tuple[str, ...]
) -> Decision:
    """An allow names the consent exception when one lifted a block (the audit must show why)."""
    lifted = [w for c in checks if isinstance(c, Waivable) and (w := c.waived(now)) is not None]
    if not lifted:
        return Decision(True, ALLOW_RULE, "every applicable rule allows this call now", now, labels, zones)
    window = lifted[0][0]
    blocks = "; ".join(f"{b.rule}: {b.reason}" for _, b in lifted)
    return Decision(True, window.rule, f"{window.reason}; lifted: {blocks}", now, labels, zones)


def _then(checks: list[Check], t: dt.datetime, reason: str) -> str:
    """A deny whose next allowed time is a consented callback says so."""
    lifted = next((w for c in checks if isinstance(c, Waivable) and (w := c.waived(t)) is not None), None)
    return f"{reason}; next: a call the consumer asked for ({lifted[0].rule})" if lifted else reason


def decide(case: DecisionCase, profiles: ProfileSet, horizon: dt.timedelta = DEFAULT_HORIZON) -> Decision:
    """Allow or deny a dial at `case.now`; the rule, a reason, the next allowed instant, the profiles."""
    if case.now.tzinfo is None:
        raise ValueError("now: naive timestamp (give a UTC offset)")
    now = case.now.astimezone(dt.UTC)
    try:
        resolved = resolve(case, profiles)
    except MissingData as exc:
        try:
            labels = tuple(p.label for p in applicable_profiles(case, profiles, []))
        except KeyError:
            labels = ()
        return Decision(False, DATA_RULE, f"missing data: {exc}", None, labels)
    labels = tuple(p.label for p in resolved.profiles)
    zones = tuple(str(z) for z in resolved.zones)
    limit = now + horizon
    checks = Builder(case, resolved, limit).build()

    first: Block | None = None
    t = now
    for _ in range(MAX_STEPS):
        blocks = [b for c in checks if (b := c.check(t)) is not None]
        if not blocks:
            if first is None:
                return _allow(checks, now, labels, zones)
            return Decision(False, first.rule, _then(checks, t, first.reason), t, labels, zones)
        if first is None:
            first = _dominant(blocks)
        ends = [b.until for b in blocks]
        if any(e is None for e in ends):
            break
        t = max(e for e in ends if e is not None)
        if t > limit:
            break
    assert first is not None
    return Decision(False, first.rule, first.reason, None, labels, zones)
