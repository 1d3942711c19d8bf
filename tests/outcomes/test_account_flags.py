"""A legally significant reply recorded with the call's outcome becomes an account flag, and the policy
engine's ACCOUNT rules hold the debtor's calls with the rule's id: on the number it was said on, on the
debtor's other numbers, and (bankruptcy, cease, deceased) about the debtor's other debts too. A dispute
ends when an operator resolves it (`dialer policy resolve`); plans and disclosures are stored."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dialer.cli.main import cli
from dialer.results import history_result
from scheduler import ledger as L
from scheduler.account_flags import account_flags, resolve_flag
from scheduler.db import create_engine, session_factory
from scheduler.models import (
    Account,
    AccountFlagEntry,
    Attempt,
    CallDisclosure,
    Campaign,
    Debtor,
    PaymentPlan,
    Promise,
)
from scheduler.outcomes import CallOutcome, DisclosureOutcome, PromiseOutcome
from scheduler.plans import campaign_plan_parts
from scheduler.policy import Decision, decide
from scheduler.policy.ledger_cases import abandoned_rate, build_case, campaign_limits, load_bundles
from scheduler.results import record_outcome
from scheduler.vocabulary import Disposition, NumberStatus
from tests.outcomes.ledger_setup import OWNER, PROFILES, dialing, plan
from tests.scheduler.seed import T0, migrated

END = T0 + dt.timedelta(minutes=2)
LATER = T0 + dt.timedelta(hours=2)  # Monday 12:00 in New York: inside every window
FIRST, SECOND = "+12125550100", "+12125550101"

# flag -> (rule, stops the debtor's other debt B)
RULES = {
    Disposition.attorney: ("ATTORNEY", False),
    Disposition.bankruptcy: ("BANKRUPTCY", True),
    Disposition.cease: ("CEASE", True),
    Disposition.deceased: ("DECEASED", True),
    Disposition.dispute: ("DISPUTE", False),
    Disposition.language_barrier: ("LANGUAGE", True),
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    value = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrated(value)
    yield value


def _outcome(attempt_id: int, disposition: Disposition, **kw: object) -> CallOutcome:
    values: dict[str, object] = {
        "attempt_id": attempt_id,
        "ended_at": END,
        "disposition": disposition,
        "history_result": history_result(disposition).value,
        "number_status": NumberStatus.valid,
        "sip_code": 200,
        "answered_at": END - dt.timedelta(seconds=40),
        "talk_seconds": 40.0,
        "machine": "human",
    }
    return CallOutcome(**(values | kw))  # type: ignore[arg-type]


def _record(url: str, outcome: CallOutcome) -> None:
    engine = create_engine(url)
    try:
        assert record_outcome(engine, OWNER, outcome, END)
    finally:
        engine.dispose()


def _second_debt(url: str) -> None:
    """Debt B of the same debtor, in the same campaign."""
    engine = create_engine(url)
    with engine.begin() as conn:
        debtor_id, campaign_id = conn.execute(sa.select(Account.debtor_id, Account.campaign_id)).one()
        conn.execute(
            sa.insert(Account).values(
                account_ref="B", debtor_id=debtor_id, campaign_id=campaign_id, amount_due=Decimal("80"),
                currency="USD", created_at=T0, updated_at=T0,
            )
        )  # fmt: skip
    engine.dispose()


def _decisions(url: str, now: dt.datetime = LATER) -> dict[tuple[str, str], Decision]:
    """(account ref, number) -> the policy's decision on the ledger's facts at `now`."""
    engine = create_engine(url)
    out = {}
    try:
        with session_factory(engine)() as session:
            campaign = session.scalars(sa.select(Campaign)).one()
            limits = campaign_limits(campaign, abandoned_rate(session, campaign.id, now))
            for account in session.scalars(sa.select(Account)):
                bundle = load_bundles(session, [account.debtor_id], now)[account.debtor_id]
                for number in bundle.numbers:
                    case = build_case(now, bundle, number, account.account_ref, limits, None)
                    out[(account.account_ref, number.e164)] = decide(case, PROFILES)
    finally:
        engine.dispose()
    return out


@pytest.mark.parametrize("disposition", list(RULES))
def test_each_flag_stops_the_numbers_and_debts_its_rule_names(url: str, disposition: Disposition) -> None:
    ids = dialing(url, {"A": [FIRST, SECOND]})
    _second_debt(url)
    before = _decisions(url)
    assert before[("B", FIRST)].allow and before[("B", SECOND)].allow  # nothing on record yet
    extra = {"spoken_language": "es"} if disposition == Disposition.language_barrier else {}
    _record(url, _outcome(ids["A"], disposition, **extra))
    rule, whole_debtor = RULES[disposition]
    after = _decisions(url)
    for number in (FIRST, SECOND):
        assert (after[("A", number)].allow, after[("A", number)].rule) == (False, rule), number
        assert after[("A", number)].next_allowed_at is None
        other = after[("B", number)]
        if whole_debtor:
            assert (other.allow, other.rule) == (False, rule)
        else:
            assert other.allow, other  # represented / disputed about debt A only
    engine = create_engine(url)
    flags = account_flags(engine, "plan", "A")
    engine.dispose()
    assert [(f.kind, f.account_ref, f.resolved_at) for f in flags] == [(disposition.value, "A", None)]


def test_a_language_barrier_sets_the_language_and_a_script_for_it_lets_calls_through(
    url: str, tmp_path: Path
) -> None:
    ids = dialing(url, {"A": [FIRST]}, where={"country": "GB"})  # no 7-day lock: the re-queue is seen
    _record(url, _outcome(ids["A"], Disposition.language_barrier, spoken_language="ES"))
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(Debtor.language)).scalar_one() == "es"
        assert conn.execute(sa.select(AccountFlagEntry.language)).scalar_one() == "es"
    engine.dispose()
    assert plan(url, LATER)["A"].rule == "LANGUAGE"  # type: ignore[attr-defined]
    env = {"DIALER_DATABASE__URL": url, "DIALER_DATA_DIR": str(tmp_path), "DIALER_CONFIG": ""}
    bad = CliRunner().invoke(cli, ["campaign", "scripts", "plan", "es"], env=env)
    assert bad.exit_code != 0 and "LANGUAGE=SCRIPT" in bad.output
    done = CliRunner().invoke(
        cli, ["campaign", "scripts", "plan", "en=reminder-en", "ES=reminder-es"], env=env
    )
    assert done.exit_code == 0, done.output
    row = plan(url, LATER)["A"]
    assert row.queued, row  # type: ignore[attr-defined]
    engine = create_engine(url)
    with engine.connect() as conn:
        script = conn.execute(sa.select(Attempt.script).where(Attempt.state == "queued")).scalar_one()
    engine.dispose()
    assert script == "reminder-es"  # the call is made again, in the consumer's language


def test_attorney_details_are_kept_with_the_flag(url: str) -> None:
    ids = dialing(url, {"A": [FIRST]})
    _record(
        url, _outcome(ids["A"], Disposition.attorney, attorney_name="Jane Roe", attorney_phone="555-0199")
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        detail = conn.execute(sa.select(AccountFlagEntry.detail)).scalar_one()
    engine.dispose()
    assert detail == {"attorney_name": "Jane Roe", "attorney_phone": "555-0199"}


def test_an_operator_resolves_a_dispute_from_the_command_line(url: str, tmp_path: Path) -> None:
    ids = dialing(url, {"A": [FIRST]})
    _record(url, _outcome(ids["A"], Disposition.dispute))
    assert _decisions(url)[("A", FIRST)].rule == "DISPUTE"
    env = {"DIALER_DATABASE__URL": url, "DIALER_DATA_DIR": str(tmp_path), "DIALER_CONFIG": ""}
    explain = CliRunner().invoke(cli, ["policy", "explain", "--campaign", "plan", "--account", "A",
                                       "--at", LATER.isoformat()], env=env)  # fmt: skip
    assert explain.exit_code == 0, explain.output
    line = json.loads(explain.output.splitlines()[0])
    assert (line["rule"], line["flags"]) == ("DISPUTE", [{"flag": "dispute", "account": "A"}])
    refused = CliRunner().invoke(
        cli,
        ["policy", "resolve", "--campaign", "plan", "--account", "A", "--flag", "cease", "--reason", "x"],
        env=env,
    )
    assert refused.exit_code != 0 and "cannot be resolved" in refused.output
    done = CliRunner().invoke(
        cli,
        ["policy", "resolve", "--campaign", "plan", "--account", "A", "--reason", "validation mailed"],
        env=env,
    )
    assert done.exit_code == 0, done.output
    assert "1 dispute flag(s) resolved" in done.output
    after = _decisions(url)[("A", FIRST)]
    assert after.rule == "U4"  # the conversation's 7-day lock remains; the dispute no longer holds it
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(Account.status)).scalar_one() == "open"
    with pytest.raises(L.RecordNotFound, match="no open dispute flag"):
        resolve_flag(engine, "plan", "A", "dispute", actor="op", reason="again", now=LATER)
    engine.dispose()


def test_a_settlement_plan_pays_the_settled_total_not_the_balance(url: str) -> None:
    ids = dialing(url, {"A": [FIRST]})
    parts = (
        PromiseOutcome(dt.date(2026, 1, 16), Decimal("40")),
        PromiseOutcome(dt.date(2026, 1, 20), None),  # the rest of the settled 100, not of the 120.50 owed
    )
    outcome = _outcome(ids["A"], Disposition.promise_to_pay, promise=parts[0], plan=parts)
    _record(url, dataclasses.replace(outcome, settlement_total=Decimal("100")))
    engine = create_engine(url)
    with engine.connect() as conn:
        plan = conn.execute(sa.select(PaymentPlan.total, PaymentPlan.settlement)).one()
        amounts = conn.scalars(sa.select(Promise.amount).order_by(Promise.part_no)).all()
    parts_shown = campaign_plan_parts(engine, "plan")
    engine.dispose()
    assert tuple(plan) == (Decimal("100.00"), True)
    assert amounts == [Decimal("40.00"), Decimal("60.00")]
    assert [p.settlement for p in parts_shown] == [True, True]


def test_every_part_of_a_payment_plan_is_stored_in_order(url: str, tmp_path: Path) -> None:
    ids = dialing(url, {"A": [FIRST]})
    parts = (
        PromiseOutcome(dt.date(2026, 1, 16), Decimal("50")),
        PromiseOutcome(dt.date(2026, 1, 20), None),  # the rest of the 120.50
    )
    _record(url, _outcome(ids["A"], Disposition.promise_to_pay, promise=parts[0], plan=parts))
    engine = create_engine(url)
    with engine.connect() as conn:
        plan = conn.execute(sa.select(PaymentPlan.parts, PaymentPlan.total, PaymentPlan.status)).one()
        rows = conn.execute(
            sa.select(
                Promise.part_no, Promise.promised_date, Promise.amount, Promise.plan_id.is_not(None)
            ).order_by(Promise.part_no)
        ).all()
        until = conn.execute(sa.select(Account.promised_until, Account.status)).one()
    engine.dispose()
    assert tuple(plan) == (2, Decimal("120.50"), "pending")
    assert [tuple(r) for r in rows] == [
        (1, dt.date(2026, 1, 16), Decimal("50.00"), True),
        (2, dt.date(2026, 1, 20), Decimal("70.50"), True),
    ]
    assert tuple(until) == (dt.date(2026, 1, 20), "promised")
    # `dialer report` and `dialer export` show the plan part by part
    env = {"DIALER_DATABASE__URL": url, "DIALER_DATA_DIR": str(tmp_path), "DIALER_CONFIG": ""}
    shown = CliRunner().invoke(cli, ["report", "--campaign", "plan", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    plans = json.loads(shown.output)["plans"]
    assert [(p["part"], p["parts"], p["date"], p["amount"]) for p in plans] == [
        (1, 2, "2026-01-16", "50.00"),
        (2, 2, "2026-01-20", "70.50"),
    ]
    table = CliRunner().invoke(cli, ["report", "--campaign", "plan"], env=env, terminal_width=200)
    assert "payment plans" in table.output and "2 of 2" in table.output
    out = tmp_path / "plan.zip"
    exported = CliRunner().invoke(cli, ["export", "--campaign", "plan", "--out", str(out), "--json"], env=env)
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(out) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("plans.csv").decode("utf-8-sig"))))
    assert rows[0] == [
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
    ]
    assert [r[1:7] for r in rows[1:]] == [
        ["A", "1", "2", "2026-01-16", "50.00", "USD"],
        ["A", "2", "2", "2026-01-20", "70.50", "USD"],
    ]


def test_disclosures_are_stored_with_their_times(url: str) -> None:
    ids = dialing(url, {"A": [FIRST]})
    played = (
        DisclosureOutcome("recording_notice", 0.5, 2.5, True),
        DisclosureOutcome("debt_collector", 9.0, None, False),
    )
    _record(url, _outcome(ids["A"], Disposition.cannot_pay, disclosures=played))
    answered = END - dt.timedelta(seconds=40)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                CallDisclosure.kind,
                CallDisclosure.started_at,
                CallDisclosure.ended_at,
                CallDisclosure.complete,
            ).order_by(CallDisclosure.id)
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (
            "recording_notice",
            answered + dt.timedelta(seconds=0.5),
            answered + dt.timedelta(seconds=2.5),
            True,
        ),
        ("debt_collector", answered + dt.timedelta(seconds=9), None, False),
    ]
