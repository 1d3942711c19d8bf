"""Ledger rows -> decision cases: DNC scopes, the consent table, interrupted calls, the abandoned rate."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from scheduler.db import create_engine, session_factory
from scheduler.models import Attempt, Campaign, Consent, ContactNumber, DncEntry
from scheduler.policy import decide, load_profiles
from scheduler.policy.ledger_cases import abandoned_rate, build_case, campaign_limits, load_bundles
from tests.scheduler.seed import T0, migrated, seed_accounts

NY = {"country": "US", "state": "NY", "postal_code": "10001"}


def test_ledger_facts_become_the_case(sqlite_url: str) -> None:
    migrated(sqlite_url)
    ids = seed_accounts(
        sqlite_url,
        [
            {
                "ref": "a",
                **NY,
                "numbers": [("+12125550150", "mobile", False), ("+19175550150", "mobile", False)],
            }
        ],
    )
    engine = create_engine(sqlite_url)
    with session_factory(engine).begin() as s:
        first, second = s.scalars(sa.select(ContactNumber).order_by(ContactNumber.priority)).all()
        s.add(
            Consent(
                debtor_id=first.debtor_id,
                contact_number_id=first.id,
                kind="ai_voice",
                granted_at=T0 - dt.timedelta(days=3),
            )
        )
        s.add(Consent(debtor_id=first.debtor_id, contact_number_id=second.id, kind="ai_voice", granted_at=T0,
                      revoked_at=T0 + dt.timedelta(minutes=1)))  # fmt: skip
        for minutes, result, answered in (
            (-90, "abandoned", True),
            (-80, "conversation", True),
            (-70, None, False),
        ):
            at = T0 + dt.timedelta(minutes=minutes)
            s.add(
                Attempt(
                    campaign_id=ids["campaign"], account_id=ids["a"], contact_number_id=first.id,
                    state="done" if result else "interrupted", scheduled_at=at, dialing_at=at, ended_at=at,
                    result=result, answered_at=at if answered else None, created_at=at,
                )
            )  # fmt: skip
    now = T0 + dt.timedelta(hours=1)
    with session_factory(engine)() as s:
        campaign = s.scalar(sa.select(Campaign))
        assert campaign is not None
        rate = abandoned_rate(s, campaign.id, now)
        assert rate == 0.5
        bundle = load_bundles(s, [first.debtor_id], now)[first.debtor_id]
        assert sorted(h.result for h in bundle.history) == ["abandoned", "conversation", "no_answer"]
        limits = campaign_limits(campaign, rate)
        case = build_case(now, bundle, bundle.numbers[0], "a", limits, None)
        assert case.contact.consent_at == T0 - dt.timedelta(days=3)
        assert case.debtor.numbers == ("+19175550150",)
        decision = decide(case, load_profiles())
        assert (decision.allow, decision.rule) == (False, "T7")  # 50% abandoned: the campaign pauses
        other = build_case(now, bundle, bundle.numbers[1], "a", campaign_limits(campaign, None), None)
        assert other.contact.consent_at is None  # the revoked consent does not count
    with session_factory(engine).begin() as s:
        s.add(DncEntry(scope="person", debtor_id=first.debtor_id, source="operator", created_at=T0))
    with session_factory(engine)() as s:
        bundle = load_bundles(s, [first.debtor_id], now)[first.debtor_id]
        case = build_case(now, bundle, bundle.numbers[0], "a", campaign_limits(campaign, None), None)
        assert case.debtor.cease_requested and not case.contact.opted_out
        assert decide(case, load_profiles()).rule == "U6"
    engine.dispose()
