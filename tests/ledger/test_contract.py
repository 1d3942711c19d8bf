"""The Ledger contract: the same tests on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scheduler import ledger as L
from scheduler import migrations
from scheduler.importing import ImportOptions, import_file
from scheduler.outcomes import CallOutcome
from scheduler.results import record_outcome
from scheduler.sql_ledger import SqlLedger
from scheduler.vocabulary import (
    CampaignState,
    Disposition,
    DncScope,
    DncSource,
    HistoryResult,
    NumberStatus,
    Speaker,
)
from tests.ledger.lifecycle import Calls, ledger_url, queue_attempt

T0 = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest) -> Iterator[Any]:
    clock = Clock()
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrations.upgrade(url)
    opened = SqlLedger.open(url)
    opened._clock = clock
    yield opened
    opened.close()


def test_the_sql_ledger_satisfies_the_protocol(ledger: Any) -> None:
    assert isinstance(ledger, L.Ledger) and issubclass(SqlLedger, L.Ledger)


def row(
    ref: str, e164: str = "+16175550100", *, debtor: str | None = None, amount: str = "10.00", **kw: Any
) -> L.ImportRow:
    number = L.ImportNumber(e164, "mobile", "US", ("America/New_York",))
    values: dict[str, Any] = dict(
        line=2,
        account_ref=ref,
        debtor_ref=debtor or ref,
        first_name="Ann",
        last_name="Lee",
        language="en",
        country="US",
        state="MA",
        postal_code="02134",
        amount_due=Decimal(amount),
        currency="USD",
        due_date=dt.date(2026, 12, 5),
        numbers=(number,),
    )
    values.update(kw)
    return L.ImportRow(**values)


def load(
    ledger: Any, rows: list[L.ImportRow], *, campaign: str = "c", dry_run: bool = False
) -> L.ImportCounts:
    if campaign not in {c.name for c in ledger.list_campaigns()}:
        ledger.create_campaign(L.CampaignSpec(campaign))
    counts: L.ImportCounts = ledger.import_batch(
        L.ImportHeader(campaign, "f.csv", "0" * 64, dry_run), [L.ImportChunk(rows)]
    )
    return counts


# ---- campaigns -------------------------------------------------------------------------------------------
def test_campaign_create_get_list(ledger: Any) -> None:
    spec = L.CampaignSpec(
        "june",
        script="reminder-zh",
        profiles=("US", "US-MA"),
        window_from="09:00",
        window_to="20:00",
        caller_id_pool=("+16175550000",),
        retry_policy={"busy": 600},
    )
    created = ledger.create_campaign(spec)
    assert created.state == "draft" and created.profiles == ("US", "US-MA")
    assert created.created_at == T0
    assert ledger.get_campaign("june") == created
    ledger.create_campaign(L.CampaignSpec("april"))
    assert [c.name for c in ledger.list_campaigns()] == ["april", "june"]
    with pytest.raises(L.CampaignExists):
        ledger.create_campaign(L.CampaignSpec("june"))
    with pytest.raises(L.CampaignNotFound) as err:
        ledger.get_campaign("nope")
    assert isinstance(err.value, KeyError) and "nope" in str(err.value)


@pytest.mark.parametrize(
    "spec",
    [
        L.CampaignSpec(""),
        L.CampaignSpec("x", window_from="9:00"),
        L.CampaignSpec("x", window_from="20:00", window_to="09:00"),
        L.CampaignSpec("x", profiles=("usa",)),
        L.CampaignSpec("x", caller_id_pool=("6175550000",)),
        L.CampaignSpec("x", voicemail_policy="shout"),
        L.CampaignSpec("x", max_attempts_per_day=3, max_attempts_total=2),
    ],
)
def test_invalid_campaign_specs_are_refused(ledger: Any, spec: L.CampaignSpec) -> None:
    with pytest.raises(L.InvalidValue):
        ledger.create_campaign(spec)
    assert ledger.list_campaigns() == []


def test_campaign_state_transitions_are_audited(ledger: Any) -> None:
    ledger.create_campaign(L.CampaignSpec("c"))
    for state in ("running", "paused", "running"):
        assert ledger.set_campaign_state("c", CampaignState(state), actor="op").state == state
    with pytest.raises(L.InvalidTransition):
        ledger.set_campaign_state("c", CampaignState.draft, actor="op")
    ledger.set_campaign_state("c", CampaignState.stopped, actor="op")
    with pytest.raises(L.InvalidTransition):
        ledger.set_campaign_state("c", CampaignState.running, actor="op")
    with pytest.raises(L.InvalidValue):
        ledger.set_campaign_state("c", "exploded", actor="op")
    actions = [a.action for a in ledger.list_audit(subject=f"campaign:{ledger.get_campaign('c').id}")]
    assert actions == ["campaign.stopped", "campaign.running", "campaign.paused", "campaign.running"]


def test_stopping_a_campaign_cancels_its_queued_attempts(ledger: Any) -> None:
    load(ledger, [row("A1")])
    attempt = _attempt(ledger, "A1")
    ledger.set_campaign_state("c", CampaignState.stopped, actor="op")
    assert ledger.get_attempt(attempt).state == "cancelled"


# ---- import ----------------------------------------------------------------------------------------------
def test_import_upserts_by_account_ref(ledger: Any) -> None:
    first = load(ledger, [row("A1"), row("A2", "+16175550101"), row("A3", "+16175550102", debtor="A2")])
    assert (first.rows, first.imported, first.updated, first.unchanged) == (3, 3, 0, 0)
    again = load(ledger, [row("A1"), row("A2", "+16175550101"), row("A3", "+16175550102", debtor="A2")])
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 3)
    changed = load(ledger, [row("A1", amount="12.50"), row("A2", "+16175550101", first_name="Bea")])
    assert (changed.imported, changed.updated) == (0, 2)
    account = ledger.get_account("A1")
    assert account.amount_due == Decimal("12.50") and isinstance(account.amount_due, Decimal)
    assert account.due_date == dt.date(2026, 12, 5) and account.status == "open"
    a3 = ledger.get_account("A3")
    assert a3.debtor_id == ledger.get_account("A2").debtor_id  # one person, two debts
    assert [e for _, e in ledger.contact_numbers("A3")] == ["+16175550101", "+16175550102"]
    assert ledger.get_debtor(a3.debtor_id).first_name == "Bea"
    batch = ledger.get_import_batch(changed.batch)
    assert (batch.rows, batch.updated, batch.campaign, batch.dry_run) == (2, 2, "c", False)
    with pytest.raises(L.RecordNotFound):
        ledger.get_account("nope")


def test_compliance_flags_only_ratchet_up(ledger: Any) -> None:
    load(ledger, [row("A1", cease_requested=True, attorney=True)])
    counts = load(ledger, [row("A1")])
    assert counts.unchanged == 1
    debtor = ledger.get_debtor(ledger.get_account("A1").debtor_id)
    assert debtor.cease_requested and debtor.attorney


def test_dnc_numbers_and_people_are_suppressed_at_import(ledger: Any) -> None:
    load(ledger, [row("P1", "+16175550150")])
    person = ledger.get_account("P1").debtor_id
    ledger.add_dnc(DncScope.person, source=DncSource.call, debtor_id=person, reason="cease")
    ledger.add_dnc(DncScope.number, source=DncSource.import_, e164="+16175550160")
    blocked = row("A2", "+16175550160")
    two_numbers = replace(
        blocked, numbers=(*blocked.numbers, L.ImportNumber("+16175550161", "mobile", "US", ()))
    )
    counts = load(ledger, [row("P1", "+16175550150", amount="99.00"), row("A1", "+16175550160"), two_numbers])
    assert (counts.suppressed, counts.imported, counts.numbers_suppressed) == (2, 1, 2)
    assert ledger.get_account("P1").amount_due == Decimal(
        "10.00"
    )  # the blocked person's account is left alone
    assert [e for _, e in ledger.contact_numbers("A2")] == ["+16175550161"]


def test_failed_import_leaves_nothing_behind(ledger: Any) -> None:
    ledger.create_campaign(L.CampaignSpec("c"))

    def chunks() -> Iterator[L.ImportChunk]:
        yield L.ImportChunk([row("A1")])
        raise RuntimeError("the file went away")

    with pytest.raises(RuntimeError):
        ledger.import_batch(L.ImportHeader("c", "f.csv", "0" * 64), chunks())
    with pytest.raises(L.RecordNotFound):
        ledger.get_account("A1")
    assert ledger.campaign_stats("c").accounts == 0


def test_dry_run_keeps_only_the_batch_record(ledger: Any) -> None:
    counts = load(ledger, [row("A1")], dry_run=True)
    assert counts.imported == 1
    with pytest.raises(L.RecordNotFound):
        ledger.get_account("A1")
    assert ledger.get_import_batch(counts.batch).dry_run


def test_rejects_and_quality_are_kept_per_batch(ledger: Any) -> None:
    ledger.create_campaign(L.CampaignSpec("c"))
    rejects = [
        L.RejectedRow(7, "amount 'x' is not a number", "A9,'=1+1,x"),
        L.RejectedRow(3, "name is empty", "A8,,"),
    ]
    counts = ledger.import_batch(
        L.ImportHeader("c", "f.csv", "0" * 64), [L.ImportChunk([row("A1")], rejects, 2)]
    )
    assert (counts.rows, counts.rejected, counts.duplicates) == (5, 2, 2)
    assert [r.line for r in ledger.list_import_rejects(counts.batch)] == [3, 7]
    ledger.set_batch_quality(counts.batch, {"numbers_valid": 1, "line_types": {"mobile": 1}})
    assert ledger.get_import_batch(counts.batch).quality["line_types"] == {"mobile": 1}
    with pytest.raises(L.RecordNotFound):
        ledger.get_import_batch(9999)
    second = load(ledger, [row("A2", "+16175550101")])
    assert [b.id for b in ledger.list_import_batches("c")] == [second.batch, counts.batch]
    assert [b.id for b in ledger.list_import_batches("c", limit=1)] == [second.batch]
    with pytest.raises(L.CampaignNotFound):
        ledger.list_import_batches("nope")


def test_the_importer_runs_on_every_ledger(ledger: Any, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "account,name,phone,amount,due_date\nA1,Ann Lee,617-555-0100,10,2026-12-05\nA2,Bo,1,5,2026-12-05\n"
    )
    ledger.create_campaign(L.CampaignSpec("c"))
    result = import_file(ledger, path, ImportOptions("c", region="US"))
    assert result.summary()["imported"] == 1 and result.summary()["rejected"] == 1
    assert ledger.get_import_batch(result.counts.batch).quality["numbers_invalid"] == 1


# ---- do-not-call -----------------------------------------------------------------------------------------
def test_dnc_add_check_remove(ledger: Any) -> None:
    entry = ledger.add_dnc(DncScope.number, source=DncSource.call, e164="+16175550100", reason="said stop")
    assert ledger.is_number_blocked("+16175550100")
    assert not ledger.is_number_blocked("+16175550101")
    removed = ledger.remove_dnc(entry.id, reason="consent given again")
    assert removed.removed_at == T0 and removed.removed_reason == "consent given again"
    assert not ledger.is_number_blocked("+16175550100")
    assert ledger.list_dnc() == []
    assert [d.id for d in ledger.list_dnc(active_only=False)] == [entry.id]
    with pytest.raises(L.RecordNotFound):
        ledger.remove_dnc(999_999, reason="x")
    with pytest.raises(L.InvalidValue):
        ledger.add_dnc(DncScope.number, source=DncSource.call)
    with pytest.raises(L.InvalidValue):
        ledger.add_dnc("everything", source=DncSource.call, e164="+16175550100")


def test_person_scope_blocks_every_number_of_that_debtor(ledger: Any) -> None:
    load(ledger, [row("A1", "+16175550100")])
    debtor_id = ledger.get_account("A1").debtor_id
    ledger.add_dnc(DncScope.person, source=DncSource.operator, debtor_id=debtor_id, reason="written cease")
    assert ledger.is_number_blocked("+16175550199", debtor_id)
    assert not ledger.is_number_blocked("+16175550199")
    with pytest.raises(L.InvalidValue):
        ledger.add_dnc(DncScope.person, source=DncSource.operator)


# ---- attempts --------------------------------------------------------------------------------------------
def _attempt(ledger: Any, ref: str, at: dt.datetime = T0) -> int:
    """A queued attempt for `ref` (the planner's part; the lifecycle after it is the claim store's)."""
    account = ledger.get_account(ref)
    number_id = ledger.contact_numbers(ref)[0][0]
    return queue_attempt(
        ledger.engine,
        campaign_id=account.campaign_id,
        account_id=account.id,
        contact_number_id=number_id,
        scheduled_at=at,
        decision_rule="U1",
    )


def test_attempt_lifecycle_and_call_record(ledger: Any) -> None:
    load(ledger, [row("A1")])
    attempt = _attempt(ledger, "A1")
    assert ledger.get_attempt(attempt).state == "queued"
    eastern = ZoneInfo("America/New_York")
    answered = T0 + dt.timedelta(seconds=12)
    with Calls(ledger_url(ledger), "h1") as calls:
        calls.start(attempt, T0.astimezone(eastern), caller_id="+16175550000")
        assert ledger.get_attempt(attempt).state == "dialing"
        calls.record(
            CallOutcome(
                attempt,
                T0 + dt.timedelta(seconds=80),
                Disposition.promise_to_pay,
                HistoryResult.conversation,
                NumberStatus.valid,
                "sip 200",
                200,
                answered_at=answered,
                talk_seconds=68.0,
            )
        )
        got = ledger.get_attempt(attempt)
        assert (got.state, got.result, got.disposition, got.number_status) == (
            "done",
            "conversation",
            "promise_to_pay",
            "valid",
        )
        assert (
            got.dialing_at == T0
            and got.dialing_at.tzinfo is not None
            and got.dialing_at.utcoffset() == dt.timedelta(0)
        )
        assert got.answered_at == answered and got.e164 == "+16175550100" and got.decision_rule == "U1"
        assert got.caller_id == "+16175550000" and got.talk_seconds == 68.0
        # an ended attempt neither starts nor ends again
        later = T0 + dt.timedelta(seconds=90)
        assert not calls.pacer.start_call(attempt, "h1", later).started
        again = CallOutcome(attempt, later, Disposition.no_answer, HistoryResult.no_answer)
        assert not record_outcome(calls.engine, "h1", again, later)
    assert ledger.get_attempt(attempt).disposition == "promise_to_pay"

    account = ledger.get_account("A1")
    ledger.add_promise(attempt, account.id, dt.date(2026, 12, 20), Decimal("10.00"), "USD")
    ledger.add_callback(attempt, account.id, T0 + dt.timedelta(days=1))
    ledger.add_turns(
        attempt,
        [
            L.Turn(1, Speaker.bot, "Hello, this is Acme.", T0, T0 + dt.timedelta(seconds=2)),
            L.Turn(
                2,
                Speaker.callee,
                "yes I can pay on the twentieth",
                T0 + dt.timedelta(seconds=3),
                None,
                "promise_to_pay",
                0.91,
                420,
            ),
        ],
    )
    ledger.add_recording(attempt, L.RecordingInfo("recordings/2026/12/1.wav", 80.0, 2, 8000, "ab" * 32))
    record = ledger.call_record(attempt)
    assert [t.speaker for t in record.turns] == ["bot", "callee"]
    assert record.turns[1].intent == "promise_to_pay" and record.turns[1].latency_ms == 420
    assert record.promises[0].amount == Decimal("10.00") and record.promises[0].status == "pending"
    assert record.callbacks == (T0 + dt.timedelta(days=1),)
    assert record.recordings[0].path == "recordings/2026/12/1.wav"
    assert ledger.get_account("A1").status == "promised"
    assert ledger.get_account("A1").promised_until == dt.date(2026, 12, 20)
    stats = ledger.campaign_stats("c")
    assert (stats.accounts, stats.attempts, stats.promises) == (1, 1, 1)
    assert stats.dispositions == {"promise_to_pay": 1} and stats.amount_due == {"USD": Decimal("10.00")}


def test_bad_attempt_input_is_refused(ledger: Any) -> None:
    load(ledger, [row("A1")])
    attempt = _attempt(ledger, "A1")
    naive = dt.datetime(2026, 12, 1, 10, 0)
    with Calls(ledger_url(ledger), "h1") as calls:
        calls.start(attempt, T0)
        with pytest.raises(L.InvalidValue):
            record_outcome(
                calls.engine, "h1", CallOutcome(attempt, naive, Disposition.no_answer, "no_answer"), T0
            )
        with pytest.raises(L.InvalidValue):
            record_outcome(calls.engine, "h1", CallOutcome(attempt, T0, "hung_up_angrily", "no_answer"), T0)  # type: ignore[arg-type]
    with pytest.raises(L.InvalidValue):
        ledger.add_recording(attempt, L.RecordingInfo("/etc/passwd", 1.0, 1, 8000, "0" * 64))
    with pytest.raises(L.InvalidValue):
        ledger.add_promise(attempt, ledger.get_account("A1").id, dt.date(2026, 12, 20), 10.0, "USD")
    with pytest.raises(L.AttemptNotFound):
        ledger.get_attempt(999_999)
    with pytest.raises(L.AttemptNotFound):
        ledger.add_turns(999_999, [])
    assert ledger.get_attempt(attempt).state == "dialing"  # nothing was written


def test_history_is_a_half_open_time_range_per_debtor(ledger: Any) -> None:
    load(ledger, [row("A1"), row("B1", "+16175550111")])
    times = [T0 + dt.timedelta(days=d) for d in range(4)]
    ids = [_attempt(ledger, "A1", t) for t in times]
    _attempt(ledger, "B1", times[1])
    debtor = ledger.get_account("A1").debtor_id
    found = ledger.history(debtor, times[1], times[3])
    assert [a.id for a in found] == ids[1:3]
    assert all(a.debtor_id == debtor for a in found)
    with pytest.raises(L.InvalidValue):
        ledger.history(debtor, times[0].replace(tzinfo=None), times[3])


# ---- audit -----------------------------------------------------------------------------------------------
def test_audit_is_appended_and_listed_newest_first(ledger: Any) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    ledger.append_audit(
        L.AuditRecord("planner", "deny", "attempt:1", "U1", {"US": "2026.1"}, {"next": "08:00"})
    )
    ledger.append_audit(L.AuditRecord("planner", "allow", "attempt:2", "C1", at=T0.astimezone(shanghai)))
    entries = ledger.list_audit()
    assert [e.action for e in entries] == ["allow", "deny"]
    assert entries[0].at == T0 and entries[0].at.utcoffset() == dt.timedelta(0)
    assert entries[1].profile_versions == {"US": "2026.1"} and entries[1].detail == {"next": "08:00"}
    assert [e.subject for e in ledger.list_audit(subject="attempt:1")] == ["attempt:1"]
    with pytest.raises(L.InvalidValue):
        ledger.append_audit(L.AuditRecord("x", "y", at=dt.datetime(2026, 1, 1)))


def test_database_errors_do_not_leak_row_values(ledger: Any) -> None:
    from scheduler.models import Attempt, ContactNumber

    load(ledger, [row("A1", "+16175550177")])
    debtor_id = ledger.get_account("A1").debtor_id
    with pytest.raises(L.Conflict) as err, ledger._session() as session:  # a unique-key violation on e164
        session.add(ContactNumber(debtor_id=debtor_id, e164="+16175550177", area_code_zones=[]))
    message = str(err.value)
    assert "6175550177" not in message and "[parameters" not in message and "\n" not in message
    with pytest.raises(L.Conflict) as err, ledger._session(write=True) as session:  # a foreign-key violation
        session.add(
            Attempt(
                campaign_id=ledger.get_campaign("c").id,
                account_id=ledger.get_account("A1").id,
                contact_number_id=999_999,
                scheduled_at=T0,
                created_at=T0,
            )
        )
    assert "999999" not in str(err.value) and "\n" not in str(err.value)
