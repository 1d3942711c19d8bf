"""The planner on a real ledger (SQLite file and PostgreSQL): retry by cause, budget, promises, opt-outs,
suppression, the audit log, claim-time re-decision, and `dialer plan` / `dialer policy explain`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dialer.cli.main import cli
from scheduler.claims import ClaimStore, claims_engine
from scheduler.db import create_engine, session_factory
from scheduler.models import Account, Attempt, AuditEntry, Campaign, ContactNumber, DncEntry
from scheduler.outcomes import CallOutcome
from scheduler.planner import Planner, policy_gate
from scheduler.policy import CallbackRequest, load_profiles
from scheduler.policy.ledger_cases import load_bundles
from scheduler.results import record_outcome
from scheduler.vocabulary import Disposition
from tests.ledger.lifecycle import unlimited_pacer
from tests.scheduler.seed import T0, migrated, seed_accounts

PROFILES = load_profiles()
NY = {"country": "US", "state": "NY", "postal_code": "10001"}
HI = {"country": "US", "state": "HI"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    value = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrated(value)
    yield value


def _plan(url: str, now: dt.datetime, write: bool = True) -> dict[str, object]:
    engine = create_engine(url)
    try:
        with session_factory(engine).begin() as session:
            campaign = session.scalar(sa.select(Campaign).where(Campaign.name == "plan"))
            assert campaign is not None
            result = Planner(PROFILES).plan(session, campaign, now, write=write)
            if not write:
                session.rollback()
            return {row.account_ref: row for row in result.rows} | {"_result": result}
    finally:
        engine.dispose()


def _attempts(url: str) -> list[Attempt]:
    engine = create_engine(url)
    with session_factory(engine)() as session:
        rows = list(session.scalars(sa.select(Attempt).order_by(Attempt.id)))
    engine.dispose()
    return rows


def _finish(
    url: str, attempt_id: int, disposition: str, result: str | None, at: dt.datetime, **extra: object
) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(Attempt)
            .where(Attempt.id == attempt_id)
            .values(state="done", dialing_at=at, ended_at=at, disposition=disposition, result=result, **extra)
        )
    engine.dispose()


def test_plan_queues_allowed_calls_and_explains_the_rest(url: str) -> None:
    ids = seed_accounts(
        url,
        [
            {"ref": "ok", **NY, "numbers": [("+12125550100", "mobile", True)]},
            {"ref": "hawaii", **HI, "numbers": [("+18085550100", "mobile", True)]},
            {"ref": "no-consent", **NY, "numbers": [("+12125550101", "mobile", False)]},
            {"ref": "paid", **NY, "status": "paid", "numbers": [("+12125550102", "mobile", True)]},
            {
                "ref": "promise",
                **NY,
                "promised_until": dt.date(2026, 1, 14),
                "numbers": [("+12125550103", "mobile", True)],
            },
            {"ref": "nowhere", "country": "US", "numbers": [("+18005550100", "toll_free", True)]},
        ],
    )
    preview = _plan(url, T0, write=False)
    assert _attempts(url) == []  # a preview writes nothing
    rows = _plan(url, T0)
    assert (rows["ok"].rule, rows["ok"].at, rows["ok"].queued) == ("ALLOW", T0, True)
    assert (rows["hawaii"].rule, rows["hawaii"].at) == ("U1", dt.datetime(2026, 1, 12, 18, tzinfo=dt.UTC))
    assert (rows["no-consent"].rule, rows["no-consent"].at, rows["no-consent"].queued) == ("T1", None, False)
    assert (rows["paid"].rule, rows["promise"].rule, rows["nowhere"].rule) == ("ACCOUNT", "PROMISE", "DATA")
    assert rows["promise"].at == dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    assert {r: preview[r].rule for r in ("ok", "hawaii", "no-consent")} == {
        "ok": "ALLOW",
        "hawaii": "U1",
        "no-consent": "T1",
    }
    attempts = _attempts(url)
    assert sorted((a.account_id, a.scheduled_at, a.decision_rule) for a in attempts) == sorted(
        [(ids["ok"], T0, "ALLOW"), (ids["hawaii"], dt.datetime(2026, 1, 12, 18, tzinfo=dt.UTC), "U1")]
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        audit = conn.execute(
            sa.select(AuditEntry.subject, AuditEntry.action, AuditEntry.rule, AuditEntry.profile_versions)
        ).all()
    engine.dispose()
    decided = {(s, a, r) for s, a, r, _ in audit}
    assert ("account:ok", "policy.allow", "ALLOW") in decided
    assert ("account:no-consent", "policy.deny", "T1") in decided
    assert all(v == {"US": "2026.2", "ACCOUNT": "2026.1"} for s, _, _, v in audit if s != "account:nowhere")
    again = _plan(url, T0)  # already queued: nothing new
    assert again["ok"].rule == "QUEUED" and len(_attempts(url)) == 2


def test_retry_strategy_by_cause(url: str) -> None:
    seed_accounts(
        url,
        [
            {"ref": "busy", **NY, "numbers": [("+12125550110", "mobile", True)]},
            {"ref": "noans", **NY, "numbers": [("+12125550111", "mobile", True)]},
            {"ref": "off", **NY, "numbers": [("+12125550112", "mobile", True)]},
            {
                "ref": "vacant",
                **NY,
                "numbers": [("+12125550113", "mobile", True), ("+19175550113", "mobile", True)],
            },
            {"ref": "trunk", **NY, "numbers": [("+12125550114", "mobile", True)]},
        ],
        campaign={"max_attempts_total": 1},
    )
    _plan(url, T0)
    at = T0 + dt.timedelta(minutes=1)
    outcomes = {
        "busy": ("busy", "busy"),
        "noans": ("no_answer", "no_answer"),
        "off": ("unreachable", "failed"),
        "vacant": ("vacant", "failed"),
        "trunk": ("trunk_failure", "failed"),
    }
    by_account = {a.account_id: a for a in _attempts(url)}
    engine = create_engine(url)
    with engine.connect() as conn:
        refs = dict(conn.execute(sa.text("select id, account_ref from accounts")).all())
    engine.dispose()
    for account_id, attempt in by_account.items():
        disposition, result = outcomes[refs[account_id]]
        _finish(
            url,
            attempt.id,
            disposition,
            result,
            at,
            number_status="vacant" if disposition == "vacant" else None,
        )
    rows = _plan(url, at, write=False)
    # the budget is 1 attempt: every counted outcome uses it up, a trunk failure does not
    assert {r: rows[r].rule for r in ("busy", "noans", "off", "vacant")} == dict.fromkeys(
        ("busy", "noans", "off", "vacant"), "BUDGET"
    )
    assert (rows["trunk"].rule, rows["trunk"].at) == ("ALLOW", at)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.update(Campaign).values(max_attempts_total=7))
    engine.dispose()
    rows = _plan(url, at)
    assert rows["busy"].at == at + dt.timedelta(minutes=15)
    assert rows["noans"].at == at + dt.timedelta(hours=4)
    assert rows["off"].at == dt.datetime(2026, 1, 13, 13, tzinfo=dt.UTC)  # next day, 08:00 New York
    assert rows["vacant"].number == "+19175550113" and rows["vacant"].at == at
    assert rows["_result"].suppressed_numbers == 1  # type: ignore[attr-defined]
    engine = create_engine(url)
    with engine.connect() as conn:
        status = conn.scalar(sa.select(ContactNumber.status).where(ContactNumber.e164 == "+12125550113"))
    engine.dispose()
    assert status == "suppressed"


def test_opt_out_is_honoured_at_once_and_claims_re_decide(url: str) -> None:
    seed_accounts(url, [{"ref": "a", **NY, "numbers": [("+12125550120", "mobile", True)]}])
    _plan(url, T0)
    assert len(_attempts(url)) == 1
    engine = create_engine(url)
    with engine.begin() as conn:  # the consumer said "stop calling" on another channel meanwhile
        conn.execute(
            sa.insert(DncEntry).values(scope="number", e164="+12125550120", source="call", created_at=T0)
        )
    engine.dispose()
    store = ClaimStore(claims_engine(url), owner="h1", gate=policy_gate(PROFILES))
    assert store.claim(T0 + dt.timedelta(minutes=1)) == []
    (after,) = _attempts(url)
    assert (after.state, after.decision_rule) == ("cancelled", "U6")
    assert _plan(url, T0 + dt.timedelta(minutes=2))["a"].rule == "U6"


def test_dialer_plan_and_policy_explain_on_an_imported_campaign(url: str, tmp_path: Path) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text(
        "account,name,phone,amount,due_date,state,zip,consent\n"
        "R-1,Ann Lee,+12125550130,100.00,2026-01-31,NY,10001,2025-01-01\n"
        "R-2,Bo Chan,+18085550131,50.00,2026-01-31,HI,96813,2025-01-01\n"
        "R-3,Cy Dunn,+12125550132,75.00,2026-01-31,NY,10001,\n",
        encoding="utf-8",
    )
    env = {"DIALER_DATABASE__URL": url, "DIALER_DATA_DIR": str(tmp_path / "data"), "DIALER_CONFIG": ""}
    runner = CliRunner()
    imported = runner.invoke(
        cli,
        ["import", str(csv), "--campaign", "spring", "--create", "--currency", "USD", "--region", "US"],
        env=env,
    )
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(
        cli, ["plan", "--campaign", "spring", "--at", "2026-01-12T15:00:00Z", "--hours", "8"], env=env
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "R-1" in out and "R-2" in out and "R-3" in out and "T1" in out
    assert "+12125550130" not in out  # numbers are masked
    assert "2 calls due, 1 not: T1 1" in out
    explained = runner.invoke(
        cli,
        ["policy", "explain", "--campaign", "spring", "--account", "R-2", "--at", "2026-01-12T15:00:00Z"],
        env=env,
    )
    assert explained.exit_code == 0, explained.output
    decision = json.loads(explained.output.splitlines()[0])
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (
        False,
        "U1",
        "2026-01-12T18:00:00Z",
    )
    missing = runner.invoke(cli, ["plan", "--campaign", "nope"], env=env)
    assert missing.exit_code == 1 and "no campaign named 'nope'" in missing.output


def _call(url: str, store: ClaimStore, at: dt.datetime, outcomes: dict[int, CallOutcome]) -> None:
    """Claim the due attempts, dial them and record each one's outcome (by account id) through the ledger."""
    engine = create_engine(url)
    pacer = unlimited_pacer(engine)
    try:
        for claim in store.claim(at, limit=10):
            assert pacer.start_call(claim.attempt_id, store.owner, at).started
            outcome = replace(outcomes[claim.account_id], attempt_id=claim.attempt_id)
            assert record_outcome(engine, store.owner, outcome, outcome.ended_at)
    finally:
        engine.dispose()


