"""From a claimed attempt to what the worker dials and the session says (real SQLite ledger)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from dialer.session.context import call_context
from dialer.supervisor.callspec import (
    SpecError,
    caller_id_headers,
    load_facts,
    recording_path,
    session_spec,
)
from dialer.supervisor.settings import CampaignCallSettings, RunSettings
from scheduler import supervision as ledger_ops
from scheduler.claims import ClaimStore, claims_engine
from scheduler.db import create_engine
from scheduler.models import Account, Attempt, AuditEntry, Campaign
from sip_config.loader import parse_profile

from .ledger_seed import PLACES, seed_campaign

NOW = dt.datetime.now(dt.UTC)


def _queue(url: str) -> list[int]:
    """One queued attempt per account (as the planner would), due now."""
    engine = create_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT a.id, a.campaign_id, c.id FROM accounts a"
                " JOIN contact_numbers c ON c.debtor_id = a.debtor_id"
            )
        ).all()
        for account_id, campaign_id, number_id in rows:
            conn.execute(
                sa.insert(Attempt).values(
                    campaign_id=campaign_id,
                    account_id=account_id,
                    contact_number_id=number_id,
                    scheduled_at=NOW - dt.timedelta(seconds=1),
                )
            )
        ids = [int(i) for i in conn.execute(sa.select(Attempt.id).order_by(Attempt.id)).scalars()]
    engine.dispose()
    return ids


def test_spec_carries_the_ledger_values_and_the_campaign_settings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    seed_campaign(url, 1, name="spring", place=PLACES[0])
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.update(Campaign).values(voicemail_policy="hang_up", caller_id_pool=["+12125550199"]))
    (attempt_id,) = _queue(url)
    facts = load_facts(engine, attempt_id, "UTC")
    run = RunSettings(
        company="Acme Lending",
        callback_number="+18005550100",
        campaigns={"spring": CampaignCallSettings(agent_name="Robin", language="en")},
    )
    spec = session_spec(facts, run, max_seconds=120)
    assert (spec.attempt_id, spec.script, spec.language) == (attempt_id, "reminder-en", "en")
    assert (spec.company, spec.agent_name, spec.callback_number) == ("Acme Lending", "Robin", "+18005550100")
    assert (spec.first_name, spec.amount_due, spec.currency) == ("Sam", Decimal("120.50"), "USD")
    assert spec.due_date == NOW.date() - dt.timedelta(days=3)
    assert spec.time_zone == "America/New_York"  # from the address (ZIP 10001)
    assert spec.machine_action == "hangup" and spec.first_contact and spec.max_seconds == 120
    assert facts.caller_id_pool == ("+12125550199",)
    # a callback is named inside the debtor's calling day (federal 08:00-21:00 for New York)
    assert spec.calling_hours == facts.calling_hours == ("08:00", "21:00")
    slots = call_context(spec).slots()
    assert (slots["calling_from"], slots["calling_until"]) == ("08:00", "21:00")
    path = recording_path(tmp_path, facts, NOW)
    assert path.name == f"attempt-{attempt_id}.wav" and path.parent.parent.name == "spring"
    assert facts.e164 not in str(path)  # no personal data in file names
    engine.dispose()


def test_zone_falls_back_to_the_number_then_the_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    seed_campaign(url, 1, place=PLACES[1])
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE debtors SET country = NULL, state = NULL, postal_code = NULL"))
    (attempt_id,) = _queue(url)
    assert load_facts(engine, attempt_id, "UTC").time_zone == "Pacific/Honolulu"  # the 808 area code
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE contact_numbers SET area_code_zones = '[]', e164 = '+800123456'"))
    assert load_facts(engine, attempt_id, "Europe/Paris").time_zone == "Europe/Paris"
    with pytest.raises(SpecError, match="not in the ledger"):
        load_facts(engine, 999, "UTC")
    engine.dispose()


def test_an_account_without_due_date_is_cancelled_with_rule_data_and_audited(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    seed_campaign(url, 1)
    engine = claims_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.update(Account).values(due_date=None))
    (attempt_id,) = _queue(url)
    facts = load_facts(engine, attempt_id, "UTC")
    with pytest.raises(SpecError, match="field 'due_date'"):
        session_spec(facts, RunSettings(), 60)
    store = ClaimStore(engine, owner="h1")
    assert [c.attempt_id for c in store.claim(NOW)] == [attempt_id]
    assert not ledger_ops.cancel_claimed(engine, "h2", attempt_id, NOW, "no due date")  # fenced
    assert ledger_ops.cancel_claimed(engine, "h1", attempt_id, NOW, "no due date")
    with engine.connect() as conn:
        state, rule = conn.execute(sa.select(Attempt.state, Attempt.decision_rule)).one()
        audit = conn.execute(
            sa.select(AuditEntry.action, AuditEntry.rule).where(AuditEntry.action == "attempt.cancel")
        ).all()
    assert (state, rule) == ("cancelled", "DATA") and audit == [("attempt.cancel", "DATA")]
    assert ledger_ops.pending_work(engine, None, NOW) == 0
    engine.dispose()


def test_unknown_campaign_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    seed_campaign(url, 1, name="spring")
    engine = create_engine(url)
    assert ledger_ops.campaign_ids(engine, ["spring"]) == {"spring": 1}
    with pytest.raises(ledger_ops.UnknownCampaign, match="'autumn'"):
        ledger_ops.campaign_ids(engine, ["spring", "autumn"])
    engine.dispose()


def test_pool_caller_id_goes_out_as_asserted_identity_unless_the_profile_pins_one() -> None:
    profile = parse_profile("name: t\nmode: ip_auth\ndomain: 127.0.0.1:5070\ncaller_id: '+15550100100'\n")
    assert caller_id_headers(profile, "+12125550199") == (("P-Asserted-Identity", "<tel:+12125550199>"),)
    assert caller_id_headers(profile, "+15550100100") == ()
    assert caller_id_headers(profile, None) == ()
    pinned = profile.model_copy(update={"p_asserted_identity": "tel:+15550100100"})
    assert caller_id_headers(pinned, "+12125550199") == ()
