"""Payment plans: the parts agreed on one call, and the reminder call before each part's date.

A plan is a `PaymentPlan` row whose parts are `Promise` rows (plan_id, part_no). While a part is still to
come the account is not called, except once from `days` before that part's date (midnight UTC): a
reminder, planned and decided by the policy engine like any call (every rule still applies).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler.models import Account, Attempt, Campaign, PaymentPlan, Promise

REMINDED_STATES = ("queued", "claimed", "dialing", "done", "interrupted")


@dataclass(frozen=True, slots=True)
class PlanReminder:
    """The next part of an account's plan and when its reminder may be made; `made`: it is under way or
    done (an attempt since `due_from`)."""

    part_no: int
    parts: int
    date: dt.date
    due_from: dt.datetime
    made: bool

    def describe(self) -> str:
        return f"payment plan part {self.part_no} of {self.parts} due {self.date.isoformat()}"


def next_reminder(
    session: Session, account_id: int, now: dt.datetime, days: int, exclude_attempt: int | None = None
) -> PlanReminder | None:
    """The reminder for the account's next plan part not yet due (None: no plan, or every part's date has
    come). `exclude_attempt`: the attempt being claimed does not count as the reminder already made."""
    row = session.execute(
        sa.select(Promise.part_no, Promise.promised_date, PaymentPlan.parts)
        .join(PaymentPlan, PaymentPlan.id == Promise.plan_id)
        .where(
            Promise.account_id == account_id,
            Promise.status == "pending",
            PaymentPlan.status == "pending",
            Promise.promised_date >= now.date(),
        )
        .order_by(Promise.promised_date, Promise.part_no)
        .limit(1)
    ).first()
    if row is None:
        return None
    part_no, date, parts = row
    due_from = dt.datetime.combine(date - dt.timedelta(days=days), dt.time(), dt.UTC)
    query = sa.select(sa.func.count()).where(
        Attempt.account_id == account_id,
        Attempt.state.in_(REMINDED_STATES),
        Attempt.scheduled_at >= due_from,
    )
    if exclude_attempt is not None:
        query = query.where(Attempt.id != exclude_attempt)
    made = bool(session.scalar(query))
    return PlanReminder(int(part_no or 0), int(parts), date, due_from, made)


@dataclass(frozen=True, slots=True)
class PlanPart:
    """One part of a payment plan, as reports and exports show it."""

    plan_id: int
    account_ref: str
    part_no: int
    parts: int
    date: dt.date
    amount: Decimal
    currency: str
    status: str
    attempt_id: int | None
    settlement: bool = False  # the plan settles the balance for less (its total)

    def as_dict(self) -> dict[str, object]:
        return {
            "plan": self.plan_id,
            "account": self.account_ref,
            "part": self.part_no,
            "parts": self.parts,
            "date": self.date.isoformat(),
            "amount": str(self.amount),
            "currency": self.currency,
            "status": self.status,
            "attempt": self.attempt_id,
            "settlement": self.settlement,
        }


PLAN_COLUMNS = (
    "plan",
    "account",
    "part",
    "parts",
    "date",
    "amount",
    "currency",
    "status",
    "attempt",
    "settlement",
)


def campaign_plan_parts(engine: Engine, campaign: str) -> list[PlanPart]:
    """Every part of every payment plan of the campaign's accounts, plan by plan, in the order agreed."""
    query = (
        sa.select(
            PaymentPlan.id, Account.account_ref, Promise.part_no, PaymentPlan.parts, Promise.promised_date,
            Promise.amount, Promise.currency, Promise.status, PaymentPlan.attempt_id, PaymentPlan.settlement,
        )
        .join(Promise, Promise.plan_id == PaymentPlan.id)
        .join(Account, Account.id == PaymentPlan.account_id)
        .join(Campaign, Campaign.id == Account.campaign_id)
        .where(Campaign.name == campaign)
        .order_by(PaymentPlan.id, Promise.part_no)
    )  # fmt: skip
    with engine.connect() as conn:
        return [
            PlanPart(
                int(r[0]), r[1], int(r[2] or 0), int(r[3]), r[4], Decimal(r[5]), r[6], r[7], r[8], bool(r[9])
            )
            for r in conn.execute(query).all()
        ]
