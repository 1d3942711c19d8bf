"""The session's bookkeeping of a payment plan: the parts of one turn, and a settlement before them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dialer.session.outcome import Outcome
from dialogue.interfaces import RecordPromise, RecordSettlement
from tests.session.fakes import spec

FRIDAY, LATER = dt.date(2026, 1, 16), dt.date(2026, 1, 30)


def test_a_settlement_travels_with_the_parts_it_pays() -> None:
    outcome = Outcome(spec())
    outcome.apply(RecordSettlement(Decimal("100")))
    outcome.apply(RecordPromise(FRIDAY, Decimal("40")))
    outcome.apply(RecordPromise(LATER, None))
    report = outcome.report(())
    assert report.settlement_total == Decimal("100")
    assert report.plan == ((FRIDAY, Decimal("40")), (LATER, None))
    assert (report.promise_date, report.promise_amount) == (FRIDAY, Decimal("40"))


def test_a_later_plan_without_settlement_replaces_it() -> None:
    outcome = Outcome(spec())
    outcome.apply(RecordSettlement(Decimal("100")))
    outcome.apply(RecordPromise(FRIDAY, Decimal("40")))
    outcome.callee_turn("ok", 1.0, 2.0)
    outcome.apply(RecordPromise(LATER, Decimal("120.50")))
    report = outcome.report(())
    assert report.settlement_total is None
    assert report.plan == ((LATER, Decimal("120.50")),)
