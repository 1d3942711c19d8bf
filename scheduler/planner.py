"""The campaign planner: which account is called on which number when, and why the others are not.

For each open account it applies, in order: the account's state (paid, disputed: stop), a pending promise
to pay (pause until the promised date has passed unpaid), work already queued, the shared attempt budget
per debtor and debt, the retry strategy by cause of the last attempt, and then the policy engine for every
usable number; the number that may be called soonest wins. Vacant and out-of-service numbers are
suppressed; trunk failures are retried at once (the trunk's back-off spaces them, scheduler.lifecycle)
and never use the debtor's attempt budget, though one that may have rung counts in the compliance history.
An attempt not placed through our own fault waits a normal retry, doubled for each such failure in a
row. A callback the consumer
asked for is planned at the time asked; the policy engine decides it like any call, and a profile that
grants the consent exception (Reg F 1006.14(b)(3)(i)) lets it through the frequency caps and locks.
Replies on record (attorney, bankruptcy, cease, deceased, dispute, language barrier) are the policy
engine's ACCOUNT rules; a debtor whose language has a script of its own in the campaign
(`scripts_by_language`) is called with that script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from scheduler.claims import GateVerdict, audit_verdict
from scheduler.models import Account, Attempt, Callback, Campaign, ContactNumber, PaymentPlan
from scheduler.plans import next_reminder
from scheduler.policy import CampaignLimits, Decision, ProfileSet, decide
from scheduler.policy.ledger_cases import (
    DebtorBundle,
    abandoned_rate,
    build_case,
    campaign_limits,
    load_bundles,
)
from scheduler.policy.wallclock import day_start, zone

UNUSABLE_STATUS = frozenset({"invalid", "vacant", "out_of_service", "suppressed"})
# a disputed account also carries a dispute flag (the policy's DISPUTE rule, `dialer policy explain`);
# `dialer policy resolve` opens both
STOP_ACCOUNT = frozenset({"paid", "disputed", "closed"})
LIVE_STATES = ("queued", "claimed", "dialing")
# never counted against the debtor's attempt budget (a trunk failure may still count in the compliance
# history: see scheduler.policy.ledger_cases); not_placed never left the host
NOT_COUNTED = frozenset({"trunk_failure", "not_placed"})
SUPPRESS = frozenset({"vacant", "out_of_service"})
# retried at once: on another number, or the policy decides (trunk failures are not the debtor's doing)
AT_ONCE = frozenset({"trunk_failure", "vacant", "out_of_service", "wrong_party", "opt_out"})
# replies on record (account flags): the policy's ACCOUNT rules decide at once whether anything may follow
FLAGGED = frozenset({"attorney", "bankruptcy", "cease", "deceased", "dispute", "language_barrier"})


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again, by the cause of the last attempt (campaign `retry_policy` overrides)."""

    busy_minutes: int = 15
    no_answer_hours: int = 4  # lands at another time of day
    voicemail_hours: int = 24
    # a call cut off by a crash may have reached the debtor moments ago: not straight back on the phone
    interrupted_minutes: int = 60
    live_agent: bool = False
    plan_reminder_days: int = 1  # a payment plan: the reminder call from this many days before each part

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RetryPolicy:
        known = {
            k: raw[k]
            for k in (
                "busy_minutes",
                "no_answer_hours",
                "voicemail_hours",
                "interrupted_minutes",
                "live_agent",
                "plan_reminder_days",
            )
            if k in raw
        }
        return cls(**known)

    def not_before(
        self, last: Attempt, zones: tuple[str, ...], callback: dt.datetime | None, streak: int = 1
    ) -> dt.datetime | None:
        """The earliest retry after `last`; None: never (on this account, until someone reviews it).
        `streak`: attempts in a row not placed through our own fault (each doubles the wait)."""
        ended = last.ended_at or last.dialing_at or last.scheduled_at
        disposition = last.disposition or last.result or ""
        if disposition == "not_placed":  # never sooner than a normal retry, later with every failure
            return ended + dt.timedelta(hours=self.no_answer_hours) * 2 ** max(0, min(streak, 10) - 1)
        if disposition == "busy":
            return ended + dt.timedelta(minutes=self.busy_minutes)
        if disposition in ("voicemail_left",):
            return ended + dt.timedelta(hours=self.voicemail_hours)
        if disposition == "unreachable":  # powered off: the next day
            tz = zone(zones[0]) if zones else dt.UTC
            return day_start(ended.astimezone(tz).date() + dt.timedelta(days=1), tz)  # type: ignore[arg-type]
        if disposition == "interrupted":
            return ended + dt.timedelta(minutes=self.interrupted_minutes)
        if disposition in AT_ONCE or disposition in FLAGGED:
            return ended  # at once (another number, or the policy decides)
        if disposition == "callback_requested" and callback is not None:
            return callback
        if disposition == "already_paid":
            return None
        return ended + dt.timedelta(hours=self.no_answer_hours)


