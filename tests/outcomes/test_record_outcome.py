"""Recording an ended attempt on a real SQLite file and PostgreSQL: everything in one fenced transaction,
and what the planner and the policy gate make of it afterwards."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dialer.sip.recording import write_stereo
from scheduler import ledger as L
from scheduler.db import create_engine
from scheduler.models import (
    Account,
    Attempt,
    AuditEntry,
    CallTurn,
    ContactNumber,
    DncEntry,
    Promise,
    Recording,
)
from scheduler.outcomes import CallOutcome, PromiseOutcome, TurnOutcome
from scheduler.results import record_outcome, refuse_before_dial
from scheduler.sql_ledger import SqlLedger
from scheduler.vocabulary import Disposition, NumberStatus
from tests.outcomes.ledger_setup import LEASE, OWNER, attempts, dialing, plan, store
from tests.scheduler.seed import T0, migrated

END = T0 + dt.timedelta(minutes=2)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    value = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrated(value)
    yield value


def _record(
    url: str, outcome: CallOutcome, *, now: dt.datetime = END, owner: str = OWNER, **kw: object
) -> bool:
    engine = create_engine(url)
    try:
        return record_outcome(engine, owner, outcome, now, **kw)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _rows(url: str, query: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query).all()]
    engine.dispose()
    return rows


def _outcome(attempt_id: int, disposition: Disposition, **kw: object) -> CallOutcome:
    values: dict[str, object] = {
        "attempt_id": attempt_id,
        "ended_at": END,
        "disposition": disposition,
        "history_result": "conversation",
        "number_status": NumberStatus.valid,
        "number_status_evidence": "sip 200 answered",
        "sip_code": 200,
        "sip_reason": "OK",
        "answered_at": END - dt.timedelta(seconds=40),
        "talk_seconds": 40.0,
        "machine": "human",
    }
    return CallOutcome(**(values | kw))  # type: ignore[arg-type]


def test_a_promise_call_is_recorded_whole(url: str, tmp_path: Path) -> None:
    ids = dialing(url, {"a": ["+12125550100"]})
    data = tmp_path / "data"
    wav = write_stereo(str(data / "recordings" / "a.wav"), [b"\x01\x00" * 16000], [b"\x02\x00" * 8000], 8000)
    turns = (
        TurnOutcome(0, "bot", "Hello, this is Acme.", 0.4, 3.1, latency_ms=None),
        TurnOutcome(1, "callee", "I can pay on Friday", 3.8, 5.2, "promise_to_pay", 0.9),
        TurnOutcome(2, "bot", "Thank you.", 5.6, 6.5, latency_ms=410),
        TurnOutcome(3, "callee", "", 7.0, 7.1, "affirm", keys="1"),
    )
    outcome = _outcome(
        ids["a"],
        Disposition.promise_to_pay,
        promise=PromiseOutcome(dt.date(2026, 1, 16), None),
        turns=turns,
        recording_path="recordings/a.wav",
        opening_ms=380,
    )
    assert _record(url, outcome, data_dir=data)
    ledger = SqlLedger(create_engine(url))
    record = ledger.call_record(ids["a"])
    ledger.close()
    a = record.attempt
    assert (a.state, a.disposition, a.result, a.number_status, a.sip_code) == (
        "done", "promise_to_pay", "conversation", "valid", 200,
    )  # fmt: skip
    assert a.talk_seconds == 40.0 and a.answered_at == END - dt.timedelta(seconds=40)
    assert [(t.seq, str(t.speaker), t.latency_ms) for t in record.turns] == [
        (0, "bot", None), (1, "callee", None), (2, "bot", 410), (3, "callee", None),
    ]  # fmt: skip
    assert record.turns[1].started_at == END - dt.timedelta(seconds=40) + dt.timedelta(seconds=3.8)
    assert record.turns[1].intent == "promise_to_pay"
    measures = (Attempt.machine, Attempt.opening_ms, Attempt.number_status_evidence)
    assert _rows(url, sa.select(*measures)) == [("human", 380, "sip 200 answered")]
    keys = _rows(url, sa.select(CallTurn.seq, CallTurn.keys).order_by(CallTurn.seq))
    assert keys == [(0, None), (1, None), (2, None), (3, "1")]  # the keypad answer, in the database only
    (rec,) = record.recordings
    assert (rec.path, rec.channels, rec.sample_rate, rec.seconds) == ("recordings/a.wav", 2, 8000, 2.0)
    assert rec.sha256 == hashlib.sha256(Path(wav).read_bytes()).hexdigest()
    (promise,) = record.promises
    assert (promise.promised_date, promise.amount, promise.currency) == (
        dt.date(2026, 1, 16), Decimal("120.50"), "USD",
    )  # fmt: skip
    assert _rows(url, sa.select(Account.status, Account.promised_until)) == [
        ("promised", dt.date(2026, 1, 16))
    ]
    ((actor, action, subject, detail),) = _rows(
        url,
        sa.select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject, AuditEntry.detail).where(
            AuditEntry.action == "call.outcome"
        ),
    )
    assert (actor, action, subject) == (OWNER, "call.outcome", f"attempt:{ids['a']}")
    assert detail["opening_ms"] == 380 and detail["turn_latency_ms"] == [410]  # type: ignore[index]
    assert "Friday" not in str(detail) and "+1212" not in str(detail)  # no words or numbers in the audit
    # the promise pauses the account: the planner waits for the promised date
    assert plan(url, END)["a"].rule == "PROMISE"  # type: ignore[attr-defined]


def test_a_host_that_lost_its_lease_records_nothing(url: str) -> None:
    ids = dialing(url, {"a": ["+12125550100"]})
    later = T0 + LEASE + dt.timedelta(seconds=1)
    outcome = _outcome(
        ids["a"],
        Disposition.opt_out,
        opt_out="all",
        turns=(TurnOutcome(0, "bot", "Hello", 0.1),),
        promise=PromiseOutcome(dt.date(2026, 1, 16), Decimal("5")),
    )
    assert not _record(url, outcome, now=later)  # the lease ran out
    assert not _record(url, outcome, owner="h2")  # another host's attempt
    assert [a.state for a in attempts(url)] == ["dialing"]
    for table in (CallTurn, Promise, DncEntry):
        assert _rows(url, sa.select(sa.func.count()).select_from(table)) == [(0,)]
    assert _rows(url, sa.select(sa.func.count()).where(AuditEntry.action == "call.outcome")) == [(0,)]
    assert store(url, "h2").recover_expired(later).interrupted == 1


def test_a_failure_midway_rolls_everything_back(url: str) -> None:
    ids = dialing(url, {"a": ["+12125550100"]})
    bad = _outcome(
        ids["a"],
        Disposition.promise_to_pay,
        turns=(TurnOutcome(0, "bot", "Hello", 0.1),),
        promise=PromiseOutcome(dt.date(2026, 1, 16), Decimal("-1")),  # refused by the ledger's add_promise
    )
    with pytest.raises(L.InvalidValue, match="positive"):
        _record(url, bad)
    assert [a.state for a in attempts(url)] == ["dialing"]
    assert _rows(url, sa.select(sa.func.count()).select_from(CallTurn)) == [(0,)]
    # and the lease still holds: the same host records the corrected outcome
    assert _record(url, _outcome(ids["a"], Disposition.refused, history_result="refused"))
    assert [a.disposition for a in attempts(url)] == ["refused"]


@pytest.mark.parametrize(("scope", "dnc_scope"), [("number", "number"), ("all", "person")])
def test_an_opt_out_denies_the_next_attempt_at_once(url: str, scope: str, dnc_scope: str) -> None:
    ids = dialing(url, {"a": ["+12125550100", "+19175550100"]})
    assert _record(url, _outcome(ids["a"], Disposition.opt_out, opt_out=scope))
    assert _rows(url, sa.select(DncEntry.scope, DncEntry.source, DncEntry.removed_at)) == [
        (dnc_scope, "call", None)
    ]
    later = END + dt.timedelta(minutes=1)
    row = plan(url, later)["a"]
    if scope == "all":  # every number of the person: nothing is queued
        assert (row.rule, row.queued) == ("U6", False)  # type: ignore[attr-defined]
        return
    # this number only: the planner looks at the other number (held back by the 7-day conversation lock)
    assert (row.number, row.rule, row.queued) == ("+19175550100", "U4", False)  # type: ignore[attr-defined]
    first = attempts(url)[0]
    engine = create_engine(url)
    with engine.begin() as conn:  # an attempt on the opted-out number, queued by hand
        conn.execute(
            sa.insert(type(first)).values(
                campaign_id=first.campaign_id,
                account_id=first.account_id,
                contact_number_id=first.contact_number_id,
                attempt_no=3,
                state="queued",
                scheduled_at=T0,
                created_at=T0,
            )
        )
    engine.dispose()
    assert store(url).claim(later, limit=5) == []
    denied = [a for a in attempts(url) if a.attempt_no == 3]
    assert [(a.state, a.decision_rule) for a in denied] == [("cancelled", "U6")]


@pytest.mark.parametrize("status", [NumberStatus.vacant, NumberStatus.out_of_service])
def test_a_dead_number_is_suppressed(url: str, status: NumberStatus) -> None:
    ids = dialing(url, {"a": ["+12125550100", "+19175550100"]})
    outcome = _outcome(
        ids["a"],
        Disposition(status.value),
        history_result="failed",
        number_status=status,
        number_status_evidence="announcement: 空号",
        sip_code=404,
        answered_at=None,
        talk_seconds=0.0,
        machine="",
    )
    assert _record(url, outcome)
    measures = (Attempt.machine, Attempt.opening_ms, Attempt.number_status_evidence)
    assert _rows(url, sa.select(*measures)) == [(None, None, "announcement: 空号")]  # not answered
    rows = _rows(url, sa.select(ContactNumber.e164, ContactNumber.status, ContactNumber.suppressed_at,
                                ContactNumber.status_detail).order_by(ContactNumber.id))  # fmt: skip
    assert rows[0][:3] == ("+12125550100", status.value, END)
    assert str(rows[0][3]).startswith("announcement: 空号 on attempt")
    assert rows[1][1:3] == ("unknown", None)
    row = plan(url, END)["a"]
    assert (row.number, row.queued) == ("+19175550100", True)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("disposition", "status"),
    [(Disposition.already_paid, "paid"), (Disposition.dispute, "disputed")],
)
def test_paid_and_disputed_accounts_stop(url: str, disposition: Disposition, status: str) -> None:
    ids = dialing(url, {"a": ["+12125550100"]})
    paid = dt.date(2026, 1, 10) if disposition == Disposition.already_paid else None
    assert _record(url, _outcome(ids["a"], disposition, paid_date=paid))
    assert _rows(url, sa.select(Account.status)) == [(status,)]
    assert plan(url, END + dt.timedelta(days=3))["a"].rule == "ACCOUNT"  # type: ignore[attr-defined]


def test_the_planner_honours_a_callback_time(url: str) -> None:
    # in the UK (no 7-day lock after a conversation, unlike the US profile's U4) the callback time stands
    ids = dialing(url, {"a": ["+447911123456"]}, where={"country": "GB"})
    when = dt.datetime(2026, 1, 12, 17, 30, tzinfo=dt.UTC)  # 17:30 in London
    assert _record(
        url, _outcome(ids["a"], Disposition.callback_requested, callback_at=when, callback_requested=True)
    )
    row = plan(url, END)["a"]
    assert (row.at, row.queued) == (when, True)  # type: ignore[attr-defined]


def test_an_interrupted_call_is_never_redialled_and_the_planner_re_decides(url: str) -> None:
    from dialer.results import interrupted_outcome

    ids = dialing(url, {"a": ["+12125550100"]})
    assert _record(url, interrupted_outcome(ids["a"], ended_at=END, error="worker 2 died"))
    (first,) = attempts(url)
    assert (first.state, first.disposition, first.result) == ("interrupted", "interrupted", "no_answer")
    assert store(url).claim(END, limit=5) == []  # not queued again
    row = plan(url, END)["a"]
    # the policy decides anew; the campaign allows 3 a day, so a new attempt is queued now
    assert (row.rule, row.queued) == ("ALLOW", True)  # type: ignore[attr-defined]
    new = attempts(url)[-1]
    assert (new.id != first.id, new.attempt_no, new.state) == (True, 2, "queued")


def test_bad_values_are_refused_before_anything_is_written(url: str, tmp_path: Path) -> None:
    ids = dialing(url, {"a": ["+12125550100"]})
    with pytest.raises(L.InvalidValue, match="history result"):
        _record(url, _outcome(ids["a"], Disposition.refused, history_result="chatted"))
    with pytest.raises(L.InvalidValue, match="data directory"):
        _record(url, _outcome(ids["a"], Disposition.refused, recording_path="r.wav"))
    with pytest.raises(L.InvalidValue, match=r"cannot read the recording r\.wav"):
        _record(url, _outcome(ids["a"], Disposition.refused, recording_path="r.wav"), data_dir=tmp_path)
    with pytest.raises(L.InvalidValue, match="relative"):
        _record(url, _outcome(ids["a"], Disposition.refused, recording_path="../x.wav"), data_dir=tmp_path)
    assert [a.state for a in attempts(url)] == ["dialing"]
    assert _rows(url, sa.select(sa.func.count()).select_from(Recording)) == [(0,)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"machine": "fax"}, "machine 'fax' is not one of"),
        ({"opening_ms": -1}, "opening_ms must not be negative"),
        ({"turns": (TurnOutcome(0, "callee", "", 1.0, keys="12x4"),)}, "turn 0: keys must be 1-64 keypad"),
        ({"turns": (TurnOutcome(0, "callee", "", 1.0, keys="1" * 65),)}, "turn 0: keys must be 1-64 keypad"),
    ],
)
def test_bad_measures_are_refused_and_keys_never_shown(
    url: str, change: dict[str, object], message: str
) -> None:
    ids = dialing(url, {"a": ["+12125550100"]})
    with pytest.raises(L.InvalidValue, match=message) as refused:
        _record(url, _outcome(ids["a"], Disposition.refused, **change))
    assert "12x4" not in str(refused.value) and "1111" not in str(refused.value)  # errors may be logged
    assert [a.state for a in attempts(url)] == ["dialing"]
    assert _rows(url, sa.select(sa.func.count()).select_from(CallTurn)) == [(0,)]


def test_a_number_refused_before_dialling_is_marked_and_the_next_number_is_planned(url: str) -> None:
    ids = dialing(url, {"a": ["+12125550100", "+19175550100"]}, dial=False)
    engine = create_engine(url)
    try:
        assert not refuse_before_dial(engine, "h2", ids["a"], NumberStatus.invalid, "not a valid number", T0)
        assert refuse_before_dial(engine, OWNER, ids["a"], NumberStatus.invalid, "not a valid number", T0)
        assert not refuse_before_dial(engine, OWNER, ids["a"], NumberStatus.invalid, "again", T0)  # done once
    finally:
        engine.dispose()
    (attempt,) = attempts(url)
    assert (attempt.state, attempt.decision_rule, attempt.dialing_at, attempt.lease_owner) == (
        "cancelled", "NUMBER", None, None,
    )  # fmt: skip
    columns = (ContactNumber.status, ContactNumber.suppressed_at, ContactNumber.status_detail)
    rows = _rows(url, sa.select(*columns).order_by(ContactNumber.id))
    assert rows[0] == ("invalid", T0, "pre-dial: not a valid number") and rows[1][:2] == ("unknown", None)
    assert _rows(url, sa.select(AuditEntry.rule).where(AuditEntry.action == "call.refused")) == [("NUMBER",)]
    row = plan(url, T0 + dt.timedelta(minutes=1))["a"]
    assert (row.number, row.queued) == ("+19175550100", True)  # type: ignore[attr-defined]
    assert [a.attempt_no for a in attempts(url)] == [1, 1]  # the refused attempt used no budget
