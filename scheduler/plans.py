"""Payment plans: the parts agreed on one call, and the reminder call before each part's date.

A plan is a `PaymentPlan` row whose parts are `Promise` rows (plan_id, part_no). While a part is still to
come the account is not called, except once from `days` before that part's date (midnight UTC): a
reminder, planned and decided by the policy engine like any call (every rule still applies).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from scheduler.models import Attempt, PaymentPlan, Promise

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


def plans_of(
    session: Session, account_ids: list[int]
) -> dict[int, list[tuple[int, int, dt.date, object, str]]]:
    """account id -> [(plan id, part no, date, amount, status)] in order (reports)."""
    out: dict[int, list[tuple[int, int, dt.date, object, str]]] = {}
    for account_id, plan_id, part_no, date, amount, status in session.execute(
        sa.select(Promise.account_id, Promise.plan_id, Promise.part_no, Promise.promised_date, Promise.amount,
                  Promise.status)
        .where(Promise.account_id.in_(account_ids), Promise.plan_id.is_not(None))
        .order_by(Promise.plan_id, Promise.part_no)
    ):  # fmt: skip
        out.setdefault(account_id, []).append((int(plan_id or 0), int(part_no or 0), date, amount, status))
    return out