@dataclass(frozen=True)
class PlanRow:
    account_ref: str
    number: str | None
    allow: bool
    rule: str
    reason: str
    at: dt.datetime | None
    profiles: tuple[str, ...] = ()
    queued: bool = False  # an attempt is (now) queued for this account


@dataclass
class PlanResult:
    rows: list[PlanRow] = field(default_factory=list)
    created: int = 0
    suppressed_numbers: int = 0

    def due_within(self, until: dt.datetime) -> list[PlanRow]:
        return [r for r in self.rows if r.allow and r.at is not None and r.at <= until]


@dataclass(frozen=True)
class _AccountFacts:
    live_at: dt.datetime | None
    used: int
    last: Attempt | None
    callback: dt.datetime | None


@dataclass(frozen=True)
class _Context:
    session: Session
    campaign: Campaign
    now: dt.datetime
    limits: CampaignLimits
    retry: RetryPolicy
    explicit: tuple[str, ...] | None
    horizon: dt.timedelta
    write: bool
    result: PlanResult


def _accounts(session: Session, campaign_id: int, batch: int) -> Iterator[list[Account]]:
    last_id = 0
    while True:
        rows = list(
            session.scalars(
                sa.select(Account)
                .where(Account.campaign_id == campaign_id, Account.id > last_id)
                .order_by(Account.id)
                .limit(batch)
            )
        )
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