def _conversation(disposition: Disposition, ended: dt.datetime, **extra: object) -> CallOutcome:
    return CallOutcome(
        attempt_id=0,
        ended_at=ended,
        disposition=disposition,
        history_result="conversation",
        answered_at=ended - dt.timedelta(seconds=50),
        talk_seconds=50.0,
        **extra,  # type: ignore[arg-type]
    )


def test_a_callback_the_consumer_asked_for_is_called_at_that_time(url: str) -> None:
    """Reg F 1006.14(b)(3)(i): asked for on Monday's call, Tuesday 16:30 New York is allowed through U4;
    without the request the lock holds until day 8; the consented call counts for later calls."""
    ids = seed_accounts(
        url,
        [
            {"ref": "asked", **NY, "numbers": [("+12125550140", "mobile", True)]},
            {"ref": "silent", **NY, "numbers": [("+12125550141", "mobile", True)]},
        ],
    )
    store = ClaimStore(claims_engine(url), owner="h1", gate=policy_gate(PROFILES))
    _plan(url, T0)
    ended = T0 + dt.timedelta(minutes=2)  # Monday 10:02 New York
    callback = dt.datetime(2026, 1, 13, 21, 30, tzinfo=dt.UTC)  # Tuesday 16:30 New York
    day_8 = dt.datetime(2026, 1, 19, 13, tzinfo=dt.UTC)  # Monday 08:00 New York
    _call(
        url,
        store,
        T0,
        {
            ids["asked"]: _conversation(
                Disposition.callback_requested, ended, callback_at=callback, callback_requested=True
            ),
            ids["silent"]: _conversation(Disposition.cannot_pay, ended),
        },
    )
    engine = create_engine(url)
    with session_factory(engine)() as session:  # the ledger's callback row, as the policy reads it
        debtors = dict(session.execute(sa.select(Account.account_ref, Account.debtor_id)).all())
        bundles = load_bundles(session, list(debtors.values()), ended)
    engine.dispose()
    assert bundles[debtors["asked"]].callbacks == [
        CallbackRequest(asked_at=ended, at=callback, debt="asked", number="+12125550140")
    ]
    assert bundles[debtors["silent"]].callbacks == []
    rows = _plan(url, ended + dt.timedelta(hours=8))  # the evening run; Tuesday 16:30 is in the horizon
    assert (rows["asked"].rule, rows["asked"].at, rows["asked"].queued) == ("U3-U4-CONSENT", callback, True)
    assert "1006.14(b)(3)(i)" in rows["asked"].reason
    assert (rows["silent"].rule, rows["silent"].at, rows["silent"].queued) == ("U4", day_8, False)
    queued = [a for a in _attempts(url) if a.state == "queued"]
    assert [(a.account_id, a.scheduled_at, a.decision_rule) for a in queued] == [
        (ids["asked"], callback, "U3-U4-CONSENT")
    ]
    engine = create_engine(url)
    with session_factory(engine).begin() as session:  # a stray attempt for the silent one, due then too
        number = session.scalar(sa.select(ContactNumber).where(ContactNumber.e164 == "+12125550141"))
        assert number is not None
        session.add(
            Attempt(campaign_id=ids["campaign"], account_id=ids["silent"], contact_number_id=number.id,
                    attempt_no=2, state="queued", scheduled_at=callback, created_at=T0)
        )  # fmt: skip
    engine.dispose()
    (claim,) = store.claim(callback + dt.timedelta(minutes=1), limit=10)  # the claim gate decides again
    assert claim.account_id == ids["asked"]
    stray = next(a for a in _attempts(url) if a.account_id == ids["silent"] and a.state == "queued")
    assert (stray.scheduled_at, stray.decision_rule) == (day_8, "U4")
    engine = create_engine(url)
    with engine.connect() as conn:
        audit = conn.execute(
            sa.select(AuditEntry.action, AuditEntry.rule, AuditEntry.detail).where(
                AuditEntry.subject == f"attempt:{claim.attempt_id}"
            )
        ).all()
    engine.dispose()
    assert [(a, r) for a, r, _ in audit] == [("policy.allow", "U3-U4-CONSENT")]
    assert "lifted: U4" in audit[0][2]["reason"]
    # the consented call is a conversation too: it counts, and the lock starts again from Tuesday
    engine = create_engine(url)
    assert (
        unlimited_pacer(engine).start_call(claim.attempt_id, "h1", callback + dt.timedelta(minutes=1)).started
    )
    done = _conversation(Disposition.cannot_pay, callback + dt.timedelta(minutes=3))
    assert record_outcome(engine, "h1", replace(done, attempt_id=claim.attempt_id), done.ended_at)
    engine.dispose()
    later = _plan(url, callback + dt.timedelta(hours=20), write=False)
    assert (later["asked"].rule, later["asked"].at) == ("U4", dt.datetime(2026, 1, 20, 13, tzinfo=dt.UTC))