class Planner:
    def __init__(self, profiles: ProfileSet, *, actor: str = "planner") -> None:
        self.profiles = profiles
        self.actor = actor

    def plan(
        self,
        session: Session,
        campaign: Campaign,
        now: dt.datetime,
        *,
        horizon: dt.timedelta = dt.timedelta(hours=24),
        write: bool = False,
        batch: int = 500,
    ) -> PlanResult:
        """Decide every account of the campaign at `now`; with `write`, queue attempts due within the
        horizon, suppress dead numbers and audit every decision. Without it: a preview, nothing written."""
        result = PlanResult()
        limits = campaign_limits(campaign, abandoned_rate(session, campaign.id, now))
        retry = RetryPolicy.from_dict(campaign.retry_policy or {})
        explicit = tuple(campaign.profiles) or None
        for accounts in _accounts(session, campaign.id, batch):
            ids = [a.id for a in accounts]
            live = dict(
                session.execute(
                    sa.select(Attempt.account_id, sa.func.min(Attempt.scheduled_at))
                    .where(Attempt.account_id.in_(ids), Attempt.state.in_(LIVE_STATES))
                    .group_by(Attempt.account_id)
                ).all()
            )
            used = dict(
                session.execute(
                    sa.select(Attempt.account_id, sa.func.count())
                    .where(
                        Attempt.account_id.in_(ids),
                        Attempt.state.in_(("done", "interrupted")),
                        sa.or_(Attempt.disposition.is_(None), Attempt.disposition.not_in(NOT_COUNTED)),
                    )
                    .group_by(Attempt.account_id)
                ).all()
            )
            last = _last_attempts(session, ids)
            callbacks: dict[int, dict[int | None, dt.datetime]] = {}
            for account_id, attempt_id, requested_at in session.execute(
                sa.select(Callback.account_id, Callback.attempt_id, Callback.requested_at)
                .where(Callback.account_id.in_(ids))
                .order_by(Callback.id)
            ):
                callbacks.setdefault(account_id, {})[attempt_id] = requested_at
            planned = set(  # accounts with a payment plan: a reminder may be due before a part
                session.scalars(
                    sa.select(PaymentPlan.account_id).where(
                        PaymentPlan.account_id.in_(ids), PaymentPlan.status == "pending"
                    )
                )
            )
            open_ = [
                a
                for a in accounts
                if a.status not in STOP_ACCOUNT
                and a.id not in live
                and (a.id in planned or not (a.promised_until is not None and now.date() <= a.promised_until))
                and int(used.get(a.id, 0)) < campaign.max_attempts_total
            ]  # only these need the debtor's facts and a policy decision
            bundles = load_bundles(session, sorted({a.debtor_id for a in open_}), now) if open_ else {}
            for account in accounts:
                facts = _AccountFacts(
                    live.get(account.id),
                    int(used.get(account.id, 0)),
                    last.get(account.id),
                    _callback(callbacks.get(account.id, {}), last.get(account.id)),
                )
                ctx = _Context(session, campaign, now, limits, retry, explicit, horizon, write, result)
                row = self._plan_account(ctx, account, bundles.get(account.debtor_id), facts)
                result.rows.append(row)
        return result

    def _plan_account(
        self, ctx: _Context, account: Account, bundle: DebtorBundle | None, facts: _AccountFacts
    ) -> PlanRow:
        session, campaign, now, limits, retry = ctx.session, ctx.campaign, ctx.now, ctx.limits, ctx.retry
        explicit, horizon, write, result = ctx.explicit, ctx.horizon, ctx.write, ctx.result
        live_at, used, last, callback = facts.live_at, facts.used, facts.last, facts.callback
        ref = account.account_ref
        if account.status in STOP_ACCOUNT:
            return PlanRow(ref, None, False, "ACCOUNT", f"the account is {account.status}", None)
        today = now.date()
        reminder = None
        if account.promised_until is not None:  # a plan keeps the account promised until its last part
            reminder = next_reminder(session, account.id, now, retry.plan_reminder_days)
        if reminder is not None and (reminder.made or reminder.due_from > now + horizon):
            why = f"{reminder.describe()}: reminder " + ("made" if reminder.made else "not due yet")
            return PlanRow(ref, None, False, "PLAN", why, None if reminder.made else reminder.due_from)
        if reminder is None and account.promised_until is not None and today <= account.promised_until:
            resume = dt.datetime.combine(account.promised_until + dt.timedelta(days=1), dt.time(), dt.UTC)
            return PlanRow(
                ref, None, False, "PROMISE", f"promise to pay until {account.promised_until}", resume
            )
        if live_at is not None:
            return PlanRow(ref, None, True, "QUEUED", "an attempt is already queued", live_at, queued=True)
        if used >= campaign.max_attempts_total:
            why = f"attempt budget used ({used} of {campaign.max_attempts_total} for this debtor and debt)"
            return PlanRow(ref, None, False, "BUDGET", why, None)
        assert bundle is not None  # loaded for every account that got this far
        numbers = [n for n in bundle.numbers if n.status not in UNUSABLE_STATUS and n.suppressed_at is None]
        if last is not None and (last.number_status in SUPPRESS or last.disposition in SUPPRESS):
            dead = next((n for n in numbers if n.id == last.contact_number_id), None)
            if dead is not None:
                numbers.remove(dead)
                if write:
                    dead.status = "suppressed"
                    dead.suppressed_at = now
                    dead.status_detail = f"{last.disposition or last.number_status} on attempt {last.id}"
                result.suppressed_numbers += 1
        if not numbers:
            return PlanRow(ref, None, False, "NUMBERS", "no usable number (all suppressed or invalid)", None)
        start = max(now, reminder.due_from) if reminder is not None else now
        if last is not None:
            zones = tuple(numbers[0].area_code_zones or ())
            streak = _not_placed_streak(session, account.id) if last.disposition == "not_placed" else 1
            not_before = retry.not_before(last, zones, callback, streak)
            if not_before is None:
                return PlanRow(
                    ref, None, False, "REVIEW", f"last outcome {last.disposition}: needs review", None
                )
            start = max(start, not_before)
        best: tuple[ContactNumber, Decision] | None = None
        for number in numbers:
            case = build_case(start, bundle, number, ref, limits, explicit)
            decision = decide(case, self.profiles)
            if write:
                verdict = GateVerdict(
                    decision.allow,
                    decision.rule,
                    decision.reason,
                    decision.next_allowed_at,
                    decision.profiles,
                )
                audit_verdict(
                    session, f"account:{ref}", verdict, now, self.actor, contact_number_id=number.id
                )
            if best is None or _sooner(decision, best[1]):
                best = (number, decision)
        assert best is not None
        number, decision = best
        at = decision.next_allowed_at
        queued = False
        if write and at is not None and at <= now + horizon:
            session.add(
                Attempt(
                    campaign_id=campaign.id,
                    account_id=account.id,
                    contact_number_id=number.id,
                    attempt_no=used + 1,
                    state="queued",
                    scheduled_at=at,
                    decision_rule=decision.rule,
                    created_at=now,
                    script=(campaign.scripts_by_language or {}).get(bundle.debtor.language or ""),
                )
            )
            result.created += 1
            queued = True
        allow = at is not None
        return PlanRow(ref, number.e164, allow, decision.rule, decision.reason, at, decision.profiles, queued)


def _callback(requests: dict[int | None, dt.datetime], last: Attempt | None) -> dt.datetime | None:
    """The time asked for on the last attempt (else the latest asked for on the account)."""
    if last is not None and last.id in requests:
        return requests[last.id]
    return max(requests.values(), default=None)


def _sooner(a: Decision, b: Decision) -> bool:
    if a.next_allowed_at is None:
        return False
    return b.next_allowed_at is None or a.next_allowed_at < b.next_allowed_at


def _not_placed_streak(session: Session, account_id: int) -> int:
    """How many of the account's latest ended attempts in a row were not placed (local failures)."""
    recent = session.scalars(
        sa.select(Attempt.disposition)
        .where(Attempt.account_id == account_id, Attempt.state.in_(("done", "interrupted")))
        .order_by(Attempt.id.desc())
        .limit(10)
    )
    streak = 0
    for disposition in recent:
        if disposition != "not_placed":
            break
        streak += 1
    return max(1, streak)


def _last_attempts(session: Session, account_ids: list[int]) -> dict[int, Attempt]:
    newest = (
        sa.select(Attempt.account_id, sa.func.max(Attempt.id).label("id"))
        .where(Attempt.account_id.in_(account_ids), Attempt.state.in_(("done", "interrupted")))
        .group_by(Attempt.account_id)
        .subquery()
    )
    rows = session.scalars(sa.select(Attempt).join(newest, newest.c.id == Attempt.id))
    return {a.account_id: a for a in rows}


def policy_gate(profiles: ProfileSet) -> Any:
    """The claim-time check: the same engine, on the ledger's current facts for this attempt."""

    def gate(session: Session, attempt: Attempt, now: dt.datetime) -> GateVerdict:
        campaign = session.get(Campaign, attempt.campaign_id)
        account = session.get(Account, attempt.account_id)
        if campaign is None or account is None:
            return GateVerdict(False, "DATA", "the attempt's campaign or account is gone")
        if campaign.state == "paused":
            return GateVerdict(False, "CAMPAIGN", "the campaign is paused", now + dt.timedelta(minutes=15))
        if campaign.state != "running":
            return GateVerdict(False, "CAMPAIGN", f"the campaign is {campaign.state}")
        if account.status in STOP_ACCOUNT:
            return GateVerdict(False, "ACCOUNT", f"the account is {account.status}")
        reminder = None
        if account.promised_until is not None:  # a plan keeps the account promised until its last part
            days = RetryPolicy.from_dict(campaign.retry_policy or {}).plan_reminder_days
            reminder = next_reminder(session, account.id, now, days, exclude_attempt=attempt.id)
        if reminder is not None and (reminder.made or now < reminder.due_from):
            why = f"{reminder.describe()}: reminder " + ("made" if reminder.made else "not due yet")
            return GateVerdict(False, "PLAN", why, None if reminder.made else reminder.due_from)
        if reminder is None and account.promised_until is not None and now.date() <= account.promised_until:
            resume = dt.datetime.combine(account.promised_until + dt.timedelta(days=1), dt.time(), dt.UTC)
            return GateVerdict(False, "PROMISE", f"promise to pay until {account.promised_until}", resume)
        bundle = load_bundles(session, [account.debtor_id], now)[account.debtor_id]
        number = next((n for n in bundle.numbers if n.id == attempt.contact_number_id), None)
        if number is None or number.status in UNUSABLE_STATUS or number.suppressed_at is not None:
            return GateVerdict(False, "NUMBERS", "the number is suppressed or invalid")
        limits = campaign_limits(campaign, abandoned_rate(session, campaign.id, now))
        case = build_case(now, bundle, number, account.account_ref, limits, tuple(campaign.profiles) or None)
        d = decide(case, profiles)
        return GateVerdict(d.allow, d.rule, d.reason, d.next_allowed_at, d.profiles)

    return gate
